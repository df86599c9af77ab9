package service

import (
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// Kubernetes' documented defaults for probes and restarts.
const (
	DefaultProbePeriod              = 10 * time.Second // periodSeconds
	DefaultFailureThreshold         = 3                // failureThreshold
	DefaultSuccessThreshold         = 1                // successThreshold
	DefaultRestartInitial           = 10 * time.Second // the first back-off of CrashLoopBackOff
	DefaultRestartMax               = 5 * time.Minute  // its cap
	DefaultRestartResetAfter        = 10 * time.Minute // running this long resets it
	kindRestart              uint32 = 5                // a crashed instance's restart is due; A the generation
)

// HealthCheckConfig is a readiness probe: every Period the platform
// (the kubelet, on the instance's own host) probes each instance; after
// FailureThreshold consecutive failures the instance is taken out of
// rotation, after SuccessThreshold consecutive successes it is put back.
// A probe fails when the process is down or paused (a stopped process
// cannot answer, so its probe times out). Probes are independent of the
// network between services.
type HealthCheckConfig struct {
	// Period between probes. Default 10s; must be > 0.
	Period time.Duration `yaml:"period"`
	// FailureThreshold is the consecutive failed probes that take an
	// instance out of rotation. Default 3; must be >= 1.
	FailureThreshold int `yaml:"failure_threshold"`
	// SuccessThreshold is the consecutive successful probes that put it
	// back. Default 1; must be >= 1.
	SuccessThreshold int `yaml:"success_threshold"`
}

// SetDefaults fills every zero field that has a default.
func (c *HealthCheckConfig) SetDefaults() {
	if c.Period == 0 {
		c.Period = DefaultProbePeriod
	}
	if c.FailureThreshold == 0 {
		c.FailureThreshold = DefaultFailureThreshold
	}
	if c.SuccessThreshold == 0 {
		c.SuccessThreshold = DefaultSuccessThreshold
	}
}

func (c *HealthCheckConfig) validate() error {
	switch {
	case c.Period <= 0:
		return fieldErr("health_check.period", "must be > 0, got %v", c.Period)
	case c.FailureThreshold < 1:
		return fieldErr("health_check.failure_threshold", "must be >= 1, got %d", c.FailureThreshold)
	case c.SuccessThreshold < 1:
		return fieldErr("health_check.success_threshold", "must be >= 1, got %d", c.SuccessThreshold)
	}
	return nil
}

// RestartConfig is Kubernetes' restart policy Always with its
// CrashLoopBackOff: a crashed process is restarted after a back-off that
// starts at Initial and doubles at every crash, capped at Max, and that
// goes back to Initial once the process has run ResetAfter without
// crashing.
type RestartConfig struct {
	// Initial is the first back-off. Default 10s; must be > 0.
	Initial time.Duration `yaml:"initial"`
	// Max caps the back-off. Default 5m; must be >= initial.
	Max time.Duration `yaml:"max"`
	// ResetAfter is how long a process must run to reset the back-off.
	// Default 10m; must be > 0.
	ResetAfter time.Duration `yaml:"reset_after"`
}

// SetDefaults fills every zero field that has a default.
func (c *RestartConfig) SetDefaults() {
	if c.Initial == 0 {
		c.Initial = DefaultRestartInitial
	}
	if c.Max == 0 {
		c.Max = DefaultRestartMax
	}
	if c.ResetAfter == 0 {
		c.ResetAfter = DefaultRestartResetAfter
	}
}

func (c *RestartConfig) validate() error {
	switch {
	case c.Initial <= 0:
		return fieldErr("restart.initial", "must be > 0, got %v", c.Initial)
	case c.Max < c.Initial:
		return fieldErr("restart.max", "must be >= initial (%v), got %v", c.Initial, c.Max)
	case c.ResetAfter <= 0:
		return fieldErr("restart.reset_after", "must be > 0, got %v", c.ResetAfter)
	}
	return nil
}

// validateHealth checks the probe, discovery and restart settings.
func (c Config) validateHealth() error {
	if c.DiscoveryDelay < 0 {
		return fieldErr("discovery_delay", "must be >= 0, got %v", c.DiscoveryDelay)
	}
	if c.HealthCheck != nil {
		if err := c.HealthCheck.validate(); err != nil {
			return err
		}
	}
	if c.Restart != nil {
		return c.Restart.validate()
	}
	return nil
}

// health is an instance's probe and restart state.
type health struct {
	unhealthy  bool // out of rotation by the probe
	fails, oks int  // consecutive probe results
	crashing   bool // a crash fault is active: every start crashes
	backoff    time.Duration
	upSince    sim.Time
	restarts   int64
}

// startProbes begins the service's readiness probes, if it has any.
func (s *Service) startProbes() {
	if s.cfg.HealthCheck == nil {
		return
	}
	var probe func()
	probe = func() {
		s.probeAll()
		s.k.AfterFunc(s.cfg.HealthCheck.Period, probe)
	}
	s.k.AfterFunc(s.cfg.HealthCheck.Period, probe)
}

// probeAll probes every instance once and updates the rotation.
func (s *Service) probeAll() {
	hc, changed := s.cfg.HealthCheck, false
	for _, in := range s.inst {
		if !in.Live() {
			continue
		}
		h := &in.health
		if in.down || in.paused {
			h.fails, h.oks = h.fails+1, 0
			if !h.unhealthy && h.fails >= hc.FailureThreshold {
				h.unhealthy, changed = true, true
			}
			continue
		}
		h.fails, h.oks = 0, h.oks+1
		if h.unhealthy && h.oks >= hc.SuccessThreshold {
			h.unhealthy, changed = false, true
		}
	}
	if changed {
		s.refreshReady()
	}
}

// Healthy reports whether the readiness probe keeps the instance in
// rotation (always true without a health check).
func (in *Instance) Healthy() bool { return !in.health.unhealthy }

// Restarts returns how many times the instance was restarted after a
// crash under the restart policy, successful or not.
func (in *Instance) Restarts() int64 { return in.health.restarts }

// crashLoop crashes the instance under the restart policy: it stays
// crashing (every start fails at once) until endCrashLoop, and restarts
// on CrashLoopBackOff's schedule.
func (in *Instance) crashLoop(rc *RestartConfig) {
	h := &in.health
	if h.crashing {
		return
	}
	h.crashing = true
	if !in.down {
		in.Crash()
		in.crashed(rc, in.k.Now().Sub(h.upSince))
	}
}

// crashed schedules the restart of a process that has just died after
// running for ran.
func (in *Instance) crashed(rc *RestartConfig, ran time.Duration) {
	h := &in.health
	if h.backoff == 0 || ran >= rc.ResetAfter {
		h.backoff = rc.Initial
	} else {
		h.backoff = min(2*h.backoff, rc.Max)
	}
	in.k.After(h.backoff, in.id, kindRestart, in.gen, 0)
}

// endCrashLoop lifts the cause of the crashes: the next restart succeeds.
func (in *Instance) endCrashLoop() { in.health.crashing = false }

// restartDue is the kubelet restarting the process after its back-off.
func (in *Instance) restartDue(rc *RestartConfig) {
	h := &in.health
	h.restarts++
	if h.crashing { // it dies again at once
		in.crashed(rc, 0)
		return
	}
	h.upSince = in.k.Now()
	in.Restart()
}

// publish makes the ready set visible to callers, DiscoveryDelay after it
// changed (endpoint propagation: the registry, then each client's view).
func (s *Service) publish() {
	if s.cfg.DiscoveryDelay == 0 {
		s.view = s.ready
		return
	}
	snapshot := append([]int(nil), s.ready...)
	s.k.AfterFunc(s.cfg.DiscoveryDelay, func() { s.view = snapshot })
}

func (h health) String() string {
	return fmt.Sprintf("unhealthy=%v fails=%d oks=%d crashing=%v backoff=%v", h.unhealthy, h.fails, h.oks, h.crashing, h.backoff)
}
