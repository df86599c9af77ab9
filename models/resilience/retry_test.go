package resilience

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/faultline-sim/faultline/results"
)

const ms = time.Millisecond

// TestEnvoyRetryRanges samples the Envoy preset's delay for retries 1..5
// and checks each lies in [0, min((2^n-1)·25ms, 250ms)) and covers it: some
// draw lands in the lowest and some in the highest tenth of the range.
func TestEnvoyRetryRanges(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	p, err := NewRetry(EnvoyRetryConfig())
	require.NoError(t, err)
	for n := 1; n <= 5; n++ {
		hi := min(time.Duration(1<<n-1)*25*ms, 250*ms)
		require.Equal(t, hi, p.Ceiling(n))
		lo, top := hi, time.Duration(0)
		for range 5000 {
			d := p.Delay(n, 0, r)
			require.True(t, d >= 0 && d < hi, "seed=%d: retry %d drew %v outside [0, %v)", seed, n, d, hi)
			lo, top = min(lo, d), max(top, d)
		}
		assert.Less(t, lo, hi/10, "seed=%d: retry %d never drew near 0", seed, n)
		assert.Greater(t, top, hi-hi/10, "seed=%d: retry %d never drew near %v", seed, n, hi)
	}
}

func TestRetryCeilings(t *testing.T) {
	cases := []struct {
		backoff string
		want    []time.Duration // retries 1..6, base 10ms, cap 200ms
	}{
		{BackoffConstant, []time.Duration{10 * ms, 10 * ms, 10 * ms, 10 * ms, 10 * ms, 10 * ms}},
		{BackoffExponential, []time.Duration{10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 200 * ms}},
		{BackoffEnvoy, []time.Duration{10 * ms, 30 * ms, 70 * ms, 150 * ms, 200 * ms, 200 * ms}},
	}
	for _, tc := range cases {
		p, err := NewRetry(RetryConfig{Backoff: Backoff{Kind: tc.backoff, Base: 10 * ms, Cap: 200 * ms, Jitter: JitterNone}})
		require.NoError(t, err)
		for i, want := range tc.want {
			assert.Equal(t, want, p.Ceiling(i+1), "%s retry %d", tc.backoff, i+1)
			assert.Equal(t, want, p.Delay(i+1, 0, nil), "no jitter draws nothing")
		}
		assert.Equal(t, tc.want[len(tc.want)-1], p.Ceiling(1000), "no overflow")
	}
}

func TestRetryAllows(t *testing.T) {
	p, err := NewRetry(RetryConfig{})
	require.NoError(t, err)
	assert.True(t, p.Allows(1))
	assert.True(t, p.Allows(2))
	assert.False(t, p.Allows(3), "3 attempts by default, the first included")
}

// TestRetryJitterRanges is the AWS blog's formulas as properties.
func TestRetryJitterRanges(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := time.Duration(rapid.Int64Range(1, int64(time.Second)).Draw(t, "base"))
		cfg := Backoff{
			Kind:   rapid.SampledFrom([]string{BackoffConstant, BackoffExponential, BackoffEnvoy}).Draw(t, "backoff"),
			Base:   base,
			Cap:    base * time.Duration(rapid.Int64Range(1, 100).Draw(t, "cap_factor")),
			Jitter: rapid.SampledFrom([]string{JitterNone, JitterFull, JitterEqual, JitterDecorrelated}).Draw(t, "jitter"),
		}
		p, err := NewRetry(RetryConfig{Backoff: cfg})
		require.NoError(t, err)
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		prev := time.Duration(0)
		for n := 1; n <= 70; n++ {
			v := p.Ceiling(n)
			d := p.Delay(n, prev, r)
			switch cfg.Jitter {
			case JitterNone:
				require.Equal(t, v, d)
			case JitterFull:
				require.True(t, d >= 0 && (d < v || v == 0), "full: %v not in [0, %v)", d, v)
			case JitterEqual:
				require.True(t, d >= v/2 && d <= v, "equal: %v not in [%v, %v]", d, v/2, v)
			case JitterDecorrelated:
				hi := max(prev, base) * 3
				require.True(t, d >= base && d <= cfg.Cap && (d < hi || d == base), "decorrelated: %v not in [%v, min(%v, %v))", d, base, cfg.Cap, hi)
			}
			require.LessOrEqual(t, d, cfg.Cap)
			prev = d
		}
	})
}

func TestRetryConfig(t *testing.T) {
	var c RetryConfig
	c.SetDefaults()
	assert.Equal(t, RetryConfig{MaxAttempts: 3, Backoff: Backoff{Kind: BackoffExponential, Base: 25 * ms, Cap: 250 * ms, Jitter: JitterFull},
		On: []string{"timeout", "error"}}, c)
	cases := []struct {
		cfg  RetryConfig
		want string
	}{
		{RetryConfig{MaxAttempts: -1}, "max_attempts: must be >= 1 (attempts including the first), got -1"},
		{RetryConfig{Backoff: Backoff{Kind: "linear"}}, `backoff.kind: must be one of constant, exponential, envoy, got "linear"`},
		{RetryConfig{Backoff: Backoff{Base: -ms}}, "backoff.base: must be > 0, got -1ms"},
		{RetryConfig{Backoff: Backoff{Base: 10 * ms, Cap: 5 * ms}}, "backoff.cap: must be >= base (10ms), got 5ms"},
		{RetryConfig{Backoff: Backoff{Jitter: "half"}}, `backoff.jitter: must be one of none, full, equal, decorrelated, got "half"`},
		{RetryConfig{On: []string{"timeout", "ok"}}, `on[1]: must be one of timeout, error, rejected, got "ok"`},
		{RetryConfig{Budget: &BudgetConfig{BudgetPercent: 150}}, "budget.budget_percent: must be in (0, 100] (percent of active requests), got 150"},
	}
	for _, tc := range cases {
		_, err := NewRetry(tc.cfg)
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error())
		assert.ErrorIs(t, err, ErrConfig)
	}
}

func TestRetryDelayDoesNotAllocate(t *testing.T) {
	p, err := NewRetry(RetryConfig{Backoff: Backoff{Jitter: JitterDecorrelated}})
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(1, 2))
	prev := time.Duration(0)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { prev = p.Delay(3, prev, r) }))
}

// TestRetrierDecides: a Retrier retries the outcomes On names while the
// policy allows, asks the throttle before the budget, and counts each
// attempt's end in both: the budget's retries in flight end with their
// attempt, and the throttle's tokens follow gRFC A6 (a success adds one
// token ratio, a retryable failure takes one, another failure neither).
func TestRetrierDecides(t *testing.T) {
	cfg := &RetryConfig{MaxAttempts: 3, On: []string{"timeout"},
		Budget:   &BudgetConfig{BudgetPercent: 100, MinRetryConcurrency: 1},
		Throttle: &ThrottleConfig{MaxTokens: 4, TokenRatio: 1}}
	cfg.SetDefaults()
	require.NoError(t, cfg.Validate())
	rt, err := NewRetrier(cfg, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)

	assert.True(t, rt.Wants(1, results.Timeout))
	assert.True(t, rt.Wants(2, results.Timeout))
	assert.False(t, rt.Wants(3, results.Timeout), "3 attempts at most")
	assert.False(t, rt.Wants(1, results.Error), "error is not in on")

	rt.Begin(1)
	rt.End(1, results.Error) // not retryable: the throttle keeps its tokens
	assert.Equal(t, 4.0, rt.Throttle().Tokens())
	rt.Begin(1)
	rt.End(1, results.Timeout)
	assert.Equal(t, 3.0, rt.Throttle().Tokens())
	require.True(t, rt.Admit(), "the budget's floor admits one retry in flight")
	assert.False(t, rt.Admit(), "a second retry in flight is over the budget of one")
	rt.End(2, results.OK)
	assert.Equal(t, 4.0, rt.Throttle().Tokens())
	assert.True(t, rt.Admit(), "the retry ended, so another may start")

	rt.End(2, results.Timeout)
	rt.Begin(1)
	rt.End(1, results.Timeout) // 2 tokens: at half of max_tokens retries stop
	assert.False(t, rt.Admit(), "the throttle refuses at or below half its tokens")

	nothing, err := NewRetrier(nil, nil)
	assert.NoError(t, err)
	assert.Nil(t, nothing)
}

func TestRetryConfigCloneIsDeep(t *testing.T) {
	c := &RetryConfig{On: []string{"timeout"}, Budget: &BudgetConfig{BudgetPercent: 20}, Throttle: &ThrottleConfig{MaxTokens: 10}}
	d := c.Clone()
	d.On[0], d.Budget.BudgetPercent, d.Throttle.MaxTokens = "error", 50, 5
	assert.Equal(t, "timeout", c.On[0])
	assert.Equal(t, 20.0, c.Budget.BudgetPercent)
	assert.Equal(t, 10.0, c.Throttle.MaxTokens)
	assert.Nil(t, (*RetryConfig)(nil).Clone())
}
