package resilience

import (
	"math"
	"math/rand/v2"
	"time"
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

// RetryConfig configures a Retry policy.
type RetryConfig struct {
	// MaxAttempts is the number of attempts including the first, so 1
	// never retries. Default 3; must be >= 1.
	MaxAttempts int `yaml:"max_attempts"`
	// Backoff is constant, exponential (the default) or envoy.
	Backoff string `yaml:"backoff"`
	// Base is the first retry's delay ceiling. Default 25ms; must be > 0.
	Base time.Duration `yaml:"base"`
	// Cap bounds every delay. Default 10 × base; must be >= base.
	Cap time.Duration `yaml:"cap"`
	// Jitter is none, full (the default), equal or decorrelated.
	Jitter string `yaml:"jitter"`
}

// EnvoyRetryConfig is Envoy's router default: one retry (num_retries 1),
// base interval 25ms, max interval 250ms, full jitter over
// [0, (2^n - 1)·25ms) capped at 250ms.
func EnvoyRetryConfig() RetryConfig {
	return RetryConfig{MaxAttempts: 2, Backoff: BackoffEnvoy, Base: 25 * time.Millisecond, Cap: 250 * time.Millisecond, Jitter: JitterFull}
}

// SetDefaults fills every zero field that has a default.
func (c *RetryConfig) SetDefaults() {
	setDefault(&c.MaxAttempts, DefaultMaxAttempts)
	setDefault(&c.Backoff, BackoffExponential)
	setDefault(&c.Base, DefaultRetryBase)
	setDefault(&c.Cap, DefaultRetryCapFactor*c.Base)
	setDefault(&c.Jitter, JitterFull)
}

// Validate reports the first invalid field; run it after SetDefaults.
func (c *RetryConfig) Validate() error {
	switch {
	case c.MaxAttempts < 1:
		return invalid("max_attempts: must be >= 1 (attempts including the first), got %d", c.MaxAttempts)
	case c.Backoff != BackoffConstant && c.Backoff != BackoffExponential && c.Backoff != BackoffEnvoy:
		return invalid("backoff: must be one of constant, exponential, envoy, got %q", c.Backoff)
	case c.Base <= 0:
		return invalid("base: must be > 0, got %v", c.Base)
	case c.Cap < c.Base:
		return invalid("cap: must be >= base (%v), got %v", c.Base, c.Cap)
	case c.Jitter != JitterNone && c.Jitter != JitterFull && c.Jitter != JitterEqual && c.Jitter != JitterDecorrelated:
		return invalid("jitter: must be one of none, full, equal, decorrelated, got %q", c.Jitter)
	}
	return nil
}

// Retry is a retry policy: how many attempts, and how long to wait before
// each retry. It holds no per-request state.
type Retry struct{ cfg RetryConfig }

// NewRetry applies the defaults and validates cfg.
func NewRetry(cfg RetryConfig) (Retry, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return Retry{}, err
	}
	return Retry{cfg: cfg}, nil
}

// Config returns the policy's settings with defaults applied.
func (p Retry) Config() RetryConfig { return p.cfg }

// Allows reports whether a request that has made attempts attempts may
// make another.
func (p Retry) Allows(attempts int) bool { return attempts < p.cfg.MaxAttempts }

// Ceiling is the delay before retry attempt (1 for the first retry)
// before jitter, at most Cap.
func (p Retry) Ceiling(attempt int) time.Duration {
	base, limit := p.cfg.Base, p.cfg.Cap
	n := max(attempt, 1)
	switch p.cfg.Backoff {
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
