package chain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/sim"
)

// TestValidateNamesTheField: each invalid setting is reported by its yaml
// path, and every error matches ErrConfig.
func TestValidateNamesTheField(t *testing.T) {
	call := func(f func(*CallConfig)) ServiceConfig {
		c := CallConfig{Target: "b"}
		f(&c)
		return ServiceConfig{Name: "a", Calls: []CallConfig{c}}
	}
	cases := []struct {
		name string
		cfg  ServiceConfig
		want string
	}{
		{"name", ServiceConfig{Name: "A b"}, "name:"},
		{"listen not loopback", ServiceConfig{Name: "a", Listen: "0.0.0.0:80"}, "listen:"},
		{"workers", ServiceConfig{Name: "a", Workers: -1}, "workers:"},
		{"queue", ServiceConfig{Name: "a", QueueLimit: -1}, "queue_limit:"},
		{"error rate", ServiceConfig{Name: "a", ErrorRate: 1.5}, "error_rate:"},
		{"mode", ServiceConfig{Name: "a", Mode: "fanout"}, "mode:"},
		{"quorum", ServiceConfig{Name: "a", CallQuorum: 1, Calls: []CallConfig{{Target: "b"}}}, "call_quorum: needs mode parallel"},
		{"quorum range", ServiceConfig{Name: "a", Mode: Parallel, CallQuorum: 1}, "call_quorum: must be in [0, 0]"},
		{"service time", ServiceConfig{Name: "a", ServiceTime: sim.DistSpec{Kind: "exponential"}}, "service_time.mean: must be in (0, +Inf), got 0"},
		{"rate limit", ServiceConfig{Name: "a", RateLimit: &resilience.RateLimitConfig{}}, "rate_limit.rate:"},
		{"call target", call(func(c *CallConfig) { c.Target = "" }), "calls[0].target:"},
		{"call timeout", call(func(c *CallConfig) { c.Timeout = -time.Second }), "calls[0].timeout:"},
		{"call retry", call(func(c *CallConfig) { c.Retry = &resilience.RetryConfig{Backoff: resilience.Backoff{Kind: "linear"}} }), "calls[0].retry.backoff.kind:"},
		{"window breaker", call(func(c *CallConfig) {
			c.WindowBreaker = &resilience.WindowBreakerConfig{SlidingWindowType: "sliding"}
		}), "calls[0].window_breaker.sliding_window_type:"},
		{"bulkhead", call(func(c *CallConfig) { c.Bulkhead = &resilience.BulkheadConfig{MaxWaiting: -1} }), "calls[0].bulkhead.max_waiting:"},
		{"call rate limit", call(func(c *CallConfig) { c.RateLimit = &resilience.RateLimitConfig{Rate: -1} }), "calls[0].rate_limit.rate:"},
		{"call balancer", call(func(c *CallConfig) { c.Balancer = "fastest" }), `calls[0].balancer: must be one of round_robin, random, least_outstanding, p2c, got "fastest"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.SetDefaults()
			err := tc.cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, errors.Is(err, ErrConfig), "%v does not match ErrConfig", err)
			var fe *field.Error
			require.ErrorAs(t, err, &fe)
			assert.True(t, strings.HasPrefix(tc.want, fe.Path+":"), "path %q, want %q", fe.Path, tc.want)
		})
	}
}

// TestChainValidate: targets must exist, names be unique, no self-calls.
func TestChainValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "services:"},
		{Config{Services: []ServiceConfig{{Name: "a"}, {Name: "a"}}}, `services[1].name: "a" is used twice`},
		{Config{Services: []ServiceConfig{{Name: "a", Calls: []CallConfig{{Target: "x"}}}}}, "services[0].calls[0].target: no service"},
		{Config{Services: []ServiceConfig{{Name: "a", Calls: []CallConfig{{Target: "a"}}}}}, "call itself"},
		{Config{Services: []ServiceConfig{{Name: "a", Workers: -2}}}, "services[0].workers:"},
	} {
		tc.cfg.SetDefaults()
		err := tc.cfg.Validate()
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
}

// TestConfigYAMLRoundTrip: the harness hands each service its config as
// YAML; every field, durations included, survives the trip.
func TestConfigYAMLRoundTrip(t *testing.T) {
	in := ServiceConfig{
		Name: "a", Listen: "127.0.0.1:12345", Workers: 4, QueueLimit: 2, ErrorRate: 0.1, Seed: 7, Mode: Parallel,
		ServiceTime: sim.DistSpec{Kind: "lognormal", Mean: 0.01, Stddev: 0.005},
		RateLimit:   &resilience.RateLimitConfig{Rate: 50, Burst: 10},
		Calls: []CallConfig{{
			Target: "b", Addrs: []string{"127.0.0.1:12346"}, Timeout: 250 * time.Millisecond, Fallback: true,
			Retry:    &resilience.RetryConfig{MaxAttempts: 3, Backoff: resilience.Backoff{Kind: "envoy", Base: 25 * time.Millisecond}, Budget: &resilience.BudgetConfig{BudgetPercent: 20}},
			Breaker:  &resilience.BreakerConfig{Timeout: 2 * time.Second, ConsecutiveFailures: 3},
			Bulkhead: &resilience.BulkheadConfig{MaxConcurrent: 3, MaxWaiting: 1},
		}},
	}
	in.SetDefaults()
	data, err := yaml.Marshal(in)
	require.NoError(t, err)
	assert.Contains(t, string(data), "timeout: 250ms")
	var out ServiceConfig
	require.NoError(t, yaml.Unmarshal(data, &out))
	assert.Equal(t, in, out)
}

// TestConfigsAreNotMutated: NewService and Start default their own copies;
// the policies the caller's config points to keep their zero fields.
func TestConfigsAreNotMutated(t *testing.T) {
	retry := &resilience.RetryConfig{}
	breaker := &resilience.BreakerConfig{}
	cfg := ServiceConfig{Name: "a", Calls: []CallConfig{{Target: "b", Addrs: []string{"127.0.0.1:9"}, Retry: retry, Breaker: breaker}}}
	_, err := NewService(cfg)
	require.NoError(t, err)
	assert.Equal(t, resilience.RetryConfig{}, *retry)
	assert.Equal(t, resilience.BreakerConfig{}, *breaker)
	assert.Zero(t, cfg.Calls[0].Timeout)
	assert.Zero(t, cfg.Workers)
}
