package service

import "time"

// resizePoll is how often a Resizer looks at the instance it restarts.
// Lifecycle changes have no callback, so the resizer polls; 100 ms is
// small beside any startup or drain.
const resizePoll = 100 * time.Millisecond

// Resizer changes the size (workers per instance) of a service's
// instances by restarting them one at a time, as the Kubernetes VPA's
// updater evicts pods: the instance drains (no new requests; what it
// holds is served, up to DrainGrace), stops, and is launched again at the
// new size, ready after the service's startup. Meanwhile it serves
// nothing; the next instance is resized once it is ready. Create it with
// Service.NewResizer; do not also Scale the service.
type Resizer struct {
	s      *Service
	target int
	cur    *Instance // the instance being restarted, nil when idle
}

// NewResizer returns a resizer whose target is the configured workers.
func (s *Service) NewResizer() *Resizer { return &Resizer{s: s, target: s.cfg.Workers} }

// Target returns the size the resizer brings instances to.
func (r *Resizer) Target() int { return r.target }

// Busy reports whether an instance is being restarted.
func (r *Resizer) Busy() bool { return r.cur != nil }

// Resize sets the target size and starts restarting the instances of
// another size, if not already at it.
func (r *Resizer) Resize(workers int) {
	r.target = max(workers, 1)
	if r.cur == nil {
		r.next()
	}
}

// next drains the lowest-index ready instance of the wrong size, if any.
// Ready instances only: a starting one was launched at the target size.
func (r *Resizer) next() {
	for _, in := range r.s.inst {
		if in.phase == phaseReady && len(in.workers) != r.target {
			r.cur = in
			in.drain()
			r.poll()
			return
		}
	}
	r.cur = nil
}

// poll relaunches the instance once it has stopped, and moves on to the
// next once it is ready.
func (r *Resizer) poll() {
	in := r.cur
	switch in.phase {
	case phaseStopped:
		in.resize(r.target)
		r.s.setLive(r.s.live + 1)
		in.launch(r.s.cfg.Startup)
	case phaseReady:
		r.next()
		return
	}
	if in.phase != phaseReady {
		r.s.k.AfterFunc(resizePoll, r.poll)
		return
	}
	r.next()
}

// resize gives a stopped instance workers idle workers (and as many
// slots for their calls to other services).
func (in *Instance) resize(workers int) {
	in.workers = make([]worker, workers)
	in.idle = make([]int32, 0, workers)
	in.resetIdle()
	if in.calls != nil {
		in.calls.fans = make([]fan, workers)
	}
}

// Workers returns the instance's size: the requests it serves at once.
func (in *Instance) Workers() int { return len(in.workers) }
