package world

import (
	"strings"
	"time"

	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// scheduleRollouts starts each service's rolling update at its time.
func (w *World) scheduleRollouts() error {
	for _, s := range w.services {
		if rc := s.Config().Rollout; rc != nil {
			w.k.AtFunc(sim.At(rc.At), s.StartRollout)
		}
	}
	return nil
}

// sampleRollouts records the ready instances of each version of a
// service that rolls out.
func (w *World) sampleRollouts(at time.Duration) {
	for _, s := range w.services {
		if s.Config().Rollout == nil {
			continue
		}
		suffix := ""
		if len(w.services) > 1 {
			suffix = "." + s.Name()
		}
		old, neu := s.VersionCounts()
		w.rec.Set("old_version_ready"+suffix, "instances", at, float64(old))
		w.rec.Set("new_version_ready"+suffix, "instances", at, float64(neu))
	}
}

// rolloutMetrics adds how each rollout went: rollout_s (from its start
// to its end, -1 if it did not end), rolled_back (1 or 0) and, if it did,
// rollback_after_s (from its start).
func (w *World) rolloutMetrics(run *results.Run) {
	for _, s := range w.services {
		if s.Config().Rollout == nil {
			continue
		}
		p := ""
		if len(w.services) > 1 {
			p = metricName(s.Name()) + "_"
		}
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

// metricName is a name as metrics spell it: dashes become underscores.
func metricName(name string) string { return strings.ReplaceAll(name, "-", "_") }
