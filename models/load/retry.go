package load

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"faultline/models/resilience"
	"faultline/reports/results"
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

func (c *RetryConfig) clone() *RetryConfig {
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

// Validate reports the first invalid field as "retry.<field>: rule".
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
		return &configErr{msg: "retry." + field + ": " + rule, cause: err}
	}
	for i, o := range c.On {
		if _, ok := retryable[o]; !ok {
			return invalid("retry.on[%d]: must be one of timeout, error, rejected, got %q", i, o)
		}
	}
	if c.Budget != nil {
		if err := c.Budget.Validate(); err != nil {
			return &configErr{msg: "retry.budget." + err.Error(), cause: err}
		}
	}
	if c.Throttle != nil {
		if err := c.Throttle.Validate(); err != nil {
			return &configErr{msg: "retry.throttle." + err.Error(), cause: err}
		}
	}
	return nil
}

// retrier is a client's retry state: the policy, the shared budget and
// throttle, and the random stream of back-off delays.
type retrier struct {
	policy   resilience.Retry
	on       [maxOutcomes]bool
	budget   *resilience.Budget   // nil: unlimited
	throttle *resilience.Throttle // nil: off
	rng      *rand.Rand
}

// newRetrier builds the retry state of a validated config; nil without one.
func newRetrier(c *RetryConfig, rng *rand.Rand) (*retrier, error) {
	if c == nil {
		return nil, nil
	}
	p, err := resilience.NewRetry(c.policy())
	if err != nil {
		return nil, err
	}
	rt := &retrier{policy: p, rng: rng}
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

// begin counts attempt (1 for the first) going out.
func (rt *retrier) begin(attempt int32) {
	if rt.budget != nil && attempt == 1 {
		rt.budget.BeginRequest()
	}
}

// end counts attempt ending with o: the budget's requests or retries in
// flight, and the throttle's tokens (a success adds, a retryable failure
// takes, other failures leave them, as in gRFC A6).
func (rt *retrier) end(attempt int32, o results.Outcome) {
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

// wants reports whether an attempt that ended with o, the attempt-th of
// its request, calls for a retry under the policy alone.
func (rt *retrier) wants(attempt int32, o results.Outcome) bool {
	return rt.on[o] && rt.policy.Allows(int(attempt))
}

// admit asks the throttle, then the budget, whether a retry may start; a
// retry the budget admits counts as in flight until its attempt ends.
func (rt *retrier) admit() bool {
	if rt.throttle != nil && !rt.throttle.AllowRetry() {
		return false
	}
	return rt.budget == nil || rt.budget.BeginRetry()
}

// delay draws the wait before retry n (1 for the first retry).
func (rt *retrier) delay(n int32, prev time.Duration) time.Duration {
	return rt.policy.Delay(int(n), prev, rt.rng)
}
