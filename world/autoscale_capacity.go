package world

import "time"

// active counts the service's instances starting or ready: the pods that
// have a place in the cluster and are not terminating.
func (s *scaler) active() int {
	n := 0
	for i := range s.svc.Len() {
		if in := s.svc.Instance(i); in.Ready() || in.Starting() {
			n++
		}
	}
	return n
}

// pending is the number of pods the autoscaler wants that have no place
// in the cluster yet.
func (s *scaler) pending() int { return max(0, s.desired-s.active()) }

// place runs as many of the desired pods as the cluster has room for
// (draining pods still hold theirs) and asks the cluster autoscaler for
// nodes for the rest, placing them again when the nodes are ready.
// Draining pods that finish free room too: the sampler calls place at
// every interval while the cluster is bounded.
func (s *scaler) place() {
	now := s.e.k.Now()
	draining := s.svc.Live() - s.active()
	n := s.desired
	if room := s.nodes.Capacity(now) - draining; n > room {
		n = room
		for _, t := range s.nodes.Demand(now, s.desired+draining) {
			s.e.k.AtFunc(t, s.place)
		}
	}
	s.svc.Scale(n)
}

// syncVertical is one sync of the vertical scaler: the mean utilisation
// of the ready instances over the sync period, then a recommendation
// after the metric lag, which the resizer applies one instance at a time.
// No recommendation is made while a resize is under way, as the VPA
// updater waits for an evicted pod's replacement before the next
// eviction.
func (s *scaler) syncVertical() {
	s.every(s.vpa.Config().SyncPeriod, s.syncVertical)
	s.usage = s.scrape.Sample(s.usage[:0])
	var sum float64
	n := 0
	for i, u := range s.usage {
		if s.svc.Instance(i).Ready() {
			sum, n = sum+u.Utilization, n+1
		}
	}
	util := 100 * sum / float64(max(n, 1))
	if s.resize.Busy() {
		return // a restart is under way: its lost capacity would read as load
	}
	s.later(func() {
		from := s.resize.Target()
		size, _ := s.vpa.Recommend(s.e.k.Now(), from, util)
		s.e.k.Record(s.e.sampler, kindResize, int64(from), int64(size))
		s.resize.Resize(size)
		s.turn(from, size)
	})
}

// kindResize is the sampler's trace record of a vertical decision: A the
// size before, B after.
const kindResize uint32 = 3

// sampleCapacity records the cluster's and the sizes' gauges for the
// interval that just ended, adds the cost of instances above the
// configured size, and places pods that drained instances made room for.
func (s *scaler) sampleCapacity(at time.Duration, name func(string) string) {
	interval := s.e.sc.Interval.Seconds()
	if s.nodes.Bounded() {
		s.place()
		s.e.rec.Set(name("pending_pods"), "pods", at, float64(s.pending()))
		s.e.rec.Set(name("nodes"), "nodes", at, float64(s.nodes.Nodes(s.e.k.Now())))
	}
	if s.resize == nil {
		return
	}
	base := float64(s.svc.Config().Workers)
	var size float64
	for i := range s.svc.Len() {
		if in := s.svc.Instance(i); in.Live() {
			s.extraCost += (float64(in.Workers())/base - 1) * interval
			size = max(size, float64(in.Workers()))
		}
	}
	s.e.rec.Set(name("instance_size"), "workers", at, size)
}
