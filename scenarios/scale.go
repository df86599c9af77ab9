package scenarios

import (
	"fmt"
	"slices"
	"time"
)

// Scaled returns a copy of s whose schedule runs f times as long (f < 1:
// faster): the duration, every fault's start and length, each store's
// settle time and the times of open-loop rate schedules (a step's, ramp's
// or spike's start and length, a diurnal period). What the system is made
// of is not scaled: service times, timeouts, link latencies, Raft's
// timers, rates. The sampling interval stays as it is, at most the new
// duration. A real run that cannot last the scenario's minutes runs its
// Scaled copy, and the simulator runs the same copy to be compared with
// it. f must be in (0, 100].
func (s *Scenario) Scaled(f float64) (*Scenario, error) {
	if !(f > 0 && f <= 100) {
		return nil, fmt.Errorf("time scale: must be in (0, 100], got %v", f)
	}
	t := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	cp := *s
	cp.Duration = t(s.Duration)
	cp.Interval = min(s.Interval, cp.Duration)
	cp.Faults = slices.Clone(s.Faults)
	for i := range cp.Faults {
		cp.Faults[i].At, cp.Faults[i].For = t(s.Faults[i].At), t(s.Faults[i].For)
	}
	cp.Topology.Stores = slices.Clone(s.Topology.Stores)
	for i := range cp.Topology.Stores {
		cp.Topology.Stores[i].Settle = t(s.Topology.Stores[i].Settle)
	}
	cp.Load = slices.Clone(s.Load)
	for i := range cp.Load {
		if o := s.Load[i].Open; o != nil {
			sched := *o
			sched.At, sched.Over, sched.Period = t(o.At), t(o.Over), t(o.Period)
			cp.Load[i].Open = &sched
		}
	}
	return &cp, nil
}
