package service

import "time"

// ColdStart is the penalty of a new process: caches, connection pools and
// the JIT are cold, so its first requests take longer. It applies to an
// instance launched by scaling or resizing, not to the instances a
// service starts with, nor to one restarted after a crash (whose process
// is modelled as coming back warm).
type ColdStart struct {
	// Factor multiplies the service time of the requests an instance
	// starts within For of becoming ready. 0 (the default) or 1 means no
	// penalty; must be 0 or >= 1.
	Factor float64 `yaml:"factor"`
	// For is how long after becoming ready the instance is cold. Required
	// (> 0) when Factor is set; must be >= 0.
	For time.Duration `yaml:"for"`
}

func (c ColdStart) validate() error {
	switch {
	case c.Factor != 0 && !(c.Factor >= 1 && c.Factor < 1e6):
		return fieldErr("autoscale.cold_start.factor", "must be 0 (none) or in [1, 1e6), got %v", c.Factor)
	case c.For < 0:
		return fieldErr("autoscale.cold_start.for", "must be >= 0, got %v", c.For)
	case c.Factor > 1 && c.For == 0:
		return fieldErr("autoscale.cold_start.for", "must be > 0 when factor is set, got 0s")
	}
	return nil
}

// coldStart returns the service time d of a request the instance starts
// now, lengthened if the instance is cold. gen is 0 only for an instance
// the service started with and never stopped.
func (in *Instance) coldStart(d time.Duration) time.Duration {
	a := in.owner.cfg.Autoscale
	if a == nil || a.ColdStart.Factor <= 1 || in.gen == 0 || in.k.Now().Sub(in.readyAt) >= a.ColdStart.For {
		return d
	}
	return time.Duration(float64(d) * a.ColdStart.Factor)
}
