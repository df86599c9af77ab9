package chain

import (
	"context"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker"
	"golang.org/x/time/rate"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// CallStatus is what a service has seen of its calls to one dependency.
// Calls, Failed and Fallbacks count logical calls (all attempts
// together); Attempts the attempts sent (past the breakers, the rate
// limit and the bulkhead); OK, Errors, Timeouts and Rejected the outcomes
// of every attempt, the refused ones included.
type CallStatus struct {
	Target           string `json:"target"`
	Calls            uint64 `json:"calls"`
	Failed           uint64 `json:"failed"`    // without a fallback
	Fallbacks        uint64 `json:"fallbacks"` // failed, answered by the fallback
	Attempts         uint64 `json:"attempts"`
	Retries          uint64 `json:"retries"`
	RetriesDenied    uint64 `json:"retries_denied"` // by the budget or the throttle
	OK               uint64 `json:"ok"`
	Errors           uint64 `json:"errors"`
	Timeouts         uint64 `json:"timeouts"`
	Rejected         uint64 `json:"rejected"` // by the callee, or locally below
	BreakerRejected  uint64 `json:"breaker_rejected"`
	BulkheadRejected uint64 `json:"bulkhead_rejected"`
	RateLimited      uint64 `json:"rate_limited"`
	// BackoffNs is the total back-off slept before retries, in ns.
	BackoffNs int64 `json:"backoff_ns"`
	// Breaker is the state of the call's breaker: closed, half-open or
	// open ("" without one); with both kinds, the more open of the two.
	Breaker            string `json:"breaker,omitempty"`
	BreakerTransitions uint64 `json:"breaker_transitions"`
	BulkheadActive     int    `json:"bulkhead_active"`
	BulkheadWaiting    int    `json:"bulkhead_waiting"`
	// Ejections counts the instances the call's outlier detection
	// ejected.
	Ejections uint64 `json:"ejections"`
}

// Refused is the number of attempts turned away before being sent: by
// a breaker, the rate limit or the bulkhead.
func (s CallStatus) Refused() uint64 { return s.BreakerRejected + s.RateLimited + s.BulkheadRejected }

// callCounters are a caller's counters, updated without its lock.
type callCounters struct {
	calls, failed, fallbacks, attempts, retries, retriesDenied  atomic.Uint64
	outcomes                                                    [4]atomic.Uint64 // by results.Outcome up to Rejected
	breakerRejected, bulkheadRejected, rateLimited, transitions atomic.Uint64
	backoffNs                                                   atomic.Int64
}

// caller makes a service's calls to one dependency, with the call's
// policies. The resilience state machines are not safe for concurrent
// use: mu guards them and the random stream.
type caller struct {
	cfg    CallConfig
	urls   []string // one per instance of the target
	picker *picker  // the balancer and the outlier detection
	client *http.Client
	origin time.Time // the zero of the sim.Time fed to the state machines
	cb     *gobreaker.TwoStepCircuitBreaker
	rl     *rate.Limiter
	n      callCounters
	// log receives the breaker's state changes; nil discards them. Set
	// before the service serves.
	log *log.Logger

	mu      sync.Mutex
	retrier *resilience.Retrier // nil: no retries; owns the call's random stream
	window  *resilience.WindowBreaker
	// windowState is the window breaker's state at the last look.
	windowState resilience.State
	bulkhead    *resilience.Bulkhead
	waiters     []chan struct{} // attempts waiting for a bulkhead slot, oldest first
}

// newCaller builds the caller of a validated, defaulted config.
// retry draws the back-offs, balance the balancer's picks.
func newCaller(cfg CallConfig, retry, balance *rand.Rand, origin time.Time, maxConns int) (*caller, error) {
	c := &caller{cfg: cfg, origin: origin}
	for _, a := range cfg.Addrs {
		c.urls = append(c.urls, "http://"+a+"/")
	}
	var err error
	if c.picker, err = newPicker(cfg.Balancer, len(c.urls), balance, cfg.OutlierDetection, origin); err != nil {
		return nil, err
	}
	c.client = &http.Client{Transport: &http.Transport{
		Proxy:               nil, // never an HTTP proxy from the environment
		MaxIdleConnsPerHost: maxConns,
		DisableCompression:  true,
	}}
	if c.retrier, err = resilience.NewRetrier(cfg.Retry, retry); err != nil {
		return nil, err
	}
	if b := cfg.Breaker; b != nil {
		c.cb = gobreaker.NewTwoStepCircuitBreaker(gobreakerSettings(*b, func(from, to gobreaker.State) {
			c.n.transitions.Add(1)
			c.logTransition(from.String(), to.String())
		}))
	}
	if w := cfg.WindowBreaker; w != nil {
		if c.window, err = resilience.NewWindowBreaker(*w); err != nil {
			return nil, err
		}
	}
	if b := cfg.Bulkhead; b != nil {
		if c.bulkhead, err = resilience.NewBulkhead(*b); err != nil {
			return nil, err
		}
	}
	if l := cfg.RateLimit; l != nil {
		c.rl = rate.NewLimiter(rate.Limit(l.Rate), l.Burst)
	}
	return c, nil
}

// gobreakerSettings maps a defaulted BreakerConfig onto gobreaker: the
// same MaxRequests, Interval and Timeout, and ReadyToTrip on more than
// ConsecutiveFailures consecutive failures (gobreaker's default rule
// with the configured threshold).
func gobreakerSettings(b resilience.BreakerConfig, changed func(from, to gobreaker.State)) gobreaker.Settings {
	threshold := b.ConsecutiveFailures
	return gobreaker.Settings{
		MaxRequests: b.MaxRequests, Interval: b.Interval, Timeout: b.Timeout,
		ReadyToTrip:   func(c gobreaker.Counts) bool { return c.ConsecutiveFailures > threshold },
		OnStateChange: func(_ string, from, to gobreaker.State) { changed(from, to) },
	}
}

// logTransition logs a breaker's state change.
func (c *caller) logTransition(from, to string) {
	if c.log != nil {
		c.log.Printf("breaker on %s: %s -> %s", c.cfg.Target, from, to)
	}
}

// now is the time since origin, for the state machines.
func (c *caller) now() sim.Time { return sim.At(time.Since(c.origin)) }

// do makes one logical call within ctx, retrying as configured, and
// returns the last attempt's outcome and, for a success, the callee's
// HeaderDegraded.
func (c *caller) do(ctx context.Context) (results.Outcome, string) {
	c.n.calls.Add(1)
	var prev time.Duration
	for attempt := int32(1); ; attempt++ {
		o, degraded := c.attempt(ctx, attempt)
		if o == results.OK || ctx.Err() != nil {
			return o, degraded
		}
		d, retry := c.nextRetry(attempt, o, prev)
		if !retry {
			return o, ""
		}
		prev = d
		c.n.retries.Add(1)
		c.n.backoffNs.Add(int64(d))
		if !sleep(ctx, d) {
			c.abandonRetry()
			return results.Timeout, ""
		}
	}
}

// nextRetry decides, after attempt ended with o, whether to retry (the
// policy, then the throttle and the budget) and draws the back-off.
func (c *caller) nextRetry(attempt int32, o results.Outcome, prev time.Duration) (time.Duration, bool) {
	if c.retrier == nil {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.retrier.Wants(attempt, o) {
		return 0, false
	}
	if !c.retrier.Admit() {
		c.n.retriesDenied.Add(1)
		return 0, false
	}
	return c.retrier.Delay(attempt, prev), true
}

// abandonRetry ends a retry the budget admitted but that never started
// (the request's deadline passed during the back-off).
func (c *caller) abandonRetry() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.retrier.Budget(); b != nil {
		b.EndRetry()
	}
}

// attempt makes attempt n (1 for the first) and accounts for it in the
// retry budget and throttle.
func (c *caller) attempt(ctx context.Context, n int32) (results.Outcome, string) {
	if c.retrier != nil {
		c.mu.Lock()
		c.retrier.Begin(n)
		c.mu.Unlock()
	}
	o, degraded := c.guarded(ctx)
	c.n.outcomes[o].Add(1)
	if c.retrier != nil {
		c.mu.Lock()
		c.retrier.End(n, o)
		c.mu.Unlock()
	}
	return o, degraded
}

// guarded passes one attempt through the breakers, the rate limit and
// the bulkhead, in the simulator's (resilience4j's) order, then sends it.
// An attempt the rate limit or the bulkhead turns away counts as a
// failure for the breakers. Its deadline, the call's timeout cut to the
// request's, covers the wait for a bulkhead slot.
func (c *caller) guarded(ctx context.Context) (o results.Outcome, degraded string) {
	if ctx.Err() != nil {
		return results.Timeout, "" // the request's deadline has passed
	}
	done, ok := c.allow()
	if !ok {
		c.n.breakerRejected.Add(1)
		return results.Rejected, ""
	}
	start := time.Now()
	defer func() { done(o == results.OK, time.Since(start)) }()
	if c.rl != nil && !c.rl.Allow() {
		c.n.rateLimited.Add(1)
		return results.Rejected, ""
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	if c.bulkhead != nil {
		switch c.acquire(actx) {
		case resilience.Rejected:
			c.n.bulkheadRejected.Add(1)
			return results.Rejected, ""
		case resilience.Queued: // gave up waiting
			return results.Timeout, ""
		}
		defer c.release()
	}
	c.n.attempts.Add(1)
	return c.send(actx)
}

// allow asks the breakers, if any, and returns the function recording the
// attempt's result. When both are set and the window breaker refuses
// what gobreaker admitted, gobreaker is told of a success (nothing went
// wrong downstream), as in the simulator.
func (c *caller) allow() (func(ok bool, d time.Duration), bool) {
	cbDone := func(bool) {}
	if c.cb != nil {
		d, err := c.cb.Allow()
		if err != nil {
			return nil, false
		}
		cbDone = d
	}
	if c.window == nil {
		return func(ok bool, _ time.Duration) { cbDone(ok) }, true
	}
	var err error
	c.windowStep(func(now sim.Time) { err = c.window.Allow(now) })
	if err != nil {
		cbDone(true)
		return nil, false
	}
	return func(ok bool, d time.Duration) {
		cbDone(ok)
		c.windowStep(func(now sim.Time) { c.window.Done(now, ok, d) })
	}, true
}

// worse returns the more open of two breaker states ("" for none).
func worse(a, b string) string {
	rank := map[string]int{"": 0, "closed": 1, "half-open": 2, "open": 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// windowStep runs f on the window breaker under the lock, counting the
// state changes it makes (gobreaker counts its own in OnStateChange).
func (c *caller) windowStep(f func(now sim.Time)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.observeWindow(now)
	f(now)
	c.observeWindow(now)
}

// observeWindow counts and logs a change of the window breaker's state
// since the last look, the passage of time (open to half-open) included.
// Call it with mu held.
func (c *caller) observeWindow(now sim.Time) resilience.State {
	st := c.window.State(now)
	if st != c.windowState {
		c.n.transitions.Add(1)
		c.logTransition(c.windowState.String(), st.String())
		c.windowState = st
	}
	return st
}

// acquire takes a bulkhead slot, waiting for one (oldest first) until ctx
// is done if the bulkhead lets it wait. It returns Admitted with a slot
// to release, Rejected, or Queued if the wait ended without a slot.
func (c *caller) acquire(ctx context.Context) resilience.Admission {
	c.mu.Lock()
	adm := c.bulkhead.Acquire()
	if adm != resilience.Queued {
		c.mu.Unlock()
		return adm
	}
	ch := make(chan struct{})
	c.waiters = append(c.waiters, ch)
	c.mu.Unlock()
	select {
	case <-ch:
		return resilience.Admitted
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.waiters, ch); i >= 0 {
		c.waiters = slices.Delete(c.waiters, i, i+1)
		c.bulkhead.Abandon()
		return resilience.Queued
	}
	// The slot was handed over as the wait ended: give it back.
	c.releaseLocked()
	return resilience.Queued
}

func (c *caller) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.releaseLocked()
}

func (c *caller) releaseLocked() {
	if c.bulkhead.Release() {
		ch := c.waiters[0]
		c.waiters = c.waiters[1:]
		close(ch)
	}
}

// send sends one request to an instance of the dependency with the
// attempt's remaining time in HeaderTimeout, classifies the answer and
// returns its HeaderDegraded. The balancer picks the instance, and
// learns with the outlier detection how the attempt ended.
func (c *caller) send(ctx context.Context) (o results.Outcome, degraded string) {
	i := c.picker.pick()
	defer func() { c.picker.done(i, o == results.OK) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.urls[i], nil)
	if err != nil {
		return results.Error, ""
	}
	if dl, ok := ctx.Deadline(); ok {
		req.Header.Set(HeaderTimeout, time.Until(dl).String())
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return results.Timeout, ""
		}
		return results.Error, ""
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return classify(resp.StatusCode), resp.Header.Get(HeaderDegraded)
}

// classify maps a status code to an outcome: 2xx ok; 429 and 503
// rejected (admission); 504 timeout (the callee's deadline passed);
// anything else an error.
func classify(code int) results.Outcome {
	switch {
	case code >= 200 && code < 300:
		return results.OK
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		return results.Rejected
	case code == http.StatusGatewayTimeout:
		return results.Timeout
	}
	return results.Error
}

// sleep waits d or until ctx is done, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// status reports the caller's counters and breaker and bulkhead state.
func (c *caller) status() CallStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := CallStatus{Target: c.cfg.Target}
	if c.window != nil {
		s.Breaker = c.observeWindow(c.now()).String() // first: it may count a transition
	}
	if c.cb != nil {
		s.Breaker = worse(s.Breaker, c.cb.State().String())
	}
	if c.bulkhead != nil {
		s.BulkheadActive, s.BulkheadWaiting = c.bulkhead.Active(), c.bulkhead.Waiting()
	}
	s.Calls, s.Failed, s.Fallbacks = c.n.calls.Load(), c.n.failed.Load(), c.n.fallbacks.Load()
	s.Attempts, s.Retries, s.RetriesDenied = c.n.attempts.Load(), c.n.retries.Load(), c.n.retriesDenied.Load()
	s.OK, s.Errors = c.n.outcomes[results.OK].Load(), c.n.outcomes[results.Error].Load()
	s.Timeouts, s.Rejected = c.n.outcomes[results.Timeout].Load(), c.n.outcomes[results.Rejected].Load()
	s.BreakerRejected, s.BulkheadRejected = c.n.breakerRejected.Load(), c.n.bulkheadRejected.Load()
	s.RateLimited, s.BackoffNs, s.BreakerTransitions = c.n.rateLimited.Load(), c.n.backoffNs.Load(), c.n.transitions.Load()
	s.Ejections = uint64(c.picker.ejections())
	return s
}
