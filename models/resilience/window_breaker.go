package resilience

import (
	"math"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// Sliding window types of a WindowBreaker, resilience4j's names in
// snake_case.
const (
	CountBased = "count_based"
	TimeBased  = "time_based"
)

// WindowBreaker defaults, resilience4j's.
const (
	DefaultSlidingWindowSize         = 100
	DefaultFailureRateThreshold      = 50.0
	DefaultSlowCallRateThreshold     = 100.0
	DefaultSlowCallDurationThreshold = 60 * time.Second
	DefaultMinimumNumberOfCalls      = 100
	DefaultWaitDurationInOpenState   = 60 * time.Second
	DefaultPermittedCallsInHalfOpen  = 10
)

// WindowBreakerConfig configures a WindowBreaker; the fields are
// resilience4j's CircuitBreakerConfig. A zero field takes its default.
type WindowBreakerConfig struct {
	// SlidingWindowType is count_based (the default: the last
	// SlidingWindowSize calls) or time_based (the calls of the last
	// SlidingWindowSize whole seconds of virtual time, in one-second
	// buckets).
	SlidingWindowType string `yaml:"sliding_window_type"`
	// SlidingWindowSize is the window length: calls when count_based,
	// seconds when time_based. Default 100; must be >= 1.
	SlidingWindowSize int `yaml:"sliding_window_size"`
	// FailureRateThreshold, in percent: the breaker opens when the
	// failure rate is at least this. Default 50; must be in (0, 100].
	FailureRateThreshold float64 `yaml:"failure_rate_threshold"`
	// SlowCallRateThreshold, in percent: the breaker opens when the rate
	// of slow calls (successful or not) is at least this. Default 100;
	// must be in (0, 100].
	SlowCallRateThreshold float64 `yaml:"slow_call_rate_threshold"`
	// SlowCallDurationThreshold: a call taking strictly longer is slow.
	// Default 60s; must be > 0.
	SlowCallDurationThreshold time.Duration `yaml:"slow_call_duration_threshold"`
	// MinimumNumberOfCalls is how many calls the window must hold before
	// the rates are computed at all. Default 100; must be >= 1. With a
	// count-based window the effective minimum is at most the window size,
	// as in resilience4j.
	MinimumNumberOfCalls int `yaml:"minimum_number_of_calls"`
	// WaitDurationInOpenState is how long the breaker stays open; the
	// first call attempted strictly after it turns the breaker half-open.
	// Default 60s; must be > 0.
	WaitDurationInOpenState time.Duration `yaml:"wait_duration_in_open_state"`
	// PermittedNumberOfCallsInHalfOpenState is how many trial calls a
	// half-open breaker admits; once all their results are in, it closes
	// if both rates are below their thresholds and opens otherwise.
	// Default 10; must be >= 1.
	PermittedNumberOfCallsInHalfOpenState int `yaml:"permitted_number_of_calls_in_half_open_state"`
}

// SetDefaults fills every zero field with resilience4j's default.
func (c *WindowBreakerConfig) SetDefaults() {
	if c.SlidingWindowType == "" {
		c.SlidingWindowType = CountBased
	}
	setDefault(&c.SlidingWindowSize, DefaultSlidingWindowSize)
	setDefault(&c.FailureRateThreshold, DefaultFailureRateThreshold)
	setDefault(&c.SlowCallRateThreshold, DefaultSlowCallRateThreshold)
	setDefault(&c.SlowCallDurationThreshold, DefaultSlowCallDurationThreshold)
	setDefault(&c.MinimumNumberOfCalls, DefaultMinimumNumberOfCalls)
	setDefault(&c.WaitDurationInOpenState, DefaultWaitDurationInOpenState)
	setDefault(&c.PermittedNumberOfCallsInHalfOpenState, DefaultPermittedCallsInHalfOpen)
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// Validate reports the first invalid field; run it after SetDefaults.
func (c *WindowBreakerConfig) Validate() error {
	switch {
	case c.SlidingWindowType != CountBased && c.SlidingWindowType != TimeBased:
		return invalid("sliding_window_type", "must be one of count_based, time_based, got %q", c.SlidingWindowType)
	case c.SlidingWindowSize < 1:
		return invalid("sliding_window_size", "must be >= 1 (calls or seconds), got %d", c.SlidingWindowSize)
	case !inPercent(c.FailureRateThreshold):
		return invalid("failure_rate_threshold", "must be in (0, 100] (percent), got %v", c.FailureRateThreshold)
	case !inPercent(c.SlowCallRateThreshold):
		return invalid("slow_call_rate_threshold", "must be in (0, 100] (percent), got %v", c.SlowCallRateThreshold)
	case c.SlowCallDurationThreshold <= 0:
		return invalid("slow_call_duration_threshold", "must be > 0, got %v", c.SlowCallDurationThreshold)
	case c.MinimumNumberOfCalls < 1:
		return invalid("minimum_number_of_calls", "must be >= 1, got %d", c.MinimumNumberOfCalls)
	case c.WaitDurationInOpenState <= 0:
		return invalid("wait_duration_in_open_state", "must be > 0, got %v", c.WaitDurationInOpenState)
	case c.PermittedNumberOfCallsInHalfOpenState < 1:
		return invalid("permitted_number_of_calls_in_half_open_state", "must be >= 1, got %d", c.PermittedNumberOfCallsInHalfOpenState)
	}
	return nil
}

func inPercent(v float64) bool { return v > 0 && v <= 100 }

// aggregate counts calls, failed calls and slow calls.
type aggregate struct{ calls, failed, slow int }

func (a *aggregate) add(b aggregate) { a.calls += b.calls; a.failed += b.failed; a.slow += b.slow }
func (a *aggregate) sub(b aggregate) { a.calls -= b.calls; a.failed -= b.failed; a.slow -= b.slow }

// window is resilience4j's FixedSizeSlidingWindowMetrics (one slot per
// call) or SlidingTimeWindowMetrics (one slot per epoch second); slots is
// allocated once.
type window struct {
	timeBased bool
	slots     []aggregate
	head      int
	headSec   int64
	total     aggregate
}

func newWindow(timeBased bool, size int) window {
	return window{timeBased: timeBased, slots: make([]aggregate, size)}
}

func (w *window) reset() {
	clear(w.slots)
	w.head, w.headSec, w.total = 0, 0, aggregate{}
}

// record adds one call at now and returns the window's totals.
func (w *window) record(now sim.Time, call aggregate) aggregate {
	if w.timeBased {
		w.advanceTo(int64(now) / int64(time.Second))
	} else {
		w.head = (w.head + 1) % len(w.slots)
		w.total.sub(w.slots[w.head])
		w.slots[w.head] = aggregate{}
	}
	w.slots[w.head].add(call)
	w.total.add(call)
	return w.total
}

// advanceTo moves a time-based window so that its head is second sec,
// dropping the buckets that fall out of it.
func (w *window) advanceTo(sec int64) {
	if sec <= w.headSec {
		return
	}
	for range min(sec-w.headSec, int64(len(w.slots))) {
		w.head = (w.head + 1) % len(w.slots)
		w.total.sub(w.slots[w.head])
		w.slots[w.head] = aggregate{}
	}
	w.headSec = sec
}

// WindowBreaker is resilience4j's CircuitBreakerStateMachine (states
// CLOSED, OPEN, HALF_OPEN) driven by virtual time. Like resilience4j it has
// no generations: a result arriving in closed or half-open state is
// recorded whenever its call started; one arriving while open is dropped.
type WindowBreaker struct {
	cfg      WindowBreakerConfig
	state    State
	closed   window
	halfOpen window
	minCalls int      // the closed window's effective minimum
	permits  int      // half-open calls still to admit
	openTill sim.Time // while open: the end of the wait
	last     aggregate
}

// NewWindowBreaker returns a closed breaker.
func NewWindowBreaker(cfg WindowBreakerConfig) (*WindowBreaker, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &WindowBreaker{
		cfg:      cfg,
		closed:   newWindow(cfg.SlidingWindowType == TimeBased, cfg.SlidingWindowSize),
		halfOpen: newWindow(false, cfg.PermittedNumberOfCallsInHalfOpenState),
		minCalls: cfg.MinimumNumberOfCalls,
	}
	if cfg.SlidingWindowType == CountBased {
		b.minCalls = min(b.minCalls, cfg.SlidingWindowSize)
	}
	return b, nil
}

// Config returns the breaker's settings with defaults applied.
func (b *WindowBreaker) Config() WindowBreakerConfig { return b.cfg }

// State returns the state at now: an open breaker whose wait has passed
// reports half-open, as with resilience4j's automatic transition.
func (b *WindowBreaker) State(now sim.Time) State {
	b.advance(now)
	return b.state
}

func (b *WindowBreaker) advance(now sim.Time) {
	if b.state == StateOpen && now > b.openTill {
		b.transition(StateHalfOpen, now)
	}
}

// Allow asks to start a call at now: nil, ErrOpenState, or
// ErrTooManyRequests once the half-open trial calls are all admitted.
func (b *WindowBreaker) Allow(now sim.Time) error {
	b.advance(now)
	switch b.state {
	case StateOpen:
		return ErrOpenState
	case StateHalfOpen:
		if b.permits == 0 {
			return ErrTooManyRequests
		}
		b.permits--
	}
	return nil
}

// Done records at now the outcome and duration of a call.
func (b *WindowBreaker) Done(now sim.Time, success bool, duration time.Duration) {
	b.advance(now)
	call := aggregate{calls: 1}
	if !success {
		call.failed = 1
	}
	if duration > b.cfg.SlowCallDurationThreshold {
		call.slow = 1
	}
	switch b.state {
	case StateClosed:
		b.last = b.closed.record(now, call)
		if b.rates(b.last, b.minCalls) == above {
			b.transition(StateOpen, now)
		}
	case StateHalfOpen:
		b.last = b.halfOpen.record(now, call)
		switch b.rates(b.last, b.cfg.PermittedNumberOfCallsInHalfOpenState) {
		case above:
			b.transition(StateOpen, now)
		case below:
			b.transition(StateClosed, now)
		}
	}
}

// FailureRate is the failure rate in percent of the current state's window
// as of the last recorded result, or -1 below the minimum number of calls
// (resilience4j's getFailureRate).
func (b *WindowBreaker) FailureRate() float64 {
	return percentOf(b.last.failed, b.last.calls, b.currentMin())
}

// SlowCallRate is FailureRate for slow calls.
func (b *WindowBreaker) SlowCallRate() float64 {
	return percentOf(b.last.slow, b.last.calls, b.currentMin())
}

func (b *WindowBreaker) currentMin() int {
	if b.state == StateHalfOpen {
		return b.cfg.PermittedNumberOfCallsInHalfOpenState
	}
	return b.minCalls
}

type verdict int8

const (
	tooFew verdict = iota
	below
	above
)

func (b *WindowBreaker) rates(a aggregate, minCalls int) verdict {
	fr := percentOf(a.failed, a.calls, minCalls)
	sr := percentOf(a.slow, a.calls, minCalls)
	switch {
	case fr < 0 || sr < 0:
		return tooFew
	case fr >= b.cfg.FailureRateThreshold || sr >= b.cfg.SlowCallRateThreshold:
		return above
	}
	return below
}

func percentOf(n, calls, minCalls int) float64 {
	if calls == 0 || calls < minCalls {
		return -1
	}
	return float64(n) * 100 / float64(calls)
}

func (b *WindowBreaker) transition(to State, now sim.Time) {
	b.state = to
	b.last = aggregate{}
	switch to {
	case StateOpen:
		b.openTill = now.Add(b.cfg.WaitDurationInOpenState)
		if b.openTill < now { // overflow: open for ever
			b.openTill = math.MaxInt64
		}
	case StateHalfOpen:
		b.halfOpen.reset()
		b.permits = b.cfg.PermittedNumberOfCallsInHalfOpenState
	case StateClosed:
		b.closed.reset()
	}
}
