package service

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// Event kinds of a caller's handler; replies come as KindReply.
const (
	kindCallTimeout uint32 = 1 // op A's attempt has run out of time
	kindCallRetry   uint32 = 2 // op A's back-off is over
)

// CallStats counts what one instance's calls to one dependency did. Sums
// over instances come from Service.CallStats.
type CallStats struct {
	Calls          int64 // logical calls started
	Attempts       int64 // attempts sent, retries included
	Retries        int64 // retries sent
	RetriesDenied  int64 // retries the budget or throttle refused
	OK             int64 // calls that succeeded
	Failed         int64 // calls that failed (with or without a fallback)
	Timeouts       int64 // attempts that ran out of time
	ShortCircuited int64 // attempts an open breaker refused
	RateLimited    int64 // attempts the rate limiter refused
	BulkheadFull   int64 // attempts the bulkhead refused
	Fallbacks      int64 // failed calls answered by the fallback
	Rerouted       int64 // failed calls sent on to their fallback_to service
	MeshRetries    int64 // retries made by the caller's sidecar
	Ejections      int64 // instances outlier detection ejected
	// Violations counts broken promises of the policies, checked as the
	// calls run: a half-open breaker admitting more trials than
	// max_requests, a bulkhead holding more calls than max_concurrent.
	// Always 0 unless a policy is wrong.
	Violations int64
}

func (s *CallStats) add(o CallStats) {
	s.Calls += o.Calls
	s.Attempts += o.Attempts
	s.Retries += o.Retries
	s.RetriesDenied += o.RetriesDenied
	s.OK += o.OK
	s.Failed += o.Failed
	s.Timeouts += o.Timeouts
	s.ShortCircuited += o.ShortCircuited
	s.RateLimited += o.RateLimited
	s.BulkheadFull += o.BulkheadFull
	s.Fallbacks += o.Fallbacks
	s.Rerouted += o.Rerouted
	s.MeshRetries += o.MeshRetries
	s.Ejections += o.Ejections
	s.Violations += o.Violations
}

// dependency is one instance's view of one Call: its policies and counts.
type dependency struct {
	cfg          Call
	target       *Service
	bal          balance.Balancer
	retry        *resilience.Retrier // nil: no retries
	breaker      *resilience.Breaker
	window       *resilience.WindowBreaker
	bulkhead     *resilience.Bulkhead
	waiting      []int32 // ops waiting for a bulkhead slot, oldest first
	limiter      *resilience.RateLimiter
	outlier      *balance.Outlier // nil: no outlier detection
	stats        CallStats
	reroute      int32 // the dependency of cfg.FallbackTo, or -1
	compensation int32 // the dependency of cfg.Compensate, or -1
	endpoint     int32 // the callee's endpoint of cfg.Endpoint, or -1 to draw one by weight

	halfOpenGen    uint64 // the half-open generation being counted
	halfOpenTrials uint32 // trials admitted in it
}

// checkHalfOpen counts an attempt the consecutive breaker admitted in
// generation gen, and a violation if a half-open breaker admitted more
// trials than its max_requests.
func (d *dependency) checkHalfOpen(now sim.Time, gen uint64) {
	if d.breaker.State(now) != resilience.StateHalfOpen {
		return
	}
	if gen != d.halfOpenGen {
		d.halfOpenGen, d.halfOpenTrials = gen, 0
	}
	d.halfOpenTrials++
	if d.halfOpenTrials > d.breaker.Config().MaxRequests {
		d.stats.Violations++
	}
}

// fan is the state of one held request's calls: which worker holds it,
// under which token, and how its calls have ended so far.
type fan struct {
	list     callList // the calls the request's endpoint makes
	token    uint32
	req      Request
	deadline sim.Time // 0: none
	ok, bad  int
	done     bool
	saga     int32 // the saga in the ledger, in call_mode saga
	unsure   int   // saga: the step that timed out (its outcome unknown), or -1
}

// op is one logical call (its attempts) in flight. Its ID is its slot's
// handle in caller.ops, reissued for every attempt, so that an answer to
// an attempt that has ended matches nothing.
type op struct {
	waiting   bool // for a bulkhead slot
	sent      bool // the current attempt is on the wire
	worker    int32
	token     uint32
	dep       int32
	attempt   int32
	inst      int32
	started   sim.Time // the current attempt's start, for slow calls
	expires   sim.Time // the current attempt's timeout
	brGen     uint64   // the breaker generation that admitted the attempt
	breaker   bool     // the consecutive breaker admitted the attempt
	window    bool     // the sliding-window breaker admitted the attempt
	timer     sim.Timer
	backoff   time.Duration
	deadline  sim.Time // the request's, 0 for none
	rerouted  bool     // the op is a failed call's fallback_to call
	span      int      // the current attempt's span, 0 if untraced
	compStep  int16    // saga: the step this op compensates, -1 for a step
	endpoint  int32    // the callee's endpoint, the same for every attempt
	wire      bool     // a request of the attempt is on the wire
	meshTries int8     // the sidecar's retries of the current attempt
}

// caller makes one instance's calls. It is a sim.Handler registered as
// "service/<name>/instance-<i>/calls" on the instance's node.
type caller struct {
	in   *Instance
	k    *sim.Kernel
	id   sim.HandlerID
	name string
	mode string
	rng  *rand.Rand
	// deps holds the calls of lists[0] (the service's), then each
	// endpoint's own, then the fallback_to and compensate targets.
	deps  []*dependency
	lists []callList
	// listOf is the index in lists of each endpoint's calls; nil for a
	// service without endpoints.
	listOf []int32
	epRng  *rand.Rand // draws the callee's endpoint of calls that name none, nil if none do
	fans   []fan      // per worker

	mesh        *MeshConfig // nil: no sidecars
	meshRng     *rand.Rand
	meshBackoff resilience.Retry
	ops         sim.Slab[op]
}

// callList is one list of calls a request makes, deps[first:first+n]:
// the service's, or an endpoint's own.
type callList struct {
	first, n int32
	need     int32 // parallel: successes that answer the request
}

// primary is a call of one of a caller's lists, as configured.
type primary struct {
	field  string // its path: calls[i] or endpoints[e].calls[i]
	stream string // the prefix of its streams
	call   Call
}

// primaries lists the calls of the service, then each endpoint's own,
// in the order of the caller's deps, with the lists they form.
func primaries(name string, cfg *Config) ([]primary, []callList, []int32) {
	var out []primary
	list := func(field, stream string, calls []Call) callList {
		l := callList{first: int32(len(out)), n: int32(len(calls)), need: int32(len(calls))}
		if cfg.CallQuorum > 0 {
			l.need = int32(min(cfg.CallQuorum, len(calls)))
		}
		for i, call := range calls {
			out = append(out, primary{field: fmt.Sprintf("%scalls[%d]", field, i), stream: stream, call: call})
		}
		return l
	}
	lists := []callList{list("", name, cfg.Calls)}
	var listOf []int32
	for e, ep := range cfg.Endpoints {
		if ep.Calls == nil {
			listOf = append(listOf, 0)
			continue
		}
		listOf = append(listOf, int32(len(lists)))
		lists = append(lists, list(fmt.Sprintf("endpoints[%d].", e), name+"/"+ep.Name, ep.Calls))
	}
	return out, lists, listOf
}

// newCaller builds the calls of instance in to the services targets
// names (each validated by Config.Validate).
func newCaller(in *Instance, cfg *Config, targets func(string) *Service) (*caller, error) {
	name := in.name + "/calls"
	c := &caller{in: in, k: in.k, name: name, mode: cfg.CallMode, fans: make([]fan, len(in.workers))}
	prims, lists, listOf := primaries(name, cfg)
	c.lists, c.listOf = lists, listOf
	if cfg.CallMode == Route {
		c.rng = in.k.Stream(name + "/route")
	}
	if m := in.owner.mesh; m != nil {
		c.mesh, c.meshRng, c.meshBackoff = m, in.k.Stream(name+"/mesh"), envoyBackoff
	}
	for _, p := range prims {
		d, err := newDependency(in.k, p.stream, p.field, p.call, targets(p.call.Service))
		if err != nil {
			return nil, err
		}
		c.deps = append(c.deps, d)
	}
	for i, p := range prims {
		if p.call.FallbackTo == "" {
			continue
		}
		// The fallback call is plain: the failed call's timeout, no policies.
		fb := Call{Service: p.call.FallbackTo, Balancer: p.call.Balancer, Timeout: p.call.Timeout}
		d, err := newDependency(in.k, p.stream+"/fallback", p.field+".fallback_to", fb, targets(p.call.FallbackTo))
		if err != nil {
			return nil, err
		}
		c.deps[i].reroute = int32(len(c.deps))
		c.deps = append(c.deps, d)
	}
	for i, p := range prims {
		if p.call.Compensate == "" {
			continue
		}
		// The compensation retries as the step does.
		comp := Call{Service: p.call.Compensate, Balancer: p.call.Balancer, Timeout: p.call.Timeout, Retry: p.call.Retry.Clone()}
		d, err := newDependency(in.k, p.stream+"/compensate", p.field+".compensate", comp, targets(p.call.Compensate))
		if err != nil {
			return nil, err
		}
		c.deps[i].compensation = int32(len(c.deps))
		c.deps = append(c.deps, d)
	}
	for _, d := range c.deps {
		if d.endpoint < 0 && len(d.target.Endpoints()) > 1 {
			c.epRng = in.k.Stream(name + "/endpoint")
			break
		}
	}
	c.id = in.k.Register(name, c)
	return c, nil
}

// list returns the calls a request for endpoint e makes.
func (c *caller) list(e int) callList {
	if c.listOf == nil {
		return c.lists[0]
	}
	return c.lists[c.listOf[e]]
}

// makes reports whether a request for endpoint e makes calls.
func (c *caller) makes(e int) bool { return c.list(e).n > 0 }

// calleeEndpoint is the endpoint of the callee a call to d goes to: the
// one its config names, else one drawn by the callee's weights.
func (c *caller) calleeEndpoint(d *dependency) int32 {
	if d.endpoint >= 0 {
		return d.endpoint
	}
	return int32(PickEndpoint(d.target.Endpoints(), c.epRng))
}

func newDependency(k *sim.Kernel, prefix, field string, call Call, target *Service) (*dependency, error) {
	if target == nil {
		return nil, fieldErr(field+".service", "no service is named %q", call.Service)
	}
	d := &dependency{cfg: call, target: target, reroute: -1, compensation: -1, endpoint: -1}
	if call.Endpoint != "" {
		if d.endpoint = int32(target.cfg.EndpointIndex(call.Endpoint)); d.endpoint < 0 {
			return nil, fieldErr(field+".endpoint", "service %q has no endpoint %q", call.Service, call.Endpoint)
		}
	}
	stream := fmt.Sprintf("%s/%s", prefix, call.Service)
	bal, err := balance.New(call.Balancer, target.Len(), k.Stream(stream+"/balancer"))
	if err != nil {
		return nil, err
	}
	d.bal = bal
	if call.OutlierDetection != nil {
		d.outlier = balance.NewOutlier(*call.OutlierDetection, k.Now())
	}
	if d.retry, err = resilience.NewRetrier(call.Retry, k.Stream(stream+"/retry")); err != nil {
		return nil, under(field+".retry", err)
	}
	if call.Breaker != nil {
		if d.breaker, err = resilience.NewBreaker(*call.Breaker, k.Now()); err != nil {
			return nil, under(field+".breaker", err)
		}
	}
	if call.WindowBreaker != nil {
		if d.window, err = resilience.NewWindowBreaker(*call.WindowBreaker); err != nil {
			return nil, under(field+".window_breaker", err)
		}
	}
	if call.Bulkhead != nil {
		if d.bulkhead, err = resilience.NewBulkhead(*call.Bulkhead); err != nil {
			return nil, under(field+".bulkhead", err)
		}
	}
	if call.RateLimit != nil {
		if d.limiter, err = resilience.NewRateLimiter(*call.RateLimit); err != nil {
			return nil, under(field+".rate_limit", err)
		}
	}
	return d, nil
}

// HandleEvent implements sim.Handler.
func (c *caller) HandleEvent(ev sim.Event) {
	switch ev.Kind {
	case KindReply:
		rep := DecodeReply(ev)
		if slot, ok := c.lookup(rep.ID); ok && c.ops.At(slot).wire {
			if c.meshRetry(slot, rep.Status) {
				return
			}
			c.k.Cancel(c.ops.At(slot).timer)
			c.attemptEnded(slot, outcomeOf(rep.Status))
		}
	case kindMeshRetry:
		if slot, ok := c.lookup(ev.A); ok {
			c.deps[c.ops.At(slot).dep].stats.Attempts++
			c.dispatch(slot)
		}
	case kindMeshSend:
		if slot, ok := c.lookup(ev.A); ok && c.ops.At(slot).wire {
			o := c.ops.At(slot)
			SendRequest(c.in.net, c.in.node, c.id, c.deps[o.dep].target.Instance(int(o.inst)), int(o.endpoint), ev.A)
		}
	case kindCallTimeout:
		if slot, ok := c.lookup(ev.A); ok {
			c.timedOut(slot)
		}
	case kindCallRetry:
		if slot, ok := c.lookup(ev.A); ok {
			c.ops.At(slot).attempt++
			c.deps[c.ops.At(slot).dep].stats.Retries++
			c.try(slot)
		}
	default:
		panic(fmt.Sprintf("%s: unknown event kind %d", c.name, ev.Kind))
	}
}

// KindName implements sim.KindNamer.
func (c *caller) KindName(kind uint32) string {
	switch kind {
	case KindReply:
		return "reply"
	case kindCallTimeout:
		return "call-timeout"
	case kindCallRetry:
		return "call-retry"
	case kindMeshRetry:
		return "mesh-retry"
	case kindMeshSend:
		return "mesh-send"
	}
	return fmt.Sprintf("kind%d", kind)
}

// outcomeOf is how a caller counts each answer.
func outcomeOf(st Status) results.Outcome {
	switch st {
	case StatusOK:
		return results.OK
	case StatusRejected:
		return results.Rejected
	case StatusExpired:
		return results.Timeout
	}
	return results.Error
}

// begin starts the calls of request r, held by worker w under token.
func (c *caller) begin(w int32, token uint32, r Request) {
	f := fan{list: c.list(r.Endpoint), token: token, req: r}
	if d, ok := c.in.deadlines.Of(r); ok && c.in.honor {
		f.deadline = d
	}
	c.fans[w] = f
	switch c.mode {
	case Parallel:
		for d := range f.list.n {
			c.start(w, f.list.first+d)
		}
	case Route:
		c.start(w, c.route(f.list))
	case Saga:
		c.sagaBegin(w)
	default:
		c.start(w, f.list.first)
	}
}

// route picks the one call of l a request makes, by the calls' weights
// now.
func (c *caller) route(l callList) int32 {
	now := time.Duration(c.k.Now())
	deps := c.deps[l.first : l.first+l.n]
	total := 0.0
	for _, d := range deps {
		total += d.cfg.WeightAt(now)
	}
	x := c.rng.Float64() * total
	for i, d := range deps {
		if x -= d.cfg.WeightAt(now); x < 0 {
			return l.first + int32(i)
		}
	}
	return l.first + l.n - 1 // rounding: the last call with a weight
}

// start begins call d for the request worker w holds.
func (c *caller) start(w, d int32) { c.startOn(w, d, false) }

// startOn begins a call to dependency d; rerouted marks a fallback_to
// call, whose outcome stands for the call that failed.
func (c *caller) startOn(w, d int32, rerouted bool) {
	slot := c.ops.Alloc()
	o := c.ops.At(slot)
	o.worker, o.token, o.dep, o.attempt, o.rerouted = w, c.fans[w].token, d, 1, rerouted
	o.compStep = -1
	o.endpoint = c.calleeEndpoint(c.deps[d])
	o.deadline = c.fans[w].deadline
	c.deps[d].stats.Calls++
	c.try(slot)
}

// try makes the op's current attempt: through the breaker, the rate
// limiter and the bulkhead, then onto the wire with its timer.
func (c *caller) try(slot int32) {
	o := c.ops.At(slot)
	d := c.deps[o.dep]
	now := c.k.Now()
	o.started, o.sent, o.breaker, o.window = now, false, false, false
	if o.deadline != 0 && now >= o.deadline {
		c.callEnded(slot, results.Timeout)
		return
	}
	if d.retry != nil {
		d.retry.Begin(o.attempt)
	}
	if !c.admitBreakers(o, d, now) {
		d.stats.ShortCircuited++
		c.attemptEnded(slot, results.Rejected)
		return
	}
	if d.limiter != nil && !d.limiter.Allow(now) {
		d.stats.RateLimited++
		c.attemptEnded(slot, results.Rejected)
		return
	}
	timeout := d.cfg.Timeout
	if o.deadline != 0 {
		timeout = min(timeout, o.deadline.Sub(now))
	}
	o.expires = now.Add(timeout)
	o.timer = c.k.AfterTimer(timeout, c.id, kindCallTimeout, c.opID(slot), 0)
	if d.bulkhead != nil {
		defer func() {
			if d.bulkhead.Active() > d.bulkhead.Config().MaxConcurrent {
				d.stats.Violations++
			}
		}()
		switch d.bulkhead.Acquire() {
		case resilience.Queued:
			o.waiting = true
			d.waiting = append(d.waiting, slot)
			return
		case resilience.Rejected:
			c.k.Cancel(o.timer)
			d.stats.BulkheadFull++
			c.attemptEnded(slot, results.Rejected)
			return
		}
	}
	c.send(slot)
}

// admitBreakers asks each breaker the call has to admit the attempt.
func (c *caller) admitBreakers(o *op, d *dependency, now sim.Time) bool {
	if d.breaker != nil {
		gen, err := d.breaker.Allow(now)
		if err != nil {
			return false
		}
		o.brGen, o.breaker = gen, true
		d.checkHalfOpen(now, gen)
	}
	if d.window != nil {
		if d.window.Allow(now) != nil {
			if o.breaker { // the other breaker admitted it: tell it nothing happened
				d.breaker.Done(now, o.brGen, true)
				o.breaker = false
			}
			return false
		}
		o.window = true
	}
	return true
}

// send puts the op's attempt on the wire, to the instance the balancer
// picks, leaving its deadline for the callee.
func (c *caller) send(slot int32) {
	o := c.ops.At(slot)
	d := c.deps[o.dep]
	o.sent, o.waiting = true, false
	d.stats.Attempts++
	c.dispatch(slot)
}

// dispatch puts a request of the op's attempt on the wire: to the
// instance the balancer picks, through the mesh's handshake if any.
func (c *caller) dispatch(slot int32) {
	o := c.ops.At(slot)
	d := c.deps[o.dep]
	id := c.opID(slot)
	o.wire = true
	ready := d.target.Ready()
	if len(ready) == 0 { // no endpoint: the connection is refused at once
		o.inst = -1
		c.k.After(0, c.id, KindReply, id, int64(StatusRefused))
		return
	}
	if d.outlier != nil {
		ready = d.outlier.Filter(ready, c.k.Now())
	}
	o.inst = int32(d.bal.Pick(ready))
	if t := c.in.tracer; t != nil {
		parent := t.serverSpan(c.fans[o.worker].req)
		o.span = t.StartClient(parent, c.id, id, c.in.owner.cfg.Name, d.cfg.Service, int(o.attempt), c.k.Now())
	}
	c.in.deadlines.Set(c.id, id, o.expires)
	if c.mode == Saga && c.in.ledger != nil {
		step, comp := int(o.dep), o.compStep >= 0
		if comp {
			step = int(o.compStep)
		}
		c.in.ledger.attempt(c.id, id, c.fans[o.worker].saga, step, comp)
	}
	delay := c.handshake()
	if oh := d.cfg.Overhead; oh > 0 {
		c.in.busyAcc += oh // the caller's cpu, encoding and decoding
		delay += oh
	}
	if delay > 0 {
		c.k.After(delay, c.id, kindMeshSend, id, 0)
		return
	}
	SendRequest(c.in.net, c.in.node, c.id, d.target.Instance(int(o.inst)), int(o.endpoint), id)
}

// timedOut ends the op's attempt at its timer: on the wire, or still
// waiting for a bulkhead slot.
func (c *caller) timedOut(slot int32) {
	o := c.ops.At(slot)
	d := c.deps[o.dep]
	if o.waiting {
		o.waiting = false
		d.bulkhead.Abandon()
		d.waiting = removeSlot(d.waiting, slot)
	}
	d.stats.Timeouts++
	c.attemptEnded(slot, results.Timeout)
}

func removeSlot(s []int32, slot int32) []int32 {
	for i, v := range s {
		if v == slot {
			return append(s[:i], s[i+1:]...)
		}
	}
	return s
}

// attemptEnded settles the op's current attempt with outcome o: the
// balancer, bulkhead and breakers learn of it; then a retry after a
// back-off, or the call's end.
func (c *caller) attemptEnded(slot int32, out results.Outcome) {
	o := c.ops.At(slot)
	d := c.deps[o.dep]
	now := c.k.Now()
	ok := out == results.OK
	c.observeOutlier(o, d, now, ok)
	c.offWire(o, d, now, out.String())
	o.meshTries = 0
	if o.sent {
		o.sent = false
		if d.bulkhead != nil && d.bulkhead.Release() {
			c.send(c.popWaiting(d))
		}
	}
	if o.breaker {
		d.breaker.Done(now, o.brGen, ok)
		o.breaker = false
	}
	if o.window {
		d.window.Done(now, ok, now.Sub(o.started))
		o.window = false
	}
	rt := d.retry
	if rt == nil {
		c.callEnded(slot, out)
		return
	}
	rt.End(o.attempt, out)
	if !rt.Wants(o.attempt, out) {
		c.callEnded(slot, out)
		return
	}
	if !rt.Admit() {
		d.stats.RetriesDenied++
		c.callEnded(slot, out)
		return
	}
	id := c.ops.Reissue(slot) // answers to the attempt that ended no longer match
	o.backoff = rt.Delay(o.attempt, o.backoff)
	c.k.After(o.backoff, c.id, kindCallRetry, int64(id), 0)
}

// observeOutlier tells d's outlier detector how the op's attempt on the
// wire ended.
func (c *caller) observeOutlier(o *op, d *dependency, now sim.Time, ok bool) {
	if d.outlier == nil || !o.wire || o.inst < 0 {
		return
	}
	before := d.outlier.Ejections()
	d.outlier.Observe(int(o.inst), ok, now, len(d.target.Ready()))
	d.stats.Ejections += d.outlier.Ejections() - before
}

// popWaiting removes and returns the oldest op waiting for d's bulkhead.
func (c *caller) popWaiting(d *dependency) int32 {
	slot := d.waiting[0]
	d.waiting = d.waiting[1:]
	return slot
}

// callEnded ends the op with outcome out and tells its request.
func (c *caller) callEnded(slot int32, out results.Outcome) {
	o := c.ops.Take(slot)
	d := c.deps[o.dep]
	success := out == results.OK
	if success {
		d.stats.OK++
	} else {
		d.stats.Failed++
		if d.cfg.Fallback {
			d.stats.Fallbacks++
			success = true
		}
	}
	f := &c.fans[o.worker]
	if f.token != o.token || f.done {
		return // the request is gone (a crash) or already answered
	}
	if c.mode == Saga {
		c.sagaEnded(o, out)
		return
	}
	if !success && d.reroute >= 0 {
		d.stats.Rerouted++
		c.startOn(o.worker, d.reroute, true)
		return
	}
	if c.mode == Route {
		c.answer(o.worker, statusOf(success))
		return
	}
	if success {
		f.ok++
	} else {
		f.bad++
	}
	switch {
	case c.mode == Sequential && !success:
		c.answer(o.worker, StatusError)
	case c.mode == Sequential && f.ok < int(f.list.n):
		c.start(o.worker, f.list.first+int32(f.ok))
	case f.ok >= int(f.list.need):
		c.answer(o.worker, StatusOK)
	case f.bad > int(f.list.n-f.list.need):
		c.answer(o.worker, StatusError)
	}
}

// answer ends the calls of worker w's request with st.
func (c *caller) answer(w int32, st Status) {
	f := &c.fans[w]
	f.done = true
	c.in.callsDone(w, f.token, st)
}

func statusOf(ok bool) Status {
	if ok {
		return StatusOK
	}
	return StatusError
}

func (c *caller) opID(slot int32) int64 { return int64(c.ops.Handle(slot)) }

// lookup returns the slot of op id if its attempt is still current.
func (c *caller) lookup(id int64) (int32, bool) { return c.ops.Lookup(sim.Handle(id)) }

// breakerState is the call's breaker state now: the consecutive-failure
// breaker's if it has one, else the sliding-window one's, else closed.
func (d *dependency) breakerState(now sim.Time) resilience.State {
	s := resilience.StateClosed
	if d.breaker != nil {
		s = d.breaker.State(now)
	}
	if d.window != nil && s == resilience.StateClosed {
		s = d.window.State(now)
	}
	return s
}

// Connect gives the service its dependencies and the world's deadline
// table: every instance, and every instance scaling adds later, gets its
// own calls to the services cfg.Calls names, found by targets. Call it
// once, after every service exists; deadlines may be nil when no service
// honours deadlines.
func (s *Service) Connect(targets func(name string) *Service, deadlines *Deadlines) error {
	s.targets, s.deadlines = targets, deadlines
	for _, in := range s.inst {
		if err := s.connect(in); err != nil {
			return err
		}
	}
	return nil
}

// connect sets up instance in's deadlines and calls.
func (s *Service) connect(in *Instance) error {
	in.deadlines, in.honor, in.tracer, in.ledger = s.deadlines, s.cfg.HonorDeadlines, s.tracer, s.ledger
	if !s.cfg.makesCalls() || s.targets == nil {
		return nil
	}
	c, err := newCaller(in, &s.cfg, s.targets)
	if err != nil {
		return err
	}
	in.calls = c
	return nil
}

// CallRef is one of a service's calls, as CallRefs lists them.
type CallRef struct {
	// Endpoint is the endpoint whose own call it is, "" for a call of
	// the service's calls.
	Endpoint string
	Call     Call
}

// CallRefs lists the service's calls: cfg.Calls, then each endpoint's own
// calls, in order. The d-th is the d of CallStats and BreakerOpenness.
func (s *Service) CallRefs() []CallRef {
	var out []CallRef
	for _, c := range s.cfg.Calls {
		out = append(out, CallRef{Call: c})
	}
	for _, e := range s.cfg.Endpoints {
		for _, c := range e.Calls {
			out = append(out, CallRef{Endpoint: e.Name, Call: c})
		}
	}
	return out
}

// CallStats returns the counts of the service's calls to its d-th
// dependency (CallRefs()[d]; cfg.Calls[d] for d < len(cfg.Calls)), summed
// over its instances.
func (s *Service) CallStats(d int) CallStats {
	var t CallStats
	for _, in := range s.inst {
		if in.calls != nil {
			t.add(in.calls.deps[d].stats)
		}
	}
	return t
}

// BreakerOpenness returns the state of the breakers on the service's
// calls to its d-th dependency (as in CallStats), averaged over its live instances: 0 when
// all are closed, 1 when all are open, a half-open breaker counting 1/2.
// It is 0 for a call without a breaker.
func (s *Service) BreakerOpenness(d int) float64 {
	now := s.k.Now()
	sum, n := 0.0, 0
	for _, in := range s.inst {
		if in.calls == nil || !in.Live() {
			continue
		}
		n++
		switch in.calls.deps[d].breakerState(now) {
		case resilience.StateOpen:
			sum++
		case resilience.StateHalfOpen:
			sum += 0.5
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}
