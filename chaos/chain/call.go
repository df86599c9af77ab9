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

	"faultline/models/resilience"
	"faultline/reports/results"
	"faultline/sim"
)

// CallStatus is what a service has seen of its calls to one dependency.
// Attempt outcomes are counted per attempt; Calls, Failed and Fallbacks
// per logical call (all attempts together).
type CallStatus struct {
	Target           string `json:"target"`
	Calls            uint64 `json:"calls"`
	Failed           uint64 `json:"failed"`
	Fallbacks        uint64 `json:"fallbacks"`
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
	// Breaker is the state of the call's breaker (either kind): closed,
	// half-open or open; "" without one.
	Breaker            string `json:"breaker,omitempty"`
	BreakerTransitions uint64 `json:"breaker_transitions"`
	BulkheadActive     int    `json:"bulkhead_active"`
	BulkheadWaiting    int    `json:"bulkhead_waiting"`
}

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
	url    string
	client *http.Client
	origin time.Time // the zero of the sim.Time fed to the state machines
	retry  *resilience.Retry
	on     map[results.Outcome]bool
	cb     *gobreaker.TwoStepCircuitBreaker
	rl     *rate.Limiter
	n      callCounters
	// log receives the breaker's state changes; nil discards them. Set
	// before the service serves.
	log *log.Logger

	mu       sync.Mutex
	rng      *rand.Rand
	budget   *resilience.Budget
	throttle *resilience.Throttle
	window   *resilience.WindowBreaker
	// windowState is the window breaker's state at the last look.
	windowState resilience.State
	bulkhead    *resilience.Bulkhead
	waiters     []chan struct{} // attempts waiting for a bulkhead slot, oldest first
}

// newCaller builds the caller of a validated, defaulted config.
func newCaller(cfg CallConfig, rng *rand.Rand, origin time.Time, maxConns int) (*caller, error) {
	c := &caller{cfg: cfg, url: "http://" + cfg.Addr + "/", rng: rng, origin: origin}
	c.client = &http.Client{Transport: &http.Transport{
		Proxy:               nil, // never an HTTP proxy from the environment
		MaxIdleConnsPerHost: maxConns,
		DisableCompression:  true,
	}}
	var err error
	if r := cfg.Retry; r != nil {
		p, err := resilience.NewRetry(resilience.RetryConfig{MaxAttempts: r.MaxAttempts, Backoff: r.Backoff.Kind,
			Base: r.Backoff.Base, Cap: r.Backoff.Cap, Jitter: r.Backoff.Jitter})
		if err != nil {
			return nil, err
		}
		c.retry, c.on = &p, map[results.Outcome]bool{}
		for _, o := range results.Outcomes() {
			c.on[o] = slices.Contains(r.On, o.String())
		}
		if r.Budget != nil {
			if c.budget, err = resilience.NewBudget(*r.Budget); err != nil {
				return nil, err
			}
		}
		if r.Throttle != nil {
			if c.throttle, err = resilience.NewThrottle(*r.Throttle); err != nil {
				return nil, err
			}
		}
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
	for attempt := 1; ; attempt++ {
		o, degraded := c.attempt(ctx, attempt)
		if o == results.OK || !c.wants(attempt, o) || ctx.Err() != nil {
			return o, degraded
		}
		if !c.admitRetry() {
			c.n.retriesDenied.Add(1)
			return o, ""
		}
		c.mu.Lock()
		d := c.retry.Delay(attempt, prev, c.rng)
		c.mu.Unlock()
		prev = d
		c.n.retries.Add(1)
		c.n.backoffNs.Add(int64(d))
		if !sleep(ctx, d) {
			c.endRetry()
			return results.Timeout, ""
		}
	}
}

// wants reports whether the policy alone calls for another attempt.
func (c *caller) wants(attempt int, o results.Outcome) bool {
	return c.retry != nil && c.on[o] && c.retry.Allows(attempt)
}

// admitRetry asks the throttle, then the budget; a retry the budget
// admits is in flight until its attempt ends.
func (c *caller) admitRetry() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.throttle != nil && !c.throttle.AllowRetry() {
		return false
	}
	return c.budget == nil || c.budget.BeginRetry()
}

func (c *caller) endRetry() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.budget != nil {
		c.budget.EndRetry()
	}
}

// attempt makes attempt n (1 for the first) and accounts for it in the
// budget and throttle.
func (c *caller) attempt(ctx context.Context, n int) (results.Outcome, string) {
	c.mu.Lock()
	if c.budget != nil && n == 1 {
		c.budget.BeginRequest()
	}
	c.mu.Unlock()
	o, degraded := c.guarded(ctx)
	c.n.attempts.Add(1)
	c.n.outcomes[o].Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.budget != nil {
		if n == 1 {
			c.budget.EndRequest()
		} else {
			c.budget.EndRetry()
		}
	}
	if c.throttle != nil {
		switch {
		case o == results.OK:
			c.throttle.Success()
		case c.on[o]:
			c.throttle.Failure()
		}
	}
	return o, degraded
}

// guarded passes one attempt through the rate limit, the bulkhead and
// the breaker, then sends it. Its deadline, the call's timeout, covers
// the wait for a bulkhead slot.
func (c *caller) guarded(ctx context.Context) (results.Outcome, string) {
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
	done, ok := c.allow()
	if !ok {
		c.n.breakerRejected.Add(1)
		return results.Rejected, ""
	}
	start := time.Now()
	o, degraded := c.send(actx)
	done(o == results.OK, time.Since(start))
	return o, degraded
}

// allow asks the breaker, if any, and returns the function recording the
// attempt's result.
func (c *caller) allow() (func(ok bool, d time.Duration), bool) {
	switch {
	case c.cb != nil:
		done, err := c.cb.Allow()
		if err != nil {
			return nil, false
		}
		return func(ok bool, _ time.Duration) { done(ok) }, true
	case c.window != nil:
		var err error
		c.windowStep(func(now sim.Time) { err = c.window.Allow(now) })
		if err != nil {
			return nil, false
		}
		return func(ok bool, d time.Duration) {
			c.windowStep(func(now sim.Time) { c.window.Done(now, ok, d) })
		}, true
	}
	return func(bool, time.Duration) {}, true
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

// send sends one request to the dependency with the attempt's remaining
// time in HeaderTimeout, classifies the answer and returns its
// HeaderDegraded.
func (c *caller) send(ctx context.Context) (results.Outcome, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
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
		s.Breaker = c.cb.State().String()
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
	return s
}
