package resilience

import "math"

// ThrottleConfig configures a Throttle; the fields are gRPC's
// retryThrottling service-config policy (gRFC A6). Both are required: a
// zero field is invalid, and SetDefaults leaves it alone.
type ThrottleConfig struct {
	// MaxTokens is the token count's ceiling and start; retries stop once
	// the count falls to MaxTokens/2 or below. Must be in (0, 1000], with
	// up to 3 decimal places (gRPC's example: 10).
	MaxTokens float64 `yaml:"max_tokens"`
	// TokenRatio is the tokens a successful call adds back (a failed one
	// takes 1). Must be in (0, MaxTokens], with up to 3 decimal places
	// (gRPC's example: 0.1).
	TokenRatio float64 `yaml:"token_ratio"`
}

// SetDefaults exists for symmetry with the other configs: the gRFC gives
// no defaults.
func (c *ThrottleConfig) SetDefaults() {}

// Validate reports the first invalid field.
func (c *ThrottleConfig) Validate() error {
	if !(c.MaxTokens > 0 && c.MaxTokens <= 1000) || milli(c.MaxTokens) == 0 {
		return invalid("max_tokens", "must be in (0, 1000] with at most 3 decimals, got %v", c.MaxTokens)
	}
	if !(c.TokenRatio > 0 && c.TokenRatio <= c.MaxTokens) || milli(c.TokenRatio) == 0 {
		return invalid("token_ratio", "must be in (0, max_tokens] with at most 3 decimals, got %v", c.TokenRatio)
	}
	return nil
}

// milli rounds v to thousandths, the gRFC's precision, as an integer.
func milli(v float64) int64 { return int64(math.Round(v * 1000)) }

// Throttle is gRPC's client-side retry throttling (gRFC A6) for one server
// name. The token count starts at MaxTokens and stays within
// [0, MaxTokens]; it is kept in thousandths of a token so that 0.1 adds
// exactly. It does not depend on time.
type Throttle struct {
	cfg    ThrottleConfig
	max    int64 // thousandths of a token
	ratio  int64
	tokens int64
}

// NewThrottle validates cfg and returns a throttle with a full count.
func NewThrottle(cfg ThrottleConfig) (*Throttle, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := milli(cfg.MaxTokens)
	return &Throttle{cfg: cfg, max: m, ratio: milli(cfg.TokenRatio), tokens: m}, nil
}

// Config returns the throttle's settings.
func (t *Throttle) Config() ThrottleConfig { return t.cfg }

// Failure records a call that failed with a retryable status (or a
// pushback saying not to retry): one token less.
func (t *Throttle) Failure() { t.tokens = max(t.tokens-1000, 0) }

// Success records a successful call: TokenRatio tokens more.
func (t *Throttle) Success() { t.tokens = min(t.tokens+t.ratio, t.max) }

// AllowRetry reports whether a retry (or a hedged call) may be sent: the
// token count is above MaxTokens/2.
func (t *Throttle) AllowRetry() bool { return 2*t.tokens > t.max }

// Tokens is the current token count.
func (t *Throttle) Tokens() float64 { return float64(t.tokens) / 1000 }
