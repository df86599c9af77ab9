package resilience

import (
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// State is a circuit breaker's state.
type State int8

// The breaker states, in gobreaker's order.
const (
	StateClosed State = iota
	StateHalfOpen
	StateOpen
)

// String returns gobreaker's names: closed, half-open, open.
func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateHalfOpen:
		return "half-open"
	case StateOpen:
		return "open"
	default:
		return fmt.Sprintf("unknown state: %d", s)
	}
}

// Breaker defaults, gobreaker's.
const (
	DefaultBreakerTimeout      = 60 * time.Second
	DefaultBreakerMaxRequests  = 1
	DefaultConsecutiveFailures = 5
)

// BreakerConfig configures a Breaker. Zero values mean what they mean in
// gobreaker.Settings.
type BreakerConfig struct {
	// MaxRequests is the number of trial calls a half-open breaker admits,
	// and the number of consecutive successes that close it. Default (and
	// the meaning of 0): 1.
	MaxRequests uint32 `yaml:"max_requests"`
	// Interval is the cyclic period of the closed state after which the
	// counts are cleared. 0 (the default) never clears them while closed.
	Interval time.Duration `yaml:"interval"`
	// Timeout is how long the breaker stays open before it turns
	// half-open. Default (and the meaning of 0): 60s.
	Timeout time.Duration `yaml:"timeout"`
	// ConsecutiveFailures is gobreaker's default ReadyToTrip threshold:
	// a closed breaker trips when a failure makes the consecutive failure
	// count exceed it (count > threshold). Default (and the meaning of
	// 0): 5, so the sixth consecutive failure trips.
	ConsecutiveFailures uint32 `yaml:"consecutive_failures"`
}

// SetDefaults fills every zero field that has a default.
func (c *BreakerConfig) SetDefaults() {
	if c.MaxRequests == 0 {
		c.MaxRequests = DefaultBreakerMaxRequests
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultBreakerTimeout
	}
	if c.ConsecutiveFailures == 0 {
		c.ConsecutiveFailures = DefaultConsecutiveFailures
	}
}

// Validate reports the first invalid field. Unlike gobreaker, which
// silently replaces a negative Interval or Timeout, it rejects them.
func (c *BreakerConfig) Validate() error {
	if c.Interval < 0 {
		return invalid("interval", "must be >= 0 (0 never clears the counts), got %v", c.Interval)
	}
	if c.Timeout < 0 {
		return invalid("timeout", "must be >= 0 (0 means %v), got %v", DefaultBreakerTimeout, c.Timeout)
	}
	return nil
}

// Counts are the numbers of calls and their outcomes in the current
// generation, as in gobreaker.
type Counts struct {
	Requests             uint32
	TotalSuccesses       uint32
	TotalFailures        uint32
	ConsecutiveSuccesses uint32
	ConsecutiveFailures  uint32
}

func (c *Counts) onSuccess() {
	c.TotalSuccesses++
	c.ConsecutiveSuccesses++
	c.ConsecutiveFailures = 0
}

func (c *Counts) onFailure() {
	c.TotalFailures++
	c.ConsecutiveFailures++
	c.ConsecutiveSuccesses = 0
}

// Breaker is gobreaker's CircuitBreaker driven by virtual time. Every state
// change and every new closed-state interval starts a new generation and
// clears the counts; the result of a call admitted in an earlier
// generation is ignored. Timing comparisons are gobreaker's: the breaker
// leaves the open state, and starts a new interval, only once now is
// strictly after the expiry.
type Breaker struct {
	cfg        BreakerConfig
	state      State
	generation uint64
	counts     Counts
	expiry     sim.Time
	hasExpiry  bool
}

// NewBreaker returns a closed breaker whose first interval starts at now.
func NewBreaker(cfg BreakerConfig, now sim.Time) (*Breaker, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Breaker{cfg: cfg}
	b.toNewGeneration(now)
	return b, nil
}

// Config returns the breaker's settings with defaults applied.
func (b *Breaker) Config() BreakerConfig { return b.cfg }

// State returns the state at now, applying any transition now implies.
func (b *Breaker) State(now sim.Time) State {
	state, _ := b.currentState(now)
	return state
}

// Counts returns the counts of the current generation (as of the last
// call; it does not advance time).
func (b *Breaker) Counts() Counts { return b.counts }

// Allow asks to start a call at now. On success it returns the generation
// to pass to Done; otherwise ErrOpenState or ErrTooManyRequests.
func (b *Breaker) Allow(now sim.Time) (generation uint64, err error) {
	state, generation := b.currentState(now)
	if state == StateOpen {
		return generation, ErrOpenState
	}
	if state == StateHalfOpen && b.counts.Requests >= b.cfg.MaxRequests {
		return generation, ErrTooManyRequests
	}
	b.counts.Requests++
	return generation, nil
}

// Done records at now the outcome of a call that Allow admitted in
// generation; a result from an earlier generation is ignored.
func (b *Breaker) Done(now sim.Time, generation uint64, success bool) {
	state, current := b.currentState(now)
	if current != generation {
		return
	}
	if success {
		b.onSuccess(state, now)
	} else {
		b.onFailure(state, now)
	}
}

func (b *Breaker) onSuccess(state State, now sim.Time) {
	switch state {
	case StateClosed:
		b.counts.onSuccess()
	case StateHalfOpen:
		b.counts.onSuccess()
		if b.counts.ConsecutiveSuccesses >= b.cfg.MaxRequests {
			b.setState(StateClosed, now)
		}
	}
}

func (b *Breaker) onFailure(state State, now sim.Time) {
	switch state {
	case StateClosed:
		b.counts.onFailure()
		if b.counts.ConsecutiveFailures > b.cfg.ConsecutiveFailures {
			b.setState(StateOpen, now)
		}
	case StateHalfOpen:
		b.setState(StateOpen, now)
	}
}

func (b *Breaker) currentState(now sim.Time) (State, uint64) {
	switch b.state {
	case StateClosed:
		if b.hasExpiry && b.expiry < now {
			b.toNewGeneration(now)
		}
	case StateOpen:
		if b.expiry < now {
			b.setState(StateHalfOpen, now)
		}
	}
	return b.state, b.generation
}

func (b *Breaker) setState(state State, now sim.Time) {
	if b.state == state {
		return
	}
	b.state = state
	b.toNewGeneration(now)
}

func (b *Breaker) toNewGeneration(now sim.Time) {
	b.generation++
	b.counts = Counts{}
	b.hasExpiry = false
	switch b.state {
	case StateClosed:
		if b.cfg.Interval > 0 {
			b.expiry, b.hasExpiry = now.Add(b.cfg.Interval), true
		}
	case StateOpen:
		b.expiry, b.hasExpiry = now.Add(b.cfg.Timeout), true
	}
}
