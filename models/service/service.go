package service

import (
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// Service is a set of identical instances. Create it with New.
type Service struct {
	cfg  Config
	k    *sim.Kernel
	net  *sim.Network
	dist sim.Dist
	// epDists is each endpoint's service time, nil without endpoints.
	epDists []sim.Dist
	inst    []*Instance
	nodes   []sim.NodeID

	// Scaling (scale.go).
	ready    []int // indices of the ready instances, increasing
	view     []int // the ready set as callers see it (health.go)
	desired  int
	maxLive  int
	live     int // instances starting, ready or draining
	liveAcc  time.Duration
	liveFrom sim.Time
	onAdd    func(i int)

	// Calls (calls.go): set by Connect.
	targets   func(string) *Service
	deadlines *Deadlines
	tracer    *Tracer
	ledger    *Ledger
	mesh      *MeshConfig
	rollout   *rolloutRun        // rollout.go, nil without one
	publisher func(instance int) // nil unless cfg.Publish names a broker
}

// SetPublisher gives the service what publishing an event does for
// instance i's successful requests (see Config.Publish).
func (s *Service) SetPublisher(fn func(instance int)) { s.publisher = fn }

// UseTracer makes the service's instances, and those scaling adds, record
// the spans of traced requests. Call it before Connect.
func (s *Service) UseTracer(t *Tracer) {
	s.tracer = t
	for _, in := range s.inst {
		in.tracer = t
	}
}

// New builds the service cfg describes on kernel k and network net: one
// instance per cfg.Instances, each on its own node "<name>-<i>" (i from
// 0) with its own handler and random stream "service/<name>/instance-<i>".
// Zero fields take their defaults (SetDefaults) before cfg is validated;
// the error is Validate's.
func New(k *sim.Kernel, net *sim.Network, cfg Config) (*Service, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dist, err := cfg.serviceTime()
	if err != nil {
		return nil, err
	}
	epDists, err := cfg.endpointDists()
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, k: k, net: net, dist: dist, epDists: epDists, desired: cfg.Instances}
	for range cfg.Instances {
		s.add()
	}
	s.setLive(cfg.Instances)
	s.refreshReady()
	s.view = append([]int(nil), s.ready...) // known from the start
	s.startProbes()
	if err := s.newRollout(); err != nil {
		return nil, err
	}
	return s, nil
}

// Name returns the service's name.
func (s *Service) Name() string { return s.cfg.Name }

// Endpoints returns the service's endpoints, defaults filled in; nil for
// a service without. The caller must not modify the slice.
func (s *Service) Endpoints() []Endpoint { return s.cfg.Endpoints }

// Config returns the service's configuration, defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// Nodes returns the node of each instance, in instance order. The caller
// must not modify the slice.
func (s *Service) Nodes() []sim.NodeID { return s.nodes }

// Instance returns instance i, 0 <= i < Len().
func (s *Service) Instance(i int) *Instance { return s.inst[i] }

// Len returns the number of instance slots created so far, live or
// stopped: instance indices are in [0, Len()).
func (s *Service) Len() int { return len(s.inst) }

// Crash kills instance i (see Instance.Crash). Under a restart policy the
// instance crash-loops instead: it restarts on CrashLoopBackOff's
// schedule and dies again at once until Restart lifts the cause.
func (s *Service) Crash(i int) {
	if s.cfg.Restart != nil {
		s.inst[i].crashLoop(s.cfg.Restart)
		return
	}
	s.inst[i].Crash()
}

// Restart brings instance i back after a crash (see Instance.Restart).
// Under a restart policy it ends the crash loop: the instance comes back
// at its next scheduled restart, not at once.
func (s *Service) Restart(i int) {
	if s.cfg.Restart != nil {
		s.inst[i].endCrashLoop()
		return
	}
	s.inst[i].Restart()
}

// Pause stops instance i (see Instance.Pause).
func (s *Service) Pause(i int) { s.inst[i].Pause() }

// Resume continues instance i after a pause (see Instance.Resume).
func (s *Service) Resume(i int) { s.inst[i].Resume() }

// QueueDepth returns the number of requests waiting, over all instances.
func (s *Service) QueueDepth() int {
	n := 0
	for _, in := range s.inst {
		n += in.QueueLen()
	}
	return n
}

// RequestTime returns the integral over time of the requests present
// (waiting or in service) at every instance the service ever had: the
// time-average number in the system over an interval is its increase
// divided by the interval.
func (s *Service) RequestTime() time.Duration {
	var t time.Duration
	for _, in := range s.inst {
		t += in.RequestTime()
	}
	return t
}

// WorkTime returns the integral over time of the workers doing work (not
// paused) at every instance the service ever had.
func (s *Service) WorkTime() time.Duration {
	var t time.Duration
	for _, in := range s.inst {
		t += in.BusyTime()
	}
	return t
}

// InService returns the number of requests held by workers, over all
// instances.
func (s *Service) InService() int {
	n := 0
	for _, in := range s.inst {
		n += in.InService()
	}
	return n
}

// Up returns the number of live instances (see Instance.Live) whose
// process is running.
func (s *Service) Up() int {
	n := 0
	for _, in := range s.inst {
		if in.Up() && in.Live() {
			n++
		}
	}
	return n
}

// BusyTime returns instance i's total worker-busy time so far (see
// Instance.BusyTime).
func (s *Service) BusyTime(i int) time.Duration { return s.inst[i].BusyTime() }

// Stats returns the instances' counters summed.
func (s *Service) Stats() InstanceStats {
	var t InstanceStats
	for _, in := range s.inst {
		st := in.Stats()
		t.Received += st.Received
		t.Served += st.Served
		t.Rejected += st.Rejected
		t.Reset += st.Reset
		t.Failed += st.Failed
		t.Expired += st.Expired
		t.Limited += st.Limited
	}
	return t
}
