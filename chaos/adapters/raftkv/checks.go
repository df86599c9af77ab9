package raftkv

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/faultline-sim/faultline/chaos/timeline"
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/models/store/check"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
)

// linearizabilityTimeout bounds each of porcupine's passes, as in the
// simulator: past it the verdict is unknown (metric -1).
const linearizabilityTimeout = 2 * time.Second

// Results implements timeline.System: it checks the history and the
// final state with the simulator's code and metric names
// (models/store/check): linearizability (with porcupine's page in Dir),
// staleness, lost writes against the majority value of the replicas,
// divergence, convergence time, availability by client and fault window,
// failover_ms_fault<i> (from a fault's start until a replica on the
// majority side leads in a newer term, from the samples),
// leader_failover_ms and leader_changes, and the series leader.
func (s *System) Results(ctx context.Context, rec *results.Recorder, faults []timeline.Applied) ([]results.File, error) {
	s.asks.Wait()
	sc := s.env.Scenario
	s.mu.Lock()
	h := slices.Clone(s.history)
	samples := slices.Clone(s.samples)
	converged := s.converged
	s.mu.Unlock()
	sort.SliceStable(h, func(i, j int) bool { return h[i].Return < h[j].Return })
	for _, r := range h {
		rec.Observe(time.Duration(r.Invoke), time.Duration(r.Return), r.Outcome.Result())
	}
	for _, smp := range samples {
		if smp.at < sc.Duration {
			rec.Set("leader", "replica", smp.at, float64(leader(smp.sts)))
		}
	}
	m, info := check.Metrics(h, linearizabilityTimeout)
	windows := make([]check.Window, len(sc.Faults))
	for i, f := range sc.Faults {
		windows[i] = check.Window{Start: int64(f.At), End: int64(f.End())}
	}
	for name, v := range check.SideAvailability(h, s.clients, windows, int64(sc.Duration)) {
		m[name] = v
	}
	final, div := finalValues(s.dumps(ctx))
	lost, _ := check.LostWrites(h, final)
	m["lost_writes"] = float64(lost)
	m["divergence_at_end"] = float64(div)
	if len(sc.Faults) > 0 {
		m["convergence_ms"] = -1
		if converged >= 0 {
			m["convergence_ms"] = float64(max(converged-s.lastFaultEnd(), 0)) / 1e6
		}
	}
	for _, f := range faults {
		m[fmt.Sprintf("failover_ms_fault%d", f.Index)] = failover(samples, f, s.majority(f))
	}
	if ms, ok := scenarios.LeaderFailoverMS(sc, s.st.Name, "", m); ok {
		m[scenarios.LeaderFailoverMetric] = ms
	}
	m["leader_changes"] = float64(leaderChanges(samples))
	for name, v := range m {
		rec.Metric(name, v)
	}
	if s.env.Dir == "" {
		return nil, nil
	}
	name := "porcupine-real-" + s.st.Name + "-" + s.env.Tag() + ".html"
	if err := check.WriteVisualization(filepath.Join(s.env.Dir, name), h, info); err != nil {
		return nil, fmt.Errorf("porcupine visualisation: %w", err)
	}
	return []results.File{{Label: "linearizability of " + s.st.Name + " (porcupine, real)", Path: name}}, nil
}

// majority returns the replicas of the side of fault f that held a
// majority of them, or nil.
func (s *System) majority(f timeline.Applied) []int {
	for _, side := range f.Sides {
		var rs []int
		for _, i := range side {
			if i < s.n {
				rs = append(rs, i)
			}
		}
		if 2*len(rs) > s.n {
			return rs
		}
	}
	return nil
}

// failover is how long after fault f was in place a replica of majority
// led in a newer term (or kept leading, if the old leader was on that
// side), in ms; -1 if none did before the fault ended or if no side had
// a majority.
func failover(samples []sample, f timeline.Applied, majority []int) float64 {
	if len(majority) == 0 {
		return -1
	}
	var term0 uint64
	for _, smp := range samples {
		if smp.at > f.Start {
			break
		}
		for _, st := range smp.sts {
			term0 = max(term0, st.Term)
		}
	}
	for _, smp := range samples {
		if smp.at < f.Start || smp.at > f.End {
			continue
		}
		for _, i := range majority {
			st := smp.sts[i]
			if st.State == "Leader" && st.Term > term0 {
				return float64(smp.at-f.Start) / 1e6
			}
			if st.State == "Leader" && st.Term == term0 && ledAtStart(samples, f, i) {
				return float64(smp.at-f.Start) / 1e6
			}
		}
	}
	return -1
}

// ledAtStart reports whether replica i led at the last sample before f
// started.
func ledAtStart(samples []sample, f timeline.Applied, i int) bool {
	led := false
	for _, smp := range samples {
		if smp.at > f.Start {
			break
		}
		led = smp.sts[i].State == "Leader"
	}
	return led
}

// leaderChanges counts the times the leader (by the samples) changed to
// another replica.
func leaderChanges(samples []sample) int {
	n, last := 0, -1
	for _, smp := range samples {
		if l := leader(smp.sts); l >= 0 {
			if last >= 0 && l != last {
				n++
			}
			last = l
		}
	}
	return n
}

// history returns the operations recorded so far, for tests.
func (s *System) historyNow() store.History {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.history)
}
