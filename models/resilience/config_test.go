package resilience

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestConfigsFromYAML checks the yaml field names and that durations are
// written as Go durations ("250ms").
func TestConfigsFromYAML(t *testing.T) {
	var doc struct {
		Breaker       BreakerConfig       `yaml:"breaker"`
		WindowBreaker WindowBreakerConfig `yaml:"window_breaker"`
		Retry         RetryConfig         `yaml:"retry"`
		Budget        BudgetConfig        `yaml:"budget"`
		Throttle      ThrottleConfig      `yaml:"throttle"`
		RateLimit     RateLimitConfig     `yaml:"rate_limit"`
		Bulkhead      BulkheadConfig      `yaml:"bulkhead"`
	}
	src := `
breaker: {max_requests: 3, interval: 10s, timeout: 30s, consecutive_failures: 4}
window_breaker:
  sliding_window_type: time_based
  sliding_window_size: 20
  failure_rate_threshold: 40
  slow_call_rate_threshold: 80
  slow_call_duration_threshold: 2s
  minimum_number_of_calls: 10
  wait_duration_in_open_state: 5s
  permitted_number_of_calls_in_half_open_state: 4
retry:
  max_attempts: 4
  backoff: {kind: exponential, base: 100ms, cap: 1s, jitter: decorrelated}
  on: [timeout, rejected]
  budget: {budget_percent: 20, min_retry_concurrency: 3}
  throttle: {max_tokens: 10, token_ratio: 0.1}
budget: {budget_percent: 25, min_retry_concurrency: 2}
throttle: {max_tokens: 10, token_ratio: 0.1}
rate_limit: {rate: 50, burst: 5}
bulkhead: {max_concurrent: 8, max_waiting: 16}
`
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&doc))
	assert.Equal(t, BreakerConfig{MaxRequests: 3, Interval: 10 * time.Second, Timeout: 30 * time.Second, ConsecutiveFailures: 4}, doc.Breaker)
	assert.Equal(t, WindowBreakerConfig{
		SlidingWindowType: TimeBased, SlidingWindowSize: 20, FailureRateThreshold: 40, SlowCallRateThreshold: 80,
		SlowCallDurationThreshold: 2 * time.Second, MinimumNumberOfCalls: 10, WaitDurationInOpenState: 5 * time.Second,
		PermittedNumberOfCallsInHalfOpenState: 4,
	}, doc.WindowBreaker)
	assert.Equal(t, RetryConfig{MaxAttempts: 4, Backoff: Backoff{Kind: BackoffExponential, Base: 100 * ms, Cap: time.Second, Jitter: JitterDecorrelated},
		On: []string{"timeout", "rejected"}, Budget: &BudgetConfig{BudgetPercent: 20, MinRetryConcurrency: 3}, Throttle: &ThrottleConfig{MaxTokens: 10, TokenRatio: 0.1}}, doc.Retry)
	assert.Equal(t, BudgetConfig{BudgetPercent: 25, MinRetryConcurrency: 2}, doc.Budget)
	assert.Equal(t, ThrottleConfig{MaxTokens: 10, TokenRatio: 0.1}, doc.Throttle)
	assert.Equal(t, RateLimitConfig{Rate: 50, Burst: 5}, doc.RateLimit)
	assert.Equal(t, BulkheadConfig{MaxConcurrent: 8, MaxWaiting: 16}, doc.Bulkhead)
	for name, v := range map[string]interface{ Validate() error }{
		"breaker": &doc.Breaker, "window_breaker": &doc.WindowBreaker, "retry": &doc.Retry, "budget": &doc.Budget,
		"throttle": &doc.Throttle, "rate_limit": &doc.RateLimit, "bulkhead": &doc.Bulkhead,
	} {
		assert.NoError(t, v.Validate(), name)
	}
}
