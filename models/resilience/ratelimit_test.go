package resilience

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
	"pgregory.net/rapid"

	"github.com/faultline-sim/faultline/sim"
)

// TestRateLimiterMatchesXTimeRate drives golang.org/x/time/rate's Limiter
// (AllowN with explicit times, so no sleeping) and the model with the same
// seeded request times and sizes, and requires identical allow/deny
// sequences and bit-identical token counts. Gaps are drawn around the
// refill period, with exact multiples of it and zero gaps mixed in, so
// that requests often land where a token has only just been regained.
func TestRateLimiterMatchesXTimeRate(t *testing.T) {
	seed := testSeed(t)
	base := time.Unix(1_700_000_000, 0)
	rates := []float64{0.5, 1, 1.0 / 3, 3, 7.3, 10, 100, 1000, 1e6, 12345.678}
	for run := range 200 {
		s := seed + uint64(run)
		r := rand.New(rand.NewPCG(s, 7))
		cfg := RateLimitConfig{Rate: rates[r.IntN(len(rates))], Burst: 1 + r.IntN(10)}
		real := rate.NewLimiter(rate.Limit(cfg.Rate), cfg.Burst)
		model, err := NewRateLimiter(cfg)
		require.NoError(t, err)
		period := time.Duration(float64(time.Second) / cfg.Rate)
		now := sim.Time(r.Int64N(int64(time.Hour)))
		allowed := 0
		for i := range 2000 {
			switch r.IntN(4) {
			case 0:
			case 1:
				now = now.Add(period * time.Duration(r.IntN(3)))
			default:
				now = now.Add(time.Duration(r.ExpFloat64() * float64(period) / 2))
			}
			n := 1
			if r.IntN(10) == 0 {
				n = r.IntN(cfg.Burst + 2)
			}
			at := base.Add(time.Duration(now))
			want := real.AllowN(at, n)
			got := model.AllowN(now, n)
			if want != got {
				t.Fatalf("seed=%d cfg=%+v request %d (n=%d) at %v: x/time/rate %v, model %v", s, cfg, i, n, now, want, got)
			}
			if wt, gt := real.TokensAt(at), model.Tokens(now); wt != gt {
				t.Fatalf("seed=%d cfg=%+v request %d at %v: tokens: x/time/rate %v, model %v", s, cfg, i, now, wt, gt)
			}
			if got {
				allowed++
			}
		}
		if allowed == 0 || allowed == 2000 {
			t.Logf("seed=%d cfg=%+v: run allowed %d of 2000", s, cfg, allowed)
		}
	}
}

// TestRateLimiterBound: over any interval [a, b] between two allowed
// requests, the limiter allows at most burst + rate·(b−a) tokens (plus
// x/time/rate's sub-nanosecond tolerance).
func TestRateLimiterBound(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := RateLimitConfig{
			Rate:  rapid.Float64Range(0.1, 1000).Draw(t, "rate"),
			Burst: rapid.IntRange(1, 20).Draw(t, "burst"),
		}
		l, err := NewRateLimiter(cfg)
		require.NoError(t, err)
		type grant struct {
			at sim.Time
			n  int
		}
		var grants []grant
		now := sim.Time(0)
		for range rapid.IntRange(1, 150).Draw(t, "requests") {
			now = now.Add(time.Duration(rapid.Int64Range(0, int64(2*time.Second/time.Duration(cfg.Rate+1))).Draw(t, "gap_ns")))
			n := rapid.IntRange(1, 3).Draw(t, "n")
			if l.AllowN(now, n) {
				grants = append(grants, grant{now, n})
			}
		}
		for i := range grants {
			sum := 0
			for j := i; j < len(grants); j++ {
				sum += grants[j].n
				limit := float64(cfg.Burst) + cfg.Rate*grants[j].at.Sub(grants[i].at).Seconds()
				if float64(sum) > limit+1e-6 {
					t.Fatalf("allowed %d tokens in [%v, %v], bound %v", sum, grants[i].at, grants[j].at, limit)
				}
			}
		}
	})
}

func TestRateLimiterDocumentedBehaviour(t *testing.T) {
	l, err := NewRateLimiter(RateLimitConfig{Rate: 10, Burst: 3})
	require.NoError(t, err)
	assert.Equal(t, 3.0, l.Tokens(0), "starts full")
	for range 3 {
		assert.True(t, l.Allow(0))
	}
	assert.False(t, l.Allow(0), "burst spent")
	assert.False(t, l.Allow(sim.At(99*time.Millisecond)))
	assert.True(t, l.Allow(sim.At(100*time.Millisecond)), "one token per 100ms")
	assert.False(t, l.AllowN(sim.At(10*time.Second), 4), "never more than burst at once")
	assert.True(t, l.AllowN(sim.At(10*time.Second), 3), "refilled to burst, not beyond")
	assert.False(t, l.Allow(sim.At(10*time.Second)))
}

func TestRateLimitConfig(t *testing.T) {
	c := RateLimitConfig{Rate: 5}
	c.SetDefaults()
	assert.Equal(t, RateLimitConfig{Rate: 5, Burst: 1}, c)
	cases := []struct {
		cfg  RateLimitConfig
		want string
	}{
		{RateLimitConfig{}, "rate: must be > 0 and finite (tokens/s), got 0"},
		{RateLimitConfig{Rate: math.Inf(1)}, "rate: must be > 0 and finite (tokens/s), got +Inf"},
		{RateLimitConfig{Rate: math.NaN()}, "rate: must be > 0 and finite (tokens/s), got NaN"},
		{RateLimitConfig{Rate: 1, Burst: -1}, "burst: must be >= 1 (tokens), got -1"},
	}
	for _, tc := range cases {
		_, err := NewRateLimiter(tc.cfg)
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error())
		assert.ErrorIs(t, err, ErrConfig)
	}
}

func TestRateLimiterDoesNotAllocate(t *testing.T) {
	l, err := NewRateLimiter(RateLimitConfig{Rate: 100, Burst: 5})
	require.NoError(t, err)
	now := sim.Time(0)
	assert.Zero(t, testing.AllocsPerRun(1000, func() {
		now += sim.Time(3 * time.Millisecond)
		l.Allow(now)
	}))
}
