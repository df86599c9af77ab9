package load

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// Observer receives each request's outcome when it is known: start is
// the intended start, end the time of the answer or of the deadline (for a
// timeout without retries, exactly start + Timeout). With retries it is
// the logical request's: from the intended start to the end of its last
// attempt, with that attempt's outcome.
type Observer func(start, end sim.Time, o results.Outcome)

// EndpointObserver receives each request's outcome as Observer does, with
// the index of the target's endpoint the request was for.
type EndpointObserver func(endpoint int, start, end sim.Time, o results.Outcome)

// Event kinds of a client's handler (service.KindReply is the fourth),
// and the kind of its trace records.
const (
	kindArrive  uint32 = 1 // open loop: the next arrival is due
	kindWake    uint32 = 2 // closed loop: user A has finished thinking
	kindTimeout uint32 = 3 // request A's deadline (of its current attempt)
	kindOutcome uint32 = 4 // record: A the latency in ns, B the outcome
	kindRetry   uint32 = 5 // request A's back-off is over; as a record: A the attempt, B the time since the intended start in ns
)

// maxOutcomes bounds the outcome counters; results.Outcome has five.
const maxOutcomes = 8

// Client is a load generator on its own node. Create it with NewClient,
// then call Start once.
type Client struct {
	k       *sim.Kernel
	net     *sim.Network
	node    sim.NodeID
	id      sim.HandlerID
	name    string
	cfg     Config
	target  *service.Service
	bal     balance.Balancer
	observe Observer
	byEp    EndpointObserver // nil: none

	endpoints *rand.Rand // draws each request's endpoint, nil if the target has none

	arrivals  *rand.Rand // open loop
	think     *rand.Rand // closed loop
	thinkTime sim.Dist
	max       float64 // the schedule's Max, the thinning rate

	started bool
	until   sim.Time

	retry    *resilience.Retrier // nil: no retries
	outlier  *balance.Outlier    // nil: no outlier detection
	attempts int64               // attempts sent, first ones included
	retries  int64               // retries sent
	denied   int64               // retries the policy wanted but the budget or throttle refused

	deadlines *service.Deadlines // where each attempt's deadline is left, or nil
	tracer    *service.Tracer    // nil: no traces
	sample    float64            // share of requests traced
	traceRng  *rand.Rand

	reqs        sim.Slab[request] // requests in flight; a request's ID is its handle
	outstanding int
	sent        int64
	counts      [maxOutcomes]int64
}

// request is one request in flight. Its ID is its slot's handle in
// Client.reqs, reissued when the request retries, so an answer that comes
// after its attempt ended (a reply after the timeout) matches neither the
// slot's next user nor the request's next attempt.
type request struct {
	inst    int32    // instance picked by the balancer for the current attempt
	user    int32    // closed-loop user, or -1
	ep      int32    // the target's endpoint, the same for every attempt
	attempt int32    // the current attempt, 1 for the first
	start   sim.Time // intended start
	timer   sim.Timer
	backoff time.Duration // the last back-off delay, for decorrelated jitter
	root    int           // the request's trace span, 0 if not sampled
	span    int           // the current attempt's span
}

// NewClient creates the load generator name on node, calling target
// (which must be the service cfg.Target names) with the policy
// cfg.Balancer. Zero fields of cfg take their defaults before it is
// validated. Its handler is "load/<name>"; observe, which may be nil,
// receives every outcome.
func NewClient(k *sim.Kernel, net *sim.Network, node sim.NodeID, name string, cfg Config,
	target *service.Service, observe Observer) (*Client, error) {
	cfg = cfg.clone()
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if target == nil || target.Name() != cfg.Target {
		return nil, invalid("target", "the client is configured for %q but was given %s", cfg.Target, describe(target))
	}
	prefix := "load/" + name
	bal, err := balance.New(cfg.Balancer, target.Len(), k.Stream(prefix+"/balancer"))
	if err != nil {
		return nil, err
	}
	if observe == nil {
		observe = func(sim.Time, sim.Time, results.Outcome) {}
	}
	c := &Client{k: k, net: net, node: node, name: name, cfg: cfg, target: target, bal: bal, observe: observe}
	if cfg.OutlierDetection != nil {
		c.outlier = balance.NewOutlier(*cfg.OutlierDetection, k.Now())
	}
	if cfg.Open != nil {
		c.arrivals, c.max = k.Stream(prefix+"/arrivals"), cfg.Open.Max()
	} else {
		c.think = k.Stream(prefix + "/think")
		c.thinkTime, _ = cfg.Closed.build() // validated above
	}
	if len(target.Endpoints()) > 0 {
		c.endpoints = k.Stream(prefix + "/endpoint")
	}
	if cfg.Retry != nil {
		if c.retry, err = resilience.NewRetrier(cfg.Retry, k.Stream(prefix+"/retry")); err != nil {
			return nil, err
		}
	}
	c.id = k.Register(prefix, c)
	return c, nil
}

// clone copies the schedule or closed loop, so that defaults never write
// into the caller's.
func (c Config) clone() Config {
	if c.Open != nil {
		o := *c.Open
		c.Open = &o
	}
	if c.Closed != nil {
		cl := *c.Closed
		c.Closed = &cl
	}
	c.Retry = c.Retry.Clone()
	return c
}

func describe(s *service.Service) string {
	if s == nil {
		return "no service"
	}
	return fmt.Sprintf("service %q", s.Name())
}

// UseBalancer replaces the balancer built from Config.Balancer, e.g. by an
// instrumented one in a test. It must be called before Start.
func (c *Client) UseBalancer(b balance.Balancer) {
	if c.started {
		panic("load: UseBalancer after Start")
	}
	c.bal = b
}

// UseDeadlines makes the client leave each attempt's deadline (its start
// plus Timeout) in d, as a gRPC client propagates its deadline, for
// services that honour deadlines.
func (c *Client) UseDeadlines(d *service.Deadlines) { c.deadlines = d }

// UseTracer makes the client trace a share sample of its requests, drawn
// from its own stream "load/<name>/trace" (so tracing changes no other
// draw).
func (c *Client) UseTracer(t *service.Tracer, sample float64) {
	c.tracer, c.sample = t, sample
	c.traceRng = c.k.Stream("load/" + c.name + "/trace")
}

// ObserveEndpoints makes the client tell fn the outcome of every request
// with its endpoint, besides the Observer.
func (c *Client) ObserveEndpoints(fn EndpointObserver) { c.byEp = fn }

// Name returns the client's name.
func (c *Client) Name() string { return c.name }

// Node returns the client's node.
func (c *Client) Node() sim.NodeID { return c.node }

// Start schedules the client's requests: arrivals (open loop) or users'
// requests (closed loop) whose intended start is in [now, until). Requests
// still in flight at until run to their outcome, which the timeout bounds.
// It must be called once.
func (c *Client) Start(until sim.Time) {
	if c.started {
		panic("load: Start called twice")
	}
	c.started, c.until = true, until
	if c.cfg.Open != nil {
		c.scheduleArrival(c.k.Now())
		return
	}
	for u := range c.cfg.Closed.Users {
		c.thinkThenSend(int32(u))
	}
}

// Outstanding returns the number of requests in flight.
func (c *Client) Outstanding() int { return c.outstanding }

// Sent returns the number of requests sent so far.
func (c *Client) Sent() int64 { return c.sent }

// Attempts returns the number of attempts sent so far, first ones and
// retries.
func (c *Client) Attempts() int64 { return c.attempts }

// Retries returns the number of retries sent so far.
func (c *Client) Retries() int64 { return c.retries }

// RetriesDenied returns the number of retries the policy called for but
// the retry budget or throttle refused.
func (c *Client) RetriesDenied() int64 { return c.denied }

// Config returns the client's configuration, defaults filled.
func (c *Client) Config() Config { return c.cfg }

// Ejections returns how many instances the client's outlier detection
// ejected (0 without it).
func (c *Client) Ejections() int64 {
	if c.outlier == nil {
		return 0
	}
	return c.outlier.Ejections()
}

// Amplification is attempts per logical request sent: 1 without retries,
// up to max_attempts. It is 0 before the first request.
func (c *Client) Amplification() float64 {
	if c.sent == 0 {
		return 0
	}
	return float64(c.attempts) / float64(c.sent)
}

// Count returns the number of requests that ended with outcome o.
func (c *Client) Count(o results.Outcome) int64 {
	if int(o) >= maxOutcomes {
		return 0
	}
	return c.counts[o]
}

// HandleEvent implements sim.Handler.
func (c *Client) HandleEvent(ev sim.Event) {
	switch ev.Kind {
	case kindArrive:
		c.send(-1)
		c.scheduleArrival(ev.At)
	case kindWake:
		c.send(int32(ev.A))
	case kindTimeout:
		if slot, ok := c.reqs.Lookup(sim.Handle(ev.A)); ok {
			c.attemptDone(slot, results.Timeout)
		}
	case kindRetry:
		if slot, ok := c.reqs.Lookup(sim.Handle(ev.A)); ok {
			c.retryNow(slot)
		}
	case service.KindReply:
		c.reply(service.DecodeReply(ev))
	default:
		panic(fmt.Sprintf("load/%s: unknown event kind %d", c.name, ev.Kind))
	}
}

// KindName implements sim.KindNamer.
func (c *Client) KindName(kind uint32) string {
	switch kind {
	case kindArrive:
		return "arrive"
	case kindWake:
		return "wake"
	case kindTimeout:
		return "timeout"
	case kindOutcome:
		return "outcome"
	case kindRetry:
		return "retry"
	case service.KindReply:
		return "reply"
	}
	return fmt.Sprintf("kind%d", kind)
}

// scheduleArrival draws the next arrival after from by thinning: candidate
// gaps at the maximum rate, each candidate kept with probability
// rate(t)/max. Rejected candidates cost draws, not events.
func (c *Client) scheduleArrival(from sim.Time) {
	s := c.cfg.Open
	t := from
	for {
		t = sim.Time(s.idleUntil(time.Duration(t)))
		gap := sim.Seconds(c.arrivals.ExpFloat64() / c.max)
		if t >= c.until || gap >= c.until.Sub(t) {
			return
		}
		t = t.Add(gap)
		if c.arrivals.Float64()*c.max < s.Rate(time.Duration(t)) {
			c.k.Schedule(t, c.id, kindArrive, 0, 0)
			return
		}
	}
}

// thinkThenSend schedules user's next request after a think time, if it
// starts before the end.
func (c *Client) thinkThenSend(user int32) {
	d := sim.Seconds(c.thinkTime.Sample(c.think))
	if d < c.until.Sub(c.k.Now()) {
		c.k.After(d, c.id, kindWake, int64(user), 0)
	}
}

// send starts a request now, on behalf of user (-1 in open loop).
func (c *Client) send(user int32) {
	slot := c.reqs.Alloc()
	r := c.reqs.At(slot)
	r.user, r.start = user, c.k.Now()
	if c.endpoints != nil {
		r.ep = int32(service.PickEndpoint(c.target.Endpoints(), c.endpoints))
	}
	if c.tracer != nil && c.traceRng.Float64() < c.sample {
		r.root = c.tracer.StartTrace(c.name, r.start)
	}
	c.sent++
	c.outstanding++
	c.attempt(slot)
}

// attempt sends the next attempt of the request in slot, with its own
// deadline.
func (c *Client) attempt(slot int32) {
	r := c.reqs.At(slot)
	id := int64(c.reqs.Handle(slot))
	r.attempt++
	r.timer = c.k.AfterTimer(c.cfg.Timeout, c.id, kindTimeout, id, 0)
	c.attempts++
	if c.retry != nil {
		c.retry.Begin(r.attempt)
	}
	ready := c.target.Ready()
	if len(ready) == 0 { // no endpoint: the connection is refused at once
		r.inst = -1
		c.k.After(0, c.id, service.KindReply, id, int64(service.StatusRefused))
		return
	}
	if c.outlier != nil {
		ready = c.outlier.Filter(ready, c.k.Now())
	}
	r.inst = int32(c.bal.Pick(ready))
	r.span = c.tracer.StartClient(r.root, c.id, id, c.name, c.target.Name(), int(r.attempt), c.k.Now())
	c.deadlines.Set(c.id, id, c.k.Now().Add(c.cfg.Timeout))
	service.SendRequest(c.net, c.node, c.id, c.target.Instance(int(r.inst)), int(r.ep), id)
}

// attemptDone ends the current attempt of the request in slot with
// outcome o: a retry after a back-off if the policy calls for one and
// the budget and throttle admit it, else the request's end.
func (c *Client) attemptDone(slot int32, o results.Outcome) {
	r := c.reqs.At(slot)
	if r.inst >= 0 {
		c.bal.Done(int(r.inst))
		if c.outlier != nil {
			c.outlier.Observe(int(r.inst), o == results.OK, c.k.Now(), len(c.target.Ready()))
		}
	}
	c.tracer.End(r.span, c.k.Now(), o.String())
	r.span = 0
	rt := c.retry
	if rt == nil {
		c.finish(slot, o)
		return
	}
	rt.End(r.attempt, o)
	if !rt.Wants(r.attempt, o) {
		c.finish(slot, o)
		return
	}
	if !rt.Admit() {
		c.denied++
		c.finish(slot, o)
		return
	}
	id := c.reqs.Reissue(slot) // answers to the attempt that ended no longer match
	r.backoff = rt.Delay(r.attempt, r.backoff)
	c.k.After(r.backoff, c.id, kindRetry, int64(id), 0)
}

// retryNow sends the retry of the request in slot, its back-off over.
func (c *Client) retryNow(slot int32) {
	r := c.reqs.At(slot)
	c.retries++
	c.k.Record(c.id, kindRetry, int64(r.attempt+1), int64(c.k.Now().Sub(r.start)))
	c.attempt(slot)
}

func (c *Client) reply(rep service.Reply) {
	slot, ok := c.reqs.Lookup(sim.Handle(rep.ID))
	if !ok {
		return // the request already ended: a late answer
	}
	c.k.Cancel(c.reqs.At(slot).timer)
	c.attemptDone(slot, outcomeOf(rep.Status))
}

// outcomeOf is how a client counts each answer.
func outcomeOf(st service.Status) results.Outcome {
	switch st {
	case service.StatusOK:
		return results.OK
	case service.StatusRejected:
		return results.Rejected
	}
	return results.Error // reset, error, refused
}

// finish ends the request in slot with outcome o, now; its last attempt
// has already told the balancer.
func (c *Client) finish(slot int32, o results.Outcome) {
	r := c.reqs.At(slot)
	start, user, ep := r.start, r.user, int(r.ep)
	now := c.k.Now()
	c.tracer.End(r.root, now, o.String())
	c.reqs.Free(slot)
	c.outstanding--
	c.counts[o]++
	c.k.Record(c.id, kindOutcome, int64(now.Sub(start)), int64(o))
	c.observe(start, now, o)
	if c.byEp != nil {
		c.byEp(ep, start, now, o)
	}
	if user >= 0 {
		c.thinkThenSend(user)
	}
}
