package balance

import (
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/sim"
)

// OutlierConfig is passive health checking in the manner of Envoy's
// outlier detection (consecutive_5xx): a caller that sees
// ConsecutiveErrors failed attempts in a row to one instance (an error,
// a refusal or a timeout) ejects it from its own balancing for
// BaseEjectionTime times the number of times it has been ejected, at
// most MaxEjectionTime. Ejections are checked at every Interval: an
// instance whose time is up returns to the pool then, and an instance in
// the pool has its ejection count lowered by one. At most
// MaxEjectionPercent of the instances are ejected at once, but one may
// always be; and if fewer than half of the ready instances are left
// (Envoy's default healthy panic threshold, 50%), the caller balances
// over all of them again. Each caller (a load client, or each instance of
// a calling service) keeps its own view, as each Envoy does.
type OutlierConfig struct {
	// ConsecutiveErrors is how many failed attempts in a row eject an
	// instance. Default 5; must be >= 1.
	ConsecutiveErrors int `yaml:"consecutive_errors"`
	// Interval is the time between ejection sweeps. Default 10s; must
	// be > 0.
	Interval time.Duration `yaml:"interval"`
	// BaseEjectionTime is the first ejection's length. Default 30s; must
	// be > 0.
	BaseEjectionTime time.Duration `yaml:"base_ejection_time"`
	// MaxEjectionTime caps an ejection's length. Default 300s; must be
	// >= base_ejection_time.
	MaxEjectionTime time.Duration `yaml:"max_ejection_time"`
	// MaxEjectionPercent is the most instances ejected at once, in
	// percent of the ready ones. Default 10; must be in [0, 100].
	MaxEjectionPercent float64 `yaml:"max_ejection_percent"`
}

// SetDefaults fills the zero fields with Envoy's defaults.
func (c *OutlierConfig) SetDefaults() {
	if c.ConsecutiveErrors == 0 {
		c.ConsecutiveErrors = 5
	}
	if c.Interval == 0 {
		c.Interval = 10 * time.Second
	}
	if c.BaseEjectionTime == 0 {
		c.BaseEjectionTime = 30 * time.Second
	}
	if c.MaxEjectionTime == 0 {
		c.MaxEjectionTime = max(300*time.Second, c.BaseEjectionTime)
	}
	if c.MaxEjectionPercent == 0 {
		c.MaxEjectionPercent = 10
	}
}

// Validate names the first field out of range (a *field.Error).
func (c OutlierConfig) Validate() error {
	switch {
	case c.ConsecutiveErrors < 1:
		return field.Errorf("consecutive_errors", "must be >= 1, got %d", c.ConsecutiveErrors)
	case c.Interval <= 0:
		return field.Errorf("interval", "must be > 0, got %v", c.Interval)
	case c.BaseEjectionTime <= 0:
		return field.Errorf("base_ejection_time", "must be > 0, got %v", c.BaseEjectionTime)
	case c.MaxEjectionTime < c.BaseEjectionTime:
		return field.Errorf("max_ejection_time", "must be >= base_ejection_time (%v), got %v", c.BaseEjectionTime, c.MaxEjectionTime)
	case !(c.MaxEjectionPercent >= 0 && c.MaxEjectionPercent <= 100):
		return field.Errorf("max_ejection_percent", "must be in [0, 100], got %v", c.MaxEjectionPercent)
	}
	return nil
}

// Outlier is one caller's outlier detector. It needs no events of its
// own: the sweeps due by now are run whenever it is used, so it changes
// nothing in a run that does not configure it.
type Outlier struct {
	cfg       OutlierConfig
	start     sim.Time // sweeps fall at start + k·Interval
	swept     int64    // sweeps done
	hosts     []outlierHost
	ejected   int
	ejections int64
	buf       []int
}

type outlierHost struct {
	errors  int      // consecutive failed attempts
	ejected bool     // out of the pool
	since   sim.Time // when it was ejected
	times   int      // the ejection multiplier
}

// NewOutlier returns a detector whose sweeps start at now. cfg's zero
// fields take their defaults.
func NewOutlier(cfg OutlierConfig, now sim.Time) *Outlier {
	cfg.SetDefaults()
	return &Outlier{cfg: cfg, start: now}
}

// Ejections returns how many ejections there have been.
func (o *Outlier) Ejections() int64 { return o.ejections }

// Ejected reports whether instance i is out of the pool now.
func (o *Outlier) Ejected(i int, now sim.Time) bool {
	o.sweep(now)
	return i < len(o.hosts) && o.hosts[i].ejected
}

func (o *Outlier) host(i int) *outlierHost {
	for len(o.hosts) <= i {
		o.hosts = append(o.hosts, outlierHost{})
	}
	return &o.hosts[i]
}

// sweep runs the interval sweeps due by now, in order: an ejected
// instance whose time is up returns; one in the pool has its multiplier
// lowered.
func (o *Outlier) sweep(now sim.Time) {
	due := int64(now.Sub(o.start) / o.cfg.Interval)
	for ; o.swept < due; o.swept++ {
		at := o.start.Add(time.Duration(o.swept+1) * o.cfg.Interval)
		for i := range o.hosts {
			h := &o.hosts[i]
			switch {
			case h.ejected && at.Sub(h.since) >= o.ejectionTime(h):
				h.ejected, h.errors = false, 0
				o.ejected--
			case !h.ejected && h.times > 0:
				h.times--
			}
		}
	}
}

func (o *Outlier) ejectionTime(h *outlierHost) time.Duration {
	return min(time.Duration(h.times)*o.cfg.BaseEjectionTime, o.cfg.MaxEjectionTime)
}

// Filter returns the instances of ready (the ready instances' indexes,
// increasing) that are not ejected now; all of ready if fewer than half
// of them would be left (the panic threshold). The result is valid until
// the next call.
func (o *Outlier) Filter(ready []int, now sim.Time) []int {
	o.sweep(now)
	if o.ejected == 0 {
		return ready
	}
	o.buf = o.buf[:0]
	for _, i := range ready {
		if i >= len(o.hosts) || !o.hosts[i].ejected {
			o.buf = append(o.buf, i)
		}
	}
	if 2*len(o.buf) < len(ready) {
		return ready
	}
	return o.buf
}

// Observe records the outcome of an attempt on instance i at now, out of
// ready instances in all; the ConsecutiveErrors-th failure in a row
// ejects it if the cap allows.
func (o *Outlier) Observe(i int, ok bool, now sim.Time, ready int) {
	o.sweep(now)
	h := o.host(i)
	if ok {
		h.errors = 0
		return
	}
	h.errors++
	if h.ejected || h.errors < o.cfg.ConsecutiveErrors {
		return
	}
	// As Envoy: eject when none is ejected, or while the ejected share is
	// below the cap.
	if o.ejected > 0 && 100*float64(o.ejected) >= o.cfg.MaxEjectionPercent*float64(max(ready, 1)) {
		return
	}
	h.ejected, h.since, h.errors = true, now, 0
	h.times++
	o.ejected++
	o.ejections++
}
