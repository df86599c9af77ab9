package service

import (
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// add creates instance slot len(s.inst), ready, with its own node
// "<name>-<i>", handler and random stream.
func (s *Service) add() *Instance {
	i := len(s.inst)
	in := newInstance(s.k, s.net, &s.cfg, s.dist, i)
	in.epSvc = s.epDists
	in.owner, in.index = s, i
	if err := s.connect(in); err != nil {
		panic(err) // Connect built the same calls for the first instances
	}
	s.inst = append(s.inst, in)
	s.nodes = append(s.nodes, in.node)
	return in
}

// OnAdd registers fn to be called with the index of every instance slot
// created by a scale-up (a new node), e.g. to give it its links.
func (s *Service) OnAdd(fn func(i int)) { s.onAdd = fn }

// Scale sets the number of instances the service should run (the
// Deployment's replicas), clamped to [1, max_instances]. A scale-up
// launches instances that become ready after the configured startup
// delay, in the lowest stopped slots first, then in new slots (new
// nodes); a scale-down first stops instances still starting (the newest
// first, as a ReplicaSet deletes unready pods first), then drains the
// highest-index ready instances: they get no new requests, serve what they
// hold, and stop.
func (s *Service) Scale(n int) {
	n = max(n, 1)
	if s.cfg.MaxInstances > 0 {
		n = min(n, s.cfg.MaxInstances)
	}
	s.desired = n
	active := s.active()
	for ; active < n && s.launchOne(); active++ {
	}
	for ; active > n; active-- {
		s.stopOne()
	}
}

// active counts instances starting or ready.
func (s *Service) active() int {
	n := 0
	for _, in := range s.inst {
		if in.phase == phaseStarting || in.phase == phaseReady {
			n++
		}
	}
	return n
}

// launchOne starts an instance in the lowest stopped slot or a new one;
// it reports false when the capacity is used up by draining instances.
func (s *Service) launchOne() bool {
	if s.cfg.MaxInstances > 0 && s.live >= s.cfg.MaxInstances {
		return false
	}
	in := s.freeSlot()
	s.setLive(s.live + 1)
	in.launch(s.cfg.Startup)
	return true
}

// freeSlot returns the lowest stopped instance slot, or a new one (a new
// node).
func (s *Service) freeSlot() *Instance {
	for _, c := range s.inst {
		if c.phase == phaseStopped {
			return c
		}
	}
	in := s.add()
	if s.onAdd != nil {
		s.onAdd(in.index)
	}
	return in
}

// stopOne stops the newest starting instance, or else drains the
// highest-index ready one.
func (s *Service) stopOne() {
	for _, want := range [2]phase{phaseStarting, phaseReady} {
		for i := len(s.inst) - 1; i >= 0; i-- {
			if s.inst[i].phase == want {
				s.inst[i].drain()
				return
			}
		}
	}
}

// refreshReady rebuilds the ready list in place.
func (s *Service) refreshReady() {
	s.ready = s.ready[:0]
	for i, in := range s.inst {
		if in.phase == phaseReady && in.Healthy() {
			s.ready = append(s.ready, i)
		}
	}
	s.publish()
}

func (s *Service) setLive(n int) {
	now := s.k.Now()
	s.liveAcc += time.Duration(s.live) * now.Sub(s.liveFrom)
	s.live, s.liveFrom = n, now
	s.maxLive = max(s.maxLive, n)
}

// Ready returns the indices of the instances that take traffic, in
// increasing order. The caller must not modify the slice, which changes
// as the service scales.
//
// With a discovery_delay it is the set as callers see it: the ready set
// as it was that long ago. It may be empty when probes have taken every
// instance out of rotation.
func (s *Service) Ready() []int { return s.view }

// Replicas returns the number of instances the service should run: its
// initial instances until the first Scale, then the last Scale's count.
func (s *Service) Replicas() int { return s.desired }

// Live returns the number of instances whose process exists: starting,
// ready or draining.
func (s *Service) Live() int { return s.live }

// MaxLive returns the most instances live at once so far.
func (s *Service) MaxLive() int { return s.maxLive }

// InstanceTime returns the integral of live instances over time so far:
// the instance-seconds a cloud bill counts.
func (s *Service) InstanceTime() time.Duration {
	return s.liveAcc + time.Duration(s.live)*s.k.Now().Sub(s.liveFrom)
}

// Meter measures each instance's utilisation and concurrency over
// successive windows. Create it with Service.NewMeter.
type Meter struct {
	s    *Service
	at   sim.Time
	busy []time.Duration
	reqs []time.Duration
}

// Usage is what a Meter measured for one instance over a window.
type Usage struct {
	// Utilization is busy time / (workers × the part of the window the
	// instance was up): a fraction in [0, 1].
	Utilization float64
	// Concurrency is the mean number of requests present, waiting or in
	// service.
	Concurrency float64
}

// NewMeter returns a meter whose first window starts now.
func (s *Service) NewMeter() *Meter {
	m := &Meter{s: s}
	m.Sample(nil)
	return m
}

// Sample appends to out the usage of every instance slot (index i at
// out[i]) since the previous Sample, and starts the next window. A slot
// launched within the window is measured from its launch.
func (m *Meter) Sample(out []Usage) []Usage {
	now := m.s.k.Now()
	for i, in := range m.s.inst {
		if i >= len(m.busy) {
			m.busy, m.reqs = append(m.busy, 0), append(m.reqs, 0)
		}
		busy, reqs := in.BusyTime(), in.RequestTime()
		span := now.Sub(max(m.at, in.started)).Seconds()
		u := Usage{}
		if span > 0 {
			u.Utilization = (busy - m.busy[i]).Seconds() / (span * float64(len(in.workers)))
			u.Concurrency = (reqs - m.reqs[i]).Seconds() / span
		}
		out = append(out, u)
		m.busy[i], m.reqs[i] = busy, reqs
	}
	m.at = now
	return out
}
