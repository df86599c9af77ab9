package resilience

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/faultline-sim/faultline/sim"
)

// runWindowScript drives a WindowBreaker with a script of space-separated
// tokens and returns one letter per token for the state after it (C, H,
// O), with a rejected Allow written as x:
//
//	+250ms  advance virtual time
//	a       Allow
//	s f     a fast success, a fast failure (Done)
//	S F     a slow success, a slow failure
//	N*tok   tok repeated N times
func runWindowScript(t *testing.T, cfg WindowBreakerConfig, script string) string {
	t.Helper()
	b, err := NewWindowBreaker(cfg)
	require.NoError(t, err)
	slow := b.Config().SlowCallDurationThreshold
	now := sim.Time(0)
	var out strings.Builder
	for _, tok := range strings.Fields(script) {
		n := 1
		if i := strings.IndexByte(tok, '*'); i > 0 {
			n = atoi(t, tok[:i])
			tok = tok[i+1:]
		}
		for range n {
			if tok[0] == '+' {
				d, err := time.ParseDuration(tok[1:])
				require.NoError(t, err)
				now = now.Add(d)
				continue
			}
			switch tok {
			case "a":
				if b.Allow(now) != nil {
					out.WriteByte('x')
					continue
				}
			case "s", "f", "S", "F":
				d := time.Millisecond
				if tok == "S" || tok == "F" {
					d = slow + 1
				}
				b.Done(now, tok == "s" || tok == "S", d)
			default:
				t.Fatalf("bad token %q", tok)
			}
			out.WriteByte("CHO"[b.State(now)])
		}
	}
	return out.String()
}

func atoi(t *testing.T, s string) int {
	n := 0
	for _, c := range s {
		require.True(t, c >= '0' && c <= '9', "bad count %q", s)
		n = n*10 + int(c-'0')
	}
	return n
}

// TestWindowBreakerDocumentedBehaviour has a row per behaviour documented
// in resilience4j's CircuitBreaker guide.
func TestWindowBreakerDocumentedBehaviour(t *testing.T) {
	small := WindowBreakerConfig{SlidingWindowSize: 4, MinimumNumberOfCalls: 4, WaitDurationInOpenState: time.Second, PermittedNumberOfCallsInHalfOpenState: 3}
	timed := small
	timed.SlidingWindowType = TimeBased
	timed.SlidingWindowSize = 2
	timed.MinimumNumberOfCalls = 2
	slowCfg := small
	slowCfg.SlowCallRateThreshold = 50
	slowCfg.SlowCallDurationThreshold = time.Second
	cases := []struct {
		name   string
		cfg    WindowBreakerConfig
		script string
		want   string
	}{
		{"defaults: rates wait for 100 calls", WindowBreakerConfig{}, "99*f f", strings.Repeat("C", 99) + "O"},
		{"defaults: 50% failures trip", WindowBreakerConfig{}, "50*s 49*f f", strings.Repeat("C", 99) + "O"},
		{"defaults: 49% failures do not", WindowBreakerConfig{}, "51*s 49*f", strings.Repeat("C", 100)},
		{"count window: min calls capped at window size", WindowBreakerConfig{SlidingWindowSize: 10}, "9*f f", "CCCCCCCCCO"},
		{"count window slides", small, "f s s s s f f", "CCCCCCO"},
		{"25% below threshold", small, "f s s s", "CCCC"},
		{"failure threshold inclusive", small, "f f s s", "CCCO"},
		{"slow calls trip at 100% by default", small, "S S S S", "CCCO"},
		{"slow failures count as slow and failed", small, "F s s s", "CCCC"},
		{"slow rate threshold", slowCfg, "S S s s", "CCCO"},
		{"exactly the slow threshold is not slow", slowCfg, "s s s s", "CCCC"},
		{"open rejects until strictly after the wait", small, "4*f a +1s a +1ns a", "CCCOxxH"},
		{"half-open admits the permitted calls only", small, "4*f +2s a a a a", "CCCOHHHx"},
		{"half-open closes below thresholds", small, "4*f +2s 3*a s s f", "CCCOHHHHHC"},
		{"half-open reopens at the threshold", small, "4*f +2s 3*a s f f", "CCCOHHHHHO"},
		{"half-open waits for all permitted results", small, "4*f +2s 3*a f f", "CCCOHHHHH"},
		{"reopened breaker waits again", small, "4*f +2s 3*a f f f a +1s a +1ns a", "CCCOHHHHHOxxH"},
		{"closing clears the window", small, "4*f +2s 3*a s s s f f f", "CCCOHHHHHCCCC"},
		{"results while open are dropped", small, "4*f f f s s +2s 3*a s s s", "CCCOOOOOHHHHHC"},
		{"time window: trips within the window", timed, "f +500ms f", "CO"},
		{"time window: old buckets drop out", timed, "+500ms f +1600ms s", "CC"},
		{"time window: a fresh window fills again", timed, "+500ms f +1600ms s +400ms f", "CCO"},
		{"time window: same window", timed, "+900ms f +200ms f", "CO"},
		{"time window: buckets are whole seconds", timed, "+900ms f +1100ms f", "CC"},
		{"time window: no cap by window size", WindowBreakerConfig{SlidingWindowType: TimeBased, SlidingWindowSize: 1, MinimumNumberOfCalls: 3}, "f f f", "CCO"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, runWindowScript(t, tc.cfg, tc.script))
		})
	}
}

func TestWindowBreakerRates(t *testing.T) {
	b, err := NewWindowBreaker(WindowBreakerConfig{SlidingWindowSize: 4, MinimumNumberOfCalls: 2,
		SlowCallDurationThreshold: time.Second, FailureRateThreshold: 60, SlowCallRateThreshold: 60})
	require.NoError(t, err)
	b.Done(0, false, 2*time.Second)
	assert.Equal(t, -1.0, b.FailureRate())
	assert.Equal(t, -1.0, b.SlowCallRate())
	b.Done(0, true, time.Millisecond)
	assert.Equal(t, 50.0, b.FailureRate())
	assert.Equal(t, 50.0, b.SlowCallRate())
	assert.Equal(t, StateClosed, b.State(0))
	b.Done(0, false, 2*time.Second)
	assert.Equal(t, StateOpen, b.State(0))
	assert.Equal(t, -1.0, b.FailureRate(), "a transition clears the window")
}

func TestWindowBreakerConfig(t *testing.T) {
	var c WindowBreakerConfig
	c.SetDefaults()
	assert.Equal(t, WindowBreakerConfig{
		SlidingWindowType: CountBased, SlidingWindowSize: 100, FailureRateThreshold: 50, SlowCallRateThreshold: 100,
		SlowCallDurationThreshold: 60 * time.Second, MinimumNumberOfCalls: 100, WaitDurationInOpenState: 60 * time.Second,
		PermittedNumberOfCallsInHalfOpenState: 10,
	}, c)
	require.NoError(t, c.Validate())
	cases := []struct {
		edit func(*WindowBreakerConfig)
		want string
	}{
		{func(c *WindowBreakerConfig) { c.SlidingWindowType = "sliding" }, `sliding_window_type: must be one of count_based, time_based, got "sliding"`},
		{func(c *WindowBreakerConfig) { c.SlidingWindowSize = -1 }, "sliding_window_size: must be >= 1 (calls or seconds), got -1"},
		{func(c *WindowBreakerConfig) { c.FailureRateThreshold = 101 }, "failure_rate_threshold: must be in (0, 100] (percent), got 101"},
		{func(c *WindowBreakerConfig) { c.SlowCallRateThreshold = -5 }, "slow_call_rate_threshold: must be in (0, 100] (percent), got -5"},
		{func(c *WindowBreakerConfig) { c.SlowCallDurationThreshold = -1 }, "slow_call_duration_threshold: must be > 0, got -1ns"},
		{func(c *WindowBreakerConfig) { c.MinimumNumberOfCalls = -1 }, "minimum_number_of_calls: must be >= 1, got -1"},
		{func(c *WindowBreakerConfig) { c.WaitDurationInOpenState = -1 }, "wait_duration_in_open_state: must be > 0, got -1ns"},
		{func(c *WindowBreakerConfig) { c.PermittedNumberOfCallsInHalfOpenState = -1 }, "permitted_number_of_calls_in_half_open_state: must be >= 1, got -1"},
	}
	for _, tc := range cases {
		c := WindowBreakerConfig{}
		tc.edit(&c)
		_, err := NewWindowBreaker(c)
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error())
		assert.ErrorIs(t, err, ErrConfig)
	}
}

// TestWindowBreakerProperties: a half-open breaker admits at most the
// permitted calls per visit, and an open breaker admits nothing.
func TestWindowBreakerProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := WindowBreakerConfig{
			SlidingWindowType:                     rapid.SampledFrom([]string{CountBased, TimeBased}).Draw(t, "type"),
			SlidingWindowSize:                     rapid.IntRange(1, 10).Draw(t, "size"),
			MinimumNumberOfCalls:                  rapid.IntRange(1, 10).Draw(t, "min_calls"),
			WaitDurationInOpenState:               time.Duration(rapid.IntRange(1, 3000).Draw(t, "wait_ms")) * time.Millisecond,
			PermittedNumberOfCallsInHalfOpenState: rapid.IntRange(1, 5).Draw(t, "permitted"),
			SlowCallDurationThreshold:             time.Second,
		}
		b, err := NewWindowBreaker(cfg)
		require.NoError(t, err)
		now := sim.Time(0)
		admittedHalfOpen := 0
		for range rapid.IntRange(1, 300).Draw(t, "steps") {
			now = now.Add(time.Duration(rapid.IntRange(0, 500).Draw(t, "pause_ms")) * time.Millisecond)
			before := b.State(now)
			if rapid.Bool().Draw(t, "allow") {
				err := b.Allow(now)
				if before == StateOpen && err == nil {
					t.Fatalf("open breaker admitted a call")
				}
				if before == StateHalfOpen && err == nil {
					admittedHalfOpen++
				}
			} else {
				b.Done(now, rapid.Bool().Draw(t, "ok"), time.Duration(rapid.IntRange(0, 2000).Draw(t, "took_ms"))*time.Millisecond)
			}
			if b.State(now) != StateHalfOpen {
				admittedHalfOpen = 0
			}
			if admittedHalfOpen > cfg.PermittedNumberOfCallsInHalfOpenState {
				t.Fatalf("half-open admitted %d calls, permitted %d", admittedHalfOpen, cfg.PermittedNumberOfCallsInHalfOpenState)
			}
		}
	})
}

func TestWindowBreakerDoesNotAllocate(t *testing.T) {
	b, err := NewWindowBreaker(WindowBreakerConfig{SlidingWindowType: TimeBased, SlidingWindowSize: 10, MinimumNumberOfCalls: 5})
	require.NoError(t, err)
	now := sim.Time(0)
	allocs := testing.AllocsPerRun(1000, func() {
		now += sim.Time(100 * time.Millisecond)
		if b.Allow(now) == nil {
			b.Done(now, now%3 != 0, time.Millisecond)
		}
	})
	assert.Zero(t, allocs)
}
