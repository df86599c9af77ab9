package service

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/sim"
)

// kindDone is an instance's own event: worker A finished its request.
const kindDone uint32 = 2

// Instance is one process of a service: workers, a queue and a state (up,
// paused, down). It is a sim.Handler registered as
// "service/<name>/instance-<i>".
type Instance struct {
	k    *sim.Kernel
	net  *sim.Network
	name string
	node sim.NodeID
	id   sim.HandlerID
	r    *rand.Rand
	svc  sim.Dist
	// epSvc is each endpoint's service time, nil when svc serves every
	// request (no endpoints, or a new version with its own service time).
	epSvc []sim.Dist

	limit      int                                    // queue limit, 0 = unbounded
	lifo       bool                                   // serve the newest waiting request first
	dropOldest bool                                   // a full queue sheds its oldest request for a new one
	errorRate  float64                                // share of requests failed after the work
	limiter    *resilience.RateLimiter                // admission, nil for none
	perClient  map[sim.NodeID]*resilience.RateLimiter // with rate_limit_per_client (lookup only)
	reqBytes   int
	respBytes  int

	workers []worker
	idle    []int32 // indices of idle workers, a stack
	waiting queue
	tokens  uint32 // numbers the requests workers take, for callsDone

	// Calls to other services (calls.go): nil for a leaf service.
	calls *caller
	// deadlines is where callers leave their deadlines; honor makes the
	// instance drop requests whose deadline has passed.
	deadlines *Deadlines
	honor     bool
	tracer    *Tracer // nil: no tracing
	ledger    *Ledger // saga effects, nil: none recorded

	down, paused bool

	// Lifecycle as the service scales (lifecycle.go).
	owner   *Service
	index   int
	phase   phase
	gen     int64    // changes at every launch and stop: stale timers are ignored
	inbound int      // requests sent to the instance and not yet arrived
	started sim.Time // when the process was launched
	readyAt sim.Time // when it last became ready

	// Worker-busy time is the integral of running (busy workers that are
	// not paused) over time: busyAcc up to busySince, plus running since.
	running   int
	busyAcc   time.Duration
	busySince sim.Time

	// Request time is the integral of requests present (waiting or in
	// service) over time: the concurrency a Knative queue-proxy reports.
	present  int
	reqAcc   time.Duration
	reqSince sim.Time

	health  health // probes and restarts (health.go)
	version uint8  // 0 the service's version, 1 its rollout's (rollout.go)

	stats InstanceStats
}

// worker is one slot of an instance's pool.
type worker struct {
	busy    bool
	calling bool   // its own work done, waiting for its calls
	pending bool   // calls ended while the process was paused
	result  Status // their outcome, if pending
	token   uint32 // which request: calls that end for another are ignored
	req     Request
	doneAt  sim.Time      // when the request finishes, if not paused
	timer   sim.Timer     // its kindDone event
	left    time.Duration // service time still owed, while paused
}

// InstanceStats counts what an instance did with the requests it
// received.
type InstanceStats struct {
	Received int64 // requests delivered to the instance
	Served   int64 // answered StatusOK
	Rejected int64 // answered StatusRejected: the queue was full
	Reset    int64 // answered StatusReset: down on arrival, or lost in a crash
	Failed   int64 // answered StatusError: a call it depends on failed
	Expired  int64 // answered StatusExpired: its caller's deadline had passed
	Limited  int64 // answered StatusRejected by the rate limiter
}

func newInstance(k *sim.Kernel, net *sim.Network, cfg *Config, svc sim.Dist, i int) *Instance {
	name := fmt.Sprintf("service/%s/instance-%d", cfg.Name, i)
	in := &Instance{
		k: k, net: net, name: name, svc: svc,
		node:       net.AddNode(fmt.Sprintf("%s-%d", cfg.Name, i)),
		r:          k.Stream(name),
		limit:      cfg.QueueLimit,
		dropOldest: cfg.Overflow == OverflowDropOldest,
		errorRate:  cfg.ErrorRate,
		lifo:       cfg.Discipline == "lifo",
		reqBytes:   cfg.RequestBytes,
		respBytes:  cfg.ResponseBytes,
		workers:    make([]worker, cfg.Workers),
		idle:       make([]int32, 0, cfg.Workers),
	}
	in.resetIdle()
	if cfg.RateLimit != nil {
		in.limiter, _ = resilience.NewRateLimiter(*cfg.RateLimit) // validated with cfg
		if cfg.RateLimitPerClient {
			in.perClient = map[sim.NodeID]*resilience.RateLimiter{}
		}
	}
	in.id = k.Register(name, in)
	return in
}

// resetIdle marks every worker idle; worker 0 is taken first.
func (in *Instance) resetIdle() {
	in.idle = in.idle[:0]
	for w := len(in.workers) - 1; w >= 0; w-- {
		in.idle = append(in.idle, int32(w))
	}
}

// Name returns the instance's handler and stream name.
func (in *Instance) Name() string { return in.name }

// Node returns the instance's network node.
func (in *Instance) Node() sim.NodeID { return in.node }

// Handler returns the instance's handler, which receives KindRequest.
func (in *Instance) Handler() sim.HandlerID { return in.id }

// Up reports whether the process is running (it may be paused).
func (in *Instance) Up() bool { return !in.down }

// Paused reports whether the process is paused.
func (in *Instance) Paused() bool { return in.paused }

// QueueLen returns the number of requests waiting.
func (in *Instance) QueueLen() int { return in.waiting.len() }

// InService returns the number of requests held by workers, paused or not.
func (in *Instance) InService() int { return len(in.workers) - len(in.idle) }

// Stats returns the instance's counters since it was created.
func (in *Instance) Stats() InstanceStats { return in.stats }

// BusyTime returns the total worker-busy time so far: the integral over
// time of the number of workers doing work (time paused does not count).
// Utilisation over a run is BusyTime / (workers · elapsed).
func (in *Instance) BusyTime() time.Duration {
	return in.busyAcc + time.Duration(in.running)*in.k.Now().Sub(in.busySince)
}

// setRunning records that n workers are doing work from now on.
func (in *Instance) setRunning(n int) {
	now := in.k.Now()
	in.busyAcc += time.Duration(in.running) * now.Sub(in.busySince)
	in.busySince, in.running = now, n
}

// HandleEvent implements sim.Handler.
func (in *Instance) HandleEvent(ev sim.Event) {
	if IsRequest(ev.Kind) {
		in.arrive(DecodeRequest(ev))
		return
	}
	switch ev.Kind {
	case kindDone:
		in.done(int(ev.A))
	case kindReady:
		if ev.A == in.gen {
			in.becomeReady()
		}
	case kindGrace:
		if ev.A == in.gen {
			in.stop()
		}
	case kindRestart:
		if ev.A == in.gen && in.down {
			in.restartDue(in.owner.cfg.Restart)
		}
	default:
		panic(fmt.Sprintf("%s: unknown event kind %d", in.name, ev.Kind))
	}
}

// KindName implements sim.KindNamer.
func (in *Instance) KindName(kind uint32) string {
	if IsRequest(kind) {
		return "request"
	}
	switch kind {
	case kindDone:
		return "done"
	case kindReady:
		return "ready"
	case kindGrace:
		return "grace"
	case kindRestart:
		return "restart"
	}
	return fmt.Sprintf("kind%d", kind)
}

func (in *Instance) arrive(r Request) {
	in.tracer.arrive(r, in.owner.cfg.Name, in.endpointName(r), in.net.Name(in.node), in.k.Now())
	in.stats.Received++
	in.inbound = max(0, in.inbound-1)
	switch {
	case in.down || in.phase == phaseStopped:
		in.stats.Reset++
		in.sendReply(r, StatusReset)
	case !in.admit(r):
		in.stats.Limited++
		in.sendReply(r, StatusRejected)
	case !in.paused && len(in.idle) > 0:
		in.start(r)
	case in.limit == 0 || in.waiting.len() < in.limit:
		in.waiting.push(r)
		in.setPresent(in.present + 1)
	case in.dropOldest:
		// Shed the request that has waited longest: it is the likeliest
		// to be past its caller's deadline already.
		in.stats.Rejected++
		in.sendReply(in.waiting.popOldest(), StatusRejected)
		in.waiting.push(r)
	default:
		in.stats.Rejected++
		in.sendReply(r, StatusRejected)
		in.stopIfDrained()
	}
}

// start hands r to an idle worker, drawing its service time; a request
// whose caller's deadline has passed is answered StatusExpired instead,
// if the instance honours deadlines.
func (in *Instance) start(r Request) {
	if in.expired(r) {
		in.stats.Expired++
		in.sendReply(r, StatusExpired)
		return
	}
	in.tracer.started(r, in.k.Now())
	w := in.idle[len(in.idle)-1]
	in.idle = in.idle[:len(in.idle)-1]
	in.tokens++
	in.workers[w] = worker{busy: true, req: r, token: in.tokens}
	in.arm(w, in.coldStart(sim.Seconds(in.serviceTime(r).Sample(in.r)))) // coldstart.go
	in.setRunning(in.running + 1)
	in.setPresent(in.present + 1)
}

// endpointName is the name of r's endpoint, "" for a service without
// endpoints.
func (in *Instance) endpointName(r Request) string {
	if eps := in.owner.cfg.Endpoints; len(eps) > 0 {
		return eps[r.Endpoint].Name
	}
	return ""
}

// serviceTime is the distribution of r's service time: its endpoint's,
// or the instance's.
func (in *Instance) serviceTime(r Request) sim.Dist {
	if in.epSvc != nil {
		return in.epSvc[r.Endpoint]
	}
	return in.svc
}

// expired reports whether r's caller has given up on it, as far as the
// instance can tell.
func (in *Instance) expired(r Request) bool {
	if !in.honor {
		return false
	}
	d, ok := in.deadlines.Of(r)
	return ok && in.k.Now() >= d
}

// arm schedules worker w to finish after d.
func (in *Instance) arm(w int32, d time.Duration) {
	wk := &in.workers[w]
	wk.doneAt = in.k.Now().Add(d)
	wk.timer = in.k.AfterTimer(d, in.id, kindDone, int64(w), 0)
}

// done ends worker w's own work: the request is answered, or, for a
// service with calls, waits for them while the worker stays held (a
// thread blocked on I/O: it uses no CPU but serves nobody else).
func (in *Instance) done(w int) {
	wk := &in.workers[w]
	in.setRunning(in.running - 1)
	if in.errorRate > 0 && in.r.Float64() < in.errorRate {
		in.finish(w, StatusError)
		return
	}
	if in.calls != nil && in.calls.makes(wk.req.Endpoint) {
		wk.calling = true
		in.calls.begin(int32(w), wk.token, wk.req)
		return
	}
	in.finish(w, StatusOK)
}

// callsDone is the caller's answer for the request worker w held under
// token: the request is answered st, unless the worker has moved on (a
// crash reset it) or the process is paused (then at Resume).
func (in *Instance) callsDone(w int32, token uint32, st Status) {
	wk := &in.workers[w]
	if !wk.busy || !wk.calling || wk.token != token {
		return
	}
	if in.paused {
		wk.pending, wk.result = true, st
		return
	}
	in.finish(int(w), st)
}

// finish answers worker w's request with st and frees the worker.
func (in *Instance) finish(w int, st Status) {
	wk := &in.workers[w]
	r := wk.req
	*wk = worker{}
	in.idle = append(in.idle, int32(w))
	in.setPresent(in.present - 1)
	if st == StatusOK {
		in.stats.Served++
		in.ledger.served(r)
		if in.owner.publisher != nil {
			in.owner.publisher(in.index)
		}
	} else {
		in.stats.Failed++
	}
	in.sendReply(r, st)
	in.startWaiting()
	in.stopIfDrained()
}

// startWaiting gives waiting requests to idle workers, in queue order.
func (in *Instance) startWaiting() {
	for !in.paused && len(in.idle) > 0 && in.waiting.len() > 0 {
		in.setPresent(in.present - 1) // start counts it again
		if in.lifo {
			in.start(in.waiting.popNewest())
		} else {
			in.start(in.waiting.popOldest())
		}
	}
}

// Pause stops the process (SIGSTOP, a stop-the-world GC pause): no work
// starts or finishes until Resume, and each request in service keeps the
// service time it still owes. Requests keep arriving and queue up to the
// queue limit; beyond it they are rejected as usual (the simplification:
// admission is modelled as if done by the host, not the stopped process).
// Pausing a paused or crashed instance does nothing.
func (in *Instance) Pause() {
	if in.down || in.paused {
		return
	}
	in.paused = true
	now := in.k.Now()
	for w := range in.workers {
		if wk := &in.workers[w]; wk.busy && !wk.calling {
			wk.left = wk.doneAt.Sub(now)
			in.k.Cancel(wk.timer)
		}
	}
	in.setRunning(0)
}

// Resume continues a paused process: work in service finishes after the
// time it still owed, then waiting requests start. Resuming an instance
// that is not paused does nothing.
func (in *Instance) Resume() {
	if !in.paused {
		return
	}
	in.paused = false
	running := 0
	for w := range in.workers {
		if wk := &in.workers[w]; wk.busy && !wk.calling {
			in.arm(int32(w), wk.left)
			running++
		}
	}
	in.setRunning(running)
	for w := range in.workers { // calls that ended during the pause
		if wk := &in.workers[w]; wk.pending {
			in.finish(w, wk.result)
		}
	}
	in.startWaiting()
}

// Crash kills the process: every request in service, then every waiting
// one (oldest first), is answered StatusReset, and until Restart every new
// request is answered StatusReset at once. A crash ends a pause. Crashing
// a crashed instance does nothing.
func (in *Instance) Crash() {
	if in.down {
		return
	}
	in.down = true
	in.resetAll()
	in.stopIfDrained()
}

// resetAll answers every request held, in service then waiting (oldest
// first), with StatusReset, and leaves the instance idle and unpaused.
func (in *Instance) resetAll() {
	in.paused = false
	for w := range in.workers {
		if wk := &in.workers[w]; wk.busy {
			if !wk.calling {
				in.k.Cancel(wk.timer)
			}
			in.stats.Reset++
			in.sendReply(wk.req, StatusReset)
			*wk = worker{}
		}
	}
	for in.waiting.len() > 0 {
		in.stats.Reset++
		in.sendReply(in.waiting.popOldest(), StatusReset)
	}
	in.resetIdle()
	in.setRunning(0)
	in.setPresent(0)
}

// Restart brings a crashed process back, idle with an empty queue.
// Restarting an instance that is up does nothing.
func (in *Instance) Restart() { in.down = false }

// admit asks the rate limit, if any, to let request r in: the instance's
// bucket, or its caller's with rate_limit_per_client.
func (in *Instance) admit(r Request) bool {
	if in.limiter == nil {
		return true
	}
	if in.perClient == nil {
		return in.limiter.Allow(in.k.Now())
	}
	l, ok := in.perClient[r.From]
	if !ok {
		l, _ = resilience.NewRateLimiter(in.limiter.Config()) // validated with the service
		in.perClient[r.From] = l
	}
	return l.Allow(in.k.Now())
}
