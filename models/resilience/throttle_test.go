package resilience

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThrottleGRFCExample runs gRFC A6's example policy (maxTokens 10,
// tokenRatio 0.1, so a threshold of 5 tokens). Script: f a failed call,
// s a successful one, N*x x repeated; after each step the expected token
// count and whether a retry is allowed.
func TestThrottleGRFCExample(t *testing.T) {
	cases := []struct {
		name   string
		script string
		tokens float64
		allow  bool
	}{
		{"starts at max_tokens", "", 10, true},
		{"four failures: above half", "4*f", 6, true},
		{"five failures: at half, throttled", "5*f", 5, false},
		{"one success lifts it over", "5*f s", 5.1, true},
		{"a failure per ten successes holds it", "5*f s f 10*s", 5.1, true},
		{"successes are capped at max_tokens", "f 20*s", 10, true},
		{"failures floor at 0", "30*f", 0, false},
		{"from 0 it takes 51 successes", "30*f 50*s", 5, false},
		{"from 0, the 51st success", "30*f 51*s", 5.1, true},
		{"tenths add exactly", "f 10*s", 10, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			th, err := NewThrottle(ThrottleConfig{MaxTokens: 10, TokenRatio: 0.1})
			require.NoError(t, err)
			for _, tok := range strings.Fields(tc.script) {
				n := 1
				if i := strings.IndexByte(tok, '*'); i > 0 {
					n, tok = atoi(t, tok[:i]), tok[i+1:]
				}
				for range n {
					if tok == "f" {
						th.Failure()
					} else {
						th.Success()
					}
				}
			}
			assert.Equal(t, tc.tokens, th.Tokens())
			assert.Equal(t, tc.allow, th.AllowRetry())
		})
	}
}

func TestThrottleConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  ThrottleConfig
		want string
	}{
		{ThrottleConfig{TokenRatio: 0.1}, "max_tokens: must be in (0, 1000] with at most 3 decimals, got 0"},
		{ThrottleConfig{MaxTokens: 1001, TokenRatio: 0.1}, "max_tokens: must be in (0, 1000] with at most 3 decimals, got 1001"},
		{ThrottleConfig{MaxTokens: 10}, "token_ratio: must be in (0, max_tokens] with at most 3 decimals, got 0"},
		{ThrottleConfig{MaxTokens: 10, TokenRatio: 0.0001}, "token_ratio: must be in (0, max_tokens] with at most 3 decimals, got 0.0001"},
	} {
		tc.cfg.SetDefaults()
		_, err := NewThrottle(tc.cfg)
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error())
		assert.ErrorIs(t, err, ErrConfig)
	}
}
