package service

import (
	"time"

	"github.com/faultline-sim/faultline/models/rollout"
	"github.com/faultline-sim/faultline/sim"
)

// RolloutConfig is a rolling update of the service to a new version, as a
// Kubernetes Deployment performs it (see models/rollout): new instances
// are launched and old ones drained within max_surge and
// max_unavailable, each new instance counting as available min_ready
// after it is ready; with a rollback rule, the update is reversed when the
// new version's error rate over the window is too high.
type RolloutConfig struct {
	rollout.Config `yaml:",inline"`
	// At is when the update starts. Must be >= 0.
	At time.Duration `yaml:"at"`
	// ErrorRate is the new version's share of failed requests (its bug).
	// Default 0; must be in [0, 1].
	ErrorRate float64 `yaml:"error_rate"`
	// ServiceTime is the new version's, for every endpoint; kind "" (the
	// default) keeps the old one's (each endpoint's own).
	ServiceTime sim.DistSpec `yaml:"service_time"`
}

func (c *RolloutConfig) validate() error {
	if err := c.Config.Validate(); err != nil {
		return under("rollout", err)
	}
	switch {
	case c.At < 0:
		return fieldErr("rollout.at", "must be >= 0, got %v", c.At)
	case !(c.ErrorRate >= 0 && c.ErrorRate <= 1):
		return fieldErr("rollout.error_rate", "must be in [0, 1], got %v", c.ErrorRate)
	}
	if c.ServiceTime.Kind != "" {
		if _, err := c.ServiceTime.Build(); err != nil {
			return under("rollout.service_time", err)
		}
	}
	return nil
}

// RolloutStats is how a rollout went.
type RolloutStats struct {
	Started    bool
	StartedAt  sim.Time
	Done       bool
	DoneAt     sim.Time // when the target version had every replica available and the other none
	RolledBack bool
	RollbackAt sim.Time
}

// rolloutRun drives a rollout: it counts the instances of each version,
// asks the planner for their sizes whenever something changes, launches
// and drains instances to match, and watches the new version's errors.
type rolloutRun struct {
	s        *Service
	cfg      *RolloutConfig
	planner  *rollout.Planner
	newDist  sim.Dist
	stats    RolloutStats
	busy     bool
	again    bool
	requests [2]int64 // answered by each version's instances
	errors   [2]int64
	window   [][2]int64 // per second: requests and errors of the new version
	last     [2]int64
}

// newRollout prepares the rollout of s, if it has one.
func (s *Service) newRollout() error {
	rc := s.cfg.Rollout
	if rc == nil {
		return nil
	}
	p, err := rollout.New(rc.Config)
	if err != nil {
		return under("rollout", err)
	}
	r := &rolloutRun{s: s, cfg: rc, planner: p, newDist: s.dist}
	if rc.ServiceTime.Kind != "" {
		if r.newDist, err = rc.ServiceTime.Build(); err != nil {
			return under("rollout.service_time", err)
		}
	}
	s.rollout = r
	return nil
}

// StartRollout begins the service's rolling update (at its rollout.at).
func (s *Service) StartRollout() {
	r := s.rollout
	if r == nil || r.stats.Started {
		return
	}
	r.stats.Started, r.stats.StartedAt = true, s.k.Now()
	r.replan()
	r.tick()
}

// Rollout returns how the service's rollout went (zero without one).
func (s *Service) Rollout() RolloutStats {
	if s.rollout == nil {
		return RolloutStats{}
	}
	return s.rollout.stats
}

// VersionCounts returns the ready instances of the old and the new
// version.
func (s *Service) VersionCounts() (old, new int) {
	for _, in := range s.inst {
		if in.phase == phaseReady {
			if in.version == 0 {
				old++
			} else {
				new++
			}
		}
	}
	return old, new
}

// answered counts an answer of instance in for the rollback rule.
func (r *rolloutRun) answered(in *Instance, st Status) {
	if r == nil {
		return
	}
	r.requests[in.version]++
	if st != StatusOK {
		r.errors[in.version]++
	}
}

// tick runs every second while the rollout goes on: it feeds the
// rollback rule the new version's errors over the window.
func (r *rolloutRun) tick() {
	if r.stats.Done {
		return
	}
	if rb := r.planner.Config().Rollback; rb != nil && !r.stats.RolledBack {
		r.window = append(r.window, [2]int64{r.requests[1] - r.last[0], r.errors[1] - r.last[1]})
		r.last = [2]int64{r.requests[1], r.errors[1]}
		if n := int(rb.Window / time.Second); len(r.window) > max(n, 1) {
			r.window = r.window[1:]
		}
		var req, errs int64
		for _, b := range r.window {
			req, errs = req+b[0], errs+b[1]
		}
		if r.planner.Rollback(int(errs), int(req)) {
			r.stats.RolledBack, r.stats.RollbackAt = true, r.s.k.Now()
			r.replan()
		}
	}
	r.s.k.AfterFunc(time.Second, r.tick)
}

// changed is called when an instance becomes ready or stops.
func (r *rolloutRun) changed(in *Instance) {
	if r == nil || !r.stats.Started || r.stats.Done {
		return
	}
	if in != nil && in.phase == phaseReady && r.planner.Config().MinReady > 0 {
		r.s.k.AfterFunc(r.planner.Config().MinReady, r.replan)
	}
	r.replan()
}

// replan asks the planner for the versions' sizes and applies them, until
// nothing changes (launching an instance with no startup makes it ready
// at once, which is itself a change).
func (r *rolloutRun) replan() {
	if r.busy {
		r.again = true
		return
	}
	r.busy = true
	for {
		r.again = false
		r.step()
		if !r.again {
			break
		}
	}
	r.busy = false
}

func (r *rolloutRun) step() {
	if r.stats.Done {
		return
	}
	st := r.state()
	d := r.planner.Plan(st)
	if d.Done {
		r.stats.Done, r.stats.DoneAt = true, r.s.k.Now()
		return
	}
	r.resize(1, st.New.Pods, d.New)
	r.resize(0, st.Old.Pods, d.Old)
}

// state counts each version's instances as the planner sees them.
func (r *rolloutRun) state() rollout.State {
	st := rollout.State{Desired: r.s.desired}
	now := r.s.k.Now()
	for _, in := range r.s.inst {
		rs := &st.Old
		if in.version == 1 {
			rs = &st.New
		}
		switch in.phase {
		case phaseStarting:
			rs.Pods++
		case phaseReady:
			rs.Pods++
			if in.version == 0 && in.readyAt == 0 || now >= r.planner.AvailableAt(in.readyAt) {
				rs.Available++
			}
		case phaseDraining:
			rs.Terminating++
		}
	}
	return st
}

// resize brings version v from pods to want instances: launching new
// ones, or stopping starting ones first, then ready ones (newest first).
func (r *rolloutRun) resize(v uint8, pods, want int) {
	for ; pods < want; pods++ {
		r.s.launchVersion(v, r)
	}
	for ; pods > want; pods-- {
		r.s.stopVersion(v)
	}
}

// launchVersion starts an instance of version v in the lowest stopped
// slot or a new one.
func (s *Service) launchVersion(v uint8, r *rolloutRun) {
	in := s.freeSlot()
	in.version = v
	in.svc, in.epSvc, in.errorRate = s.dist, s.epDists, s.cfg.ErrorRate
	if v == 1 {
		in.svc, in.errorRate = r.newDist, r.cfg.ErrorRate
		if r.cfg.ServiceTime.Kind != "" { // the new version's time serves every endpoint
			in.epSvc = nil
		}
	}
	s.setLive(s.live + 1)
	in.launch(s.cfg.Startup)
}

// stopVersion stops an instance of version v: one still starting, else
// the highest-index ready one.
func (s *Service) stopVersion(v uint8) {
	for _, want := range [2]phase{phaseStarting, phaseReady} {
		for i := len(s.inst) - 1; i >= 0; i-- {
			if in := s.inst[i]; in.version == v && in.phase == want {
				in.drain()
				return
			}
		}
	}
}
