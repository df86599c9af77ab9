package world

import (
	"time"

	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// rollouts is the part that starts each service's rolling update
// (services[].rollout) at its time. Every interval it records the ready
// instances of each version; at the end, how each rollout went.
type rollouts struct {
	e    *env
	svcs *services
}

// scheduleRollouts starts each service's rolling update at its time.
func scheduleRollouts(e *env, svcs *services) *rollouts {
	for _, s := range svcs.list {
		if rc := s.Config().Rollout; rc != nil {
			e.k.AtFunc(sim.At(rc.At), s.StartRollout)
		}
	}
	return &rollouts{e: e, svcs: svcs}
}

// sample records the ready instances of each version of a service that
// rolls out.
func (r *rollouts) sample(at time.Duration) {
	for _, s := range r.svcs.list {
		if s.Config().Rollout == nil {
			continue
		}
		suffix := r.svcs.suffix(s)
		old, neu := s.VersionCounts()
		r.e.rec.Set("old_version_ready"+suffix, "instances", at, float64(old))
		r.e.rec.Set("new_version_ready"+suffix, "instances", at, float64(neu))
	}
}

// report adds how each rollout went: rollout_s (from its start to its
// end, -1 if it did not end), rolled_back (1 or 0) and, if it did,
// rollback_after_s (from its start).
func (r *rollouts) report(run *results.Run) {
	for _, s := range r.svcs.list {
		if s.Config().Rollout == nil {
			continue
		}
		p := r.svcs.prefix(s)
		st := s.Rollout()
		run.Metrics[p+"rollout_s"] = -1
		if st.Done {
			run.Metrics[p+"rollout_s"] = st.DoneAt.Sub(st.StartedAt).Seconds()
		}
		run.Metrics[p+"rolled_back"] = 0
		if st.RolledBack {
			run.Metrics[p+"rolled_back"] = 1
			run.Metrics[p+"rollback_after_s"] = st.RollbackAt.Sub(st.StartedAt).Seconds()
		}
	}
}
