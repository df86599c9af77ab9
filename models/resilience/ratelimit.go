package resilience

import (
	"math"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// DefaultBurst is the bucket size of a zero Burst.
const DefaultBurst = 1

// RateLimitConfig configures a RateLimiter.
type RateLimitConfig struct {
	// Rate is how many tokens the bucket regains per second of virtual
	// time, continuously. Required: must be > 0 and finite (there is no
	// default, and 0 is invalid).
	Rate float64 `yaml:"rate"`
	// Burst is the bucket size, and its content at the start. Default
	// (and the meaning of 0): 1.
	Burst int `yaml:"burst"`
}

// SetDefaults fills every zero field that has a default.
func (c *RateLimitConfig) SetDefaults() { setDefault(&c.Burst, DefaultBurst) }

// Validate reports the first invalid field; run it after SetDefaults.
func (c *RateLimitConfig) Validate() error {
	if !(c.Rate > 0) || math.IsInf(c.Rate, 1) {
		return invalid("rate", "must be > 0 and finite (tokens/s), got %v", c.Rate)
	}
	if c.Burst < 1 {
		return invalid("burst", "must be >= 1 (tokens), got %d", c.Burst)
	}
	return nil
}

// RateLimiter is a token bucket with the exact arithmetic of
// golang.org/x/time/rate.Limiter's AllowN: the same float64 operations in
// the same order, so that the same request times give the same answers,
// including x/time/rate's tolerance of a deficit worth less than a
// nanosecond. Time going backwards counts as no time passing.
type RateLimiter struct {
	cfg     RateLimitConfig
	tokens  float64
	last    sim.Time
	started bool // whether last is set; before that the bucket is full
}

// NewRateLimiter applies the defaults, validates cfg and returns a full
// bucket.
func NewRateLimiter(cfg RateLimitConfig) (*RateLimiter, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &RateLimiter{cfg: cfg, tokens: float64(cfg.Burst)}, nil
}

// Config returns the limiter's settings with defaults applied.
func (l *RateLimiter) Config() RateLimitConfig { return l.cfg }

// Allow takes one token at now if there is one.
func (l *RateLimiter) Allow(now sim.Time) bool { return l.AllowN(now, 1) }

// AllowN takes n tokens at now if there are n, and otherwise takes none.
func (l *RateLimiter) AllowN(now sim.Time, n int) bool {
	tokens := l.Tokens(now) - float64(n)
	var wait time.Duration
	if tokens < 0 {
		wait = durationFromTokens(l.cfg.Rate, -tokens)
	}
	if n > l.cfg.Burst || wait > 0 {
		return false
	}
	l.last, l.started, l.tokens = now, true, tokens
	return true
}

// Tokens is the bucket's content at now (x/time/rate's TokensAt); it may
// be slightly negative after an allowance within a nanosecond's deficit.
func (l *RateLimiter) Tokens(now sim.Time) float64 {
	if !l.started {
		return l.tokens
	}
	last := min(l.last, now)
	tokens := l.tokens + now.Sub(last).Seconds()*l.cfg.Rate
	return min(tokens, float64(l.cfg.Burst))
}

// durationFromTokens is x/time/rate's conversion, truncating to whole
// nanoseconds.
func durationFromTokens(rate, tokens float64) time.Duration {
	d := (tokens / rate) * float64(time.Second)
	if d > float64(math.MaxInt64) {
		return math.MaxInt64
	}
	return time.Duration(d)
}
