package resilience

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/faultline-sim/faultline/field"
)

// Back-off kinds: the ceiling of the nth retry's delay before jitter.
const (
	// BackoffConstant waits base before every retry.
	BackoffConstant = "constant"
	// BackoffExponential waits min(cap, base·2^(n-1)) before retry n, so
	// base before the first.
	BackoffExponential = "exponential"
	// BackoffEnvoy is Envoy's documented router back-off:
	// min(cap, (2^n - 1)·base) before retry n.
	BackoffEnvoy = "envoy"
)

// Jitter kinds, after the AWS Architecture Blog's "Exponential Backoff And
// Jitter", for a ceiling v.
const (
	// JitterNone waits v.
	JitterNone = "none"
	// JitterFull waits a uniform draw from [0, v).
	JitterFull = "full"
	// JitterEqual waits v/2 plus a uniform draw from [0, v/2).
	JitterEqual = "equal"
	// JitterDecorrelated ignores the back-off kind and waits
	// min(cap, uniform [base, 3·prev)), prev being the previous delay
	// (base before the first retry).
	JitterDecorrelated = "decorrelated"
)

// Retry defaults.
const (
	DefaultMaxAttempts = 3
	DefaultRetryBase   = 25 * time.Millisecond
	// DefaultRetryCapFactor makes the default cap 10 × base, as in Envoy.
	DefaultRetryCapFactor = 10
)

// RetryConfig is a client's retry policy, the one configuration of
// retries everywhere: a load client's load.retry, a service call's
// calls[].retry, and the real chain's calls and load generator. Every
// attempt has its own deadline (the caller's timeout from the attempt's
// start); a request's latency and outcome are those of the whole logical
// request, from its intended start to the end of its last attempt. The
// server is never told that a client gave up, so it keeps working on
// abandoned attempts: that is what lets retries amplify an overload into a
// retry storm.
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
	Budget *BudgetConfig `yaml:"budget"`
	// Throttle is gRPC's retry throttling (gRFC A6); nil turns it off.
	Throttle *ThrottleConfig `yaml:"throttle"`
}

// Backoff is the delay before a retry.
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

// DefaultRetryOn is the outcomes retried when RetryConfig.On is empty.
var DefaultRetryOn = []string{"timeout", "error"}

// EnvoyRetryConfig is Envoy's router default: one retry (num_retries 1),
// base interval 25ms, max interval 250ms, full jitter over
// [0, (2^n - 1)·25ms) capped at 250ms.
func EnvoyRetryConfig() RetryConfig {
	return RetryConfig{MaxAttempts: 2, Backoff: Backoff{Kind: BackoffEnvoy, Base: 25 * time.Millisecond, Cap: 250 * time.Millisecond, Jitter: JitterFull}}
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

// SetDefaults fills every zero field that has a default.
func (c *RetryConfig) SetDefaults() {
	setDefault(&c.MaxAttempts, DefaultMaxAttempts)
	c.Backoff.SetDefaults()
	if len(c.On) == 0 {
		c.On = slices.Clone(DefaultRetryOn)
	}
	if c.Budget != nil {
		c.Budget.SetDefaults()
	}
}

// SetDefaults fills every zero field that has a default.
func (b *Backoff) SetDefaults() {
	setDefault(&b.Kind, BackoffExponential)
	setDefault(&b.Base, DefaultRetryBase)
	setDefault(&b.Cap, DefaultRetryCapFactor*b.Base)
	setDefault(&b.Jitter, JitterFull)
}

// Validate reports the first invalid field; run it after SetDefaults.
func (c *RetryConfig) Validate() error {
	if c.MaxAttempts < 1 {
		return invalid("max_attempts", "must be >= 1 (attempts including the first), got %d", c.MaxAttempts)
	}
	if err := c.Backoff.Validate(); err != nil {
		return field.Under("backoff", err)
	}
	for i, o := range c.On {
		if _, ok := retryable[o]; !ok {
			return invalid(field.Index("on", i), "must be one of timeout, error, rejected, got %q", o)
		}
	}
	if c.Budget != nil {
		if err := c.Budget.Validate(); err != nil {
			return field.Under("budget", err)
		}
	}
	if c.Throttle != nil {
		if err := c.Throttle.Validate(); err != nil {
			return field.Under("throttle", err)
		}
	}
	return nil
}

// Validate reports the first invalid field; run it after SetDefaults.
func (b *Backoff) Validate() error {
	switch {
	case b.Kind != BackoffConstant && b.Kind != BackoffExponential && b.Kind != BackoffEnvoy:
		return invalid("kind", "must be one of constant, exponential, envoy, got %q", b.Kind)
	case b.Base <= 0:
		return invalid("base", "must be > 0, got %v", b.Base)
	case b.Cap < b.Base:
		return invalid("cap", "must be >= base (%v), got %v", b.Base, b.Cap)
	case b.Jitter != JitterNone && b.Jitter != JitterFull && b.Jitter != JitterEqual && b.Jitter != JitterDecorrelated:
		return invalid("jitter", "must be one of none, full, equal, decorrelated, got %q", b.Jitter)
	}
	return nil
}

// Retry is a retry policy: how many attempts, and how long to wait before
// each retry. It holds no per-request state.
type Retry struct {
	maxAttempts int
	cfg         Backoff
}

// NewRetry applies the defaults and validates cfg; it reads the attempt
// count and the back-off (the outcomes, budget and throttle are the
// Retrier's).
func NewRetry(cfg RetryConfig) (Retry, error) {
	cfg = *cfg.Clone()
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return Retry{}, err
	}
	return Retry{maxAttempts: cfg.MaxAttempts, cfg: cfg.Backoff}, nil
}

// MaxAttempts returns the attempts allowed, the first included.
func (p Retry) MaxAttempts() int { return p.maxAttempts }

// Backoff returns the policy's back-off with defaults applied.
func (p Retry) Backoff() Backoff { return p.cfg }

// Allows reports whether a request that has made attempts attempts may
// make another.
func (p Retry) Allows(attempts int) bool { return attempts < p.maxAttempts }

// Ceiling is the delay before retry attempt (1 for the first retry)
// before jitter, at most Cap.
func (p Retry) Ceiling(attempt int) time.Duration {
	base, limit := p.cfg.Base, p.cfg.Cap
	n := max(attempt, 1)
	switch p.cfg.Kind {
	case BackoffExponential:
		if n-1 >= 62 || base > limit>>(n-1) {
			return limit
		}
		return base << (n - 1)
	case BackoffEnvoy:
		if n >= 62 || base > limit/(1<<n-1) {
			return limit
		}
		return base * (1<<n - 1)
	}
	return base
}

// Delay draws the wait before retry attempt (1 for the first retry); prev
// is the previous delay, read by decorrelated jitter only (0 before the
// first retry).
func (p Retry) Delay(attempt int, prev time.Duration, r *rand.Rand) time.Duration {
	switch p.cfg.Jitter {
	case JitterFull:
		return uniform(r, 0, p.Ceiling(attempt))
	case JitterEqual:
		v := p.Ceiling(attempt)
		return v/2 + uniform(r, 0, v/2)
	case JitterDecorrelated:
		base := p.cfg.Base
		prev = max(prev, base)
		hi := time.Duration(math.MaxInt64)
		if prev <= hi/3 {
			hi = prev * 3
		}
		return min(p.cfg.Cap, uniform(r, base, hi))
	}
	return p.Ceiling(attempt)
}

// uniform draws from [lo, hi), or returns lo when the range is empty.
func uniform(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}
