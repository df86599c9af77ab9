package service

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/results"
)

// DefaultRetryOn is the outcomes retried when RetryConfig.On is empty.
var DefaultRetryOn = []string{"timeout", "error"}

// retryable maps the names RetryConfig.On accepts to outcomes.
var retryable = map[string]results.Outcome{
	"timeout":  results.Timeout,
	"error":    results.Error,
	"rejected": results.Rejected,
}

// RetryConfig is a client's retry policy. Every attempt has its own
// deadline, Config.Timeout from the attempt's start; a request's latency
// and outcome are those of the whole logical request, from its intended
// start to the end of its last attempt. The server is never told that a
// client gave up, so it keeps working on abandoned attempts: that is what
// lets retries amplify an overload into a retry storm.
type RetryConfig struct {
	// MaxAttempts is the number of attempts including the first, so 1
	// never retries. Default 3; must be >= 1.
	MaxAttempts int `yaml:"max_attempts"`
	// Backoff is the wait before each retry.
	Backoff Backoff `yaml:"backoff"`
	// On lists the outcomes of an attempt that trigger a retry: timeout,
	// error, rejected. Default [timeout, error].
	On []string `yaml:"on"`
	// Budget is Envoy's retry budget; nil leaves retries unlimited.
	Budget *resilience.BudgetConfig `yaml:"budget"`
	// Throttle is gRPC's retry throttling (gRFC A6); nil turns it off.
	Throttle *resilience.ThrottleConfig `yaml:"throttle"`
}

// Backoff is the delay before a retry (resilience.RetryConfig without its
// attempt count).
type Backoff struct {
	// Kind is constant, exponential (the default: base·2^(n-1) before
	// retry n) or envoy ((2^n - 1)·base), capped at Cap.
	Kind string `yaml:"kind"`
	// Base is the first retry's delay ceiling. Default 25ms; must be > 0.
	Base time.Duration `yaml:"base"`
	// Cap bounds every delay. Default 10 × base; must be >= base.
	Cap time.Duration `yaml:"cap"`
	// Jitter is none, full (the default: uniform in [0, ceiling)), equal
	// or decorrelated.
	Jitter string `yaml:"jitter"`
}

// Clone returns a deep copy (nil for nil).
func (c *RetryConfig) Clone() *RetryConfig {
	if c == nil {
		return nil
	}
	r := *c
	r.On = slices.Clone(c.On)
	if c.Budget != nil {
		b := *c.Budget
		r.Budget = &b
	}
	if c.Throttle != nil {
		t := *c.Throttle
		r.Throttle = &t
	}
	return &r
}

// policy is the back-off as a resilience.RetryConfig.
func (c *RetryConfig) policy() resilience.RetryConfig {
	b := c.Backoff
	return resilience.RetryConfig{MaxAttempts: c.MaxAttempts, Backoff: b.Kind, Base: b.Base, Cap: b.Cap, Jitter: b.Jitter}
}

// SetDefaults fills every zero field that has a default.
func (c *RetryConfig) SetDefaults() {
	p := c.policy()
	p.SetDefaults()
	c.MaxAttempts = p.MaxAttempts
	c.Backoff = Backoff{Kind: p.Backoff, Base: p.Base, Cap: p.Cap, Jitter: p.Jitter}
	if len(c.On) == 0 {
		c.On = slices.Clone(DefaultRetryOn)
	}
	if c.Budget != nil {
		c.Budget.SetDefaults()
	}
}

// Validate reports the first invalid field as "<field>: rule", e.g.
// "backoff.base: must be > 0, got 0"; callers put their own path in front.
func (c *RetryConfig) Validate() error {
	p := c.policy()
	if err := p.Validate(); err != nil {
		field, rule, _ := strings.Cut(err.Error(), ": ")
		switch field {
		case "max_attempts":
		case "backoff":
			field = "backoff.kind"
		default:
			field = "backoff." + field
		}
		return &FieldError{Field: field, Rule: rule, cause: err}
	}
	for i, o := range c.On {
		if _, ok := retryable[o]; !ok {
			return fieldErr(fmt.Sprintf("on[%d]", i), "must be one of timeout, error, rejected, got %q", o)
		}
	}
	if c.Budget != nil {
		if err := c.Budget.Validate(); err != nil {
			return prefixErr("budget.", err)
		}
	}
	if c.Throttle != nil {
		if err := c.Throttle.Validate(); err != nil {
			return prefixErr("throttle.", err)
		}
	}
	return nil
}

// Retrier is a client's retry state: the policy, the shared budget and
// throttle, and the random stream of back-off delays.
type Retrier struct {
	policy   resilience.Retry
	on       [8]bool              // indexed by results.Outcome
	budget   *resilience.Budget   // nil: unlimited
	throttle *resilience.Throttle // nil: off
	rng      *rand.Rand
}

// NewRetrier builds the retry state of a validated config; nil without one.
func NewRetrier(c *RetryConfig, rng *rand.Rand) (*Retrier, error) {
	if c == nil {
		return nil, nil
	}
	p, err := resilience.NewRetry(c.policy())
	if err != nil {
		return nil, err
	}
	rt := &Retrier{policy: p, rng: rng}
	for _, o := range c.On {
		rt.on[retryable[o]] = true
	}
	if c.Budget != nil {
		if rt.budget, err = resilience.NewBudget(*c.Budget); err != nil {
			return nil, err
		}
	}
	if c.Throttle != nil {
		if rt.throttle, err = resilience.NewThrottle(*c.Throttle); err != nil {
			return nil, err
		}
	}
	return rt, nil
}

// Begin counts attempt (1 for the first) going out.
func (rt *Retrier) Begin(attempt int32) {
	if rt.budget != nil && attempt == 1 {
		rt.budget.BeginRequest()
	}
}

// End counts attempt ending with o: the budget's requests or retries in
// flight, and the throttle's tokens (a success adds, a retryable failure
// takes, other failures leave them, as in gRFC A6).
func (rt *Retrier) End(attempt int32, o results.Outcome) {
	if rt.budget != nil {
		if attempt == 1 {
			rt.budget.EndRequest()
		} else {
			rt.budget.EndRetry()
		}
	}
	if rt.throttle == nil {
		return
	}
	switch {
	case o == results.OK:
		rt.throttle.Success()
	case rt.on[o]:
		rt.throttle.Failure()
	}
}

// Wants reports whether an attempt that ended with o, the attempt-th of
// its request, calls for a retry under the policy alone.
func (rt *Retrier) Wants(attempt int32, o results.Outcome) bool {
	return rt.on[o] && rt.policy.Allows(int(attempt))
}

// Admit asks the throttle, then the budget, whether a retry may start; a
// retry the budget admits counts as in flight until its attempt ends.
func (rt *Retrier) Admit() bool {
	if rt.throttle != nil && !rt.throttle.AllowRetry() {
		return false
	}
	return rt.budget == nil || rt.budget.BeginRetry()
}

// Delay draws the wait before retry n (1 for the first retry).
func (rt *Retrier) Delay(n int32, prev time.Duration) time.Duration {
	return rt.policy.Delay(int(n), prev, rt.rng)
}

// prefixErr puts prefix in front of the field a settings error names
// ("max_tokens: ..." under "throttle." reads "throttle.max_tokens: ...").
func prefixErr(prefix string, err error) error {
	field, rule, ok := strings.Cut(err.Error(), ": ")
	if !ok {
		return &FieldError{Field: strings.TrimSuffix(prefix, "."), Rule: err.Error(), cause: err}
	}
	return &FieldError{Field: prefix + field, Rule: rule, cause: err}
}

// Budget returns the retry budget, nil without one (for tests and
// sampling).
func (rt *Retrier) Budget() *resilience.Budget { return rt.budget }

// Throttle returns the retry throttle, nil without one.
func (rt *Retrier) Throttle() *resilience.Throttle { return rt.throttle }
