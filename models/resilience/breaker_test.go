package resilience

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sony/gobreaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/faultline-sim/faultline/sim"
)

func TestBreakerStateString(t *testing.T) {
	assert.Equal(t, "closed", StateClosed.String())
	assert.Equal(t, "half-open", StateHalfOpen.String())
	assert.Equal(t, "open", StateOpen.String())
	assert.Equal(t, "unknown state: 9", State(9).String())
}

func TestBreakerConfig(t *testing.T) {
	var c BreakerConfig
	c.SetDefaults()
	assert.Equal(t, BreakerConfig{MaxRequests: 1, Timeout: 60 * time.Second, ConsecutiveFailures: 5}, c)
	require.NoError(t, c.Validate())
	cases := []struct {
		cfg  BreakerConfig
		want string
	}{
		{BreakerConfig{Interval: -1}, "interval: must be >= 0 (0 never clears the counts), got -1ns"},
		{BreakerConfig{Timeout: -time.Second}, "timeout: must be >= 0 (0 means 1m0s), got -1s"},
	}
	for _, tc := range cases {
		err := tc.cfg.Validate()
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error())
		assert.ErrorIs(t, err, ErrConfig)
		_, err = NewBreaker(tc.cfg, 0)
		assert.ErrorIs(t, err, ErrConfig)
	}
}

// TestBreakerDocumentedBehaviour walks gobreaker's documented life cycle
// with default settings: six consecutive failures trip, the timeout opens
// the half-open state strictly after 60 s, one success closes.
func TestBreakerDocumentedBehaviour(t *testing.T) {
	b, err := NewBreaker(BreakerConfig{}, 0)
	require.NoError(t, err)
	now := sim.Time(0)
	fail := func() {
		g, err := b.Allow(now)
		require.NoError(t, err)
		b.Done(now, g, false)
	}
	for range 5 {
		fail()
	}
	assert.Equal(t, StateClosed, b.State(now))
	assert.Equal(t, Counts{Requests: 5, TotalFailures: 5, ConsecutiveFailures: 5}, b.Counts())
	fail()
	assert.Equal(t, StateOpen, b.State(now))
	assert.Equal(t, Counts{}, b.Counts(), "a state change clears the counts")
	_, err = b.Allow(now.Add(60 * time.Second))
	assert.ErrorIs(t, err, ErrOpenState, "the open state lasts until strictly after the timeout")
	now = now.Add(60*time.Second + 1)
	assert.Equal(t, StateHalfOpen, b.State(now))
	g, err := b.Allow(now)
	require.NoError(t, err)
	_, err = b.Allow(now)
	assert.ErrorIs(t, err, ErrTooManyRequests)
	b.Done(now, g, true)
	assert.Equal(t, StateClosed, b.State(now))
}

func TestBreakerIgnoresResultsOfEarlierGenerations(t *testing.T) {
	b, err := NewBreaker(BreakerConfig{Interval: time.Second, ConsecutiveFailures: 1}, 0)
	require.NoError(t, err)
	g, err := b.Allow(0)
	require.NoError(t, err)
	h, err := b.Allow(0)
	require.NoError(t, err)
	b.Done(0, g, false)
	// A new interval starts strictly after 1 s; h's failure is stale.
	b.Done(sim.At(time.Second+1), h, false)
	assert.Equal(t, StateClosed, b.State(sim.At(time.Second+1)))
	assert.Equal(t, Counts{}, b.Counts())
}

func settingsOf(c BreakerConfig) gobreaker.Settings {
	st := gobreaker.Settings{MaxRequests: c.MaxRequests, Interval: c.Interval, Timeout: c.Timeout}
	if c.ConsecutiveFailures != 0 {
		th := c.ConsecutiveFailures
		st.ReadyToTrip = func(n gobreaker.Counts) bool { return n.ConsecutiveFailures > th }
	}
	return st
}

// TestBreakerMatchesGobreaker drives the real gobreaker and the model with
// the same seeded scenarios: calls start and finish, overlapping, with
// random outcomes, separated by random pauses that often land exactly on a
// timeout or interval boundary. gobreaker reads time.Now, so it runs in a
// synctest bubble, whose fake clock advances exactly by each time.Sleep:
// both machines see identical instants and the comparison is exact, with no
// real sleeping. After every step the admission error, the state and the
// counts must be equal.
func TestBreakerMatchesGobreaker(t *testing.T) {
	seed := testSeed(t)
	configs := []BreakerConfig{
		{},
		{Timeout: 20 * time.Millisecond},
		{Timeout: 20 * time.Millisecond, Interval: 50 * time.Millisecond},
		{Timeout: 20 * time.Millisecond, Interval: 50 * time.Millisecond, MaxRequests: 3, ConsecutiveFailures: 2},
		{Timeout: 30 * time.Millisecond, Interval: 10 * time.Millisecond, MaxRequests: 2, ConsecutiveFailures: 1},
	}
	seen := map[string]int{}
	for ci, cfg := range configs {
		for run := range 40 {
			s := seed + uint64(ci*1000+run)
			t.Run(fmt.Sprintf("cfg%d/run%d", ci, run), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					if msg := compareWithGobreaker(cfg, s, 300, seen); msg != "" {
						t.Fatalf("run seed=%d cfg=%+v: %s", s, cfg, msg)
					}
				})
			})
		}
	}
	// The scenarios must reach every state and both rejections.
	for _, k := range []string{"allow -> <nil> in closed", "allow -> <nil> in half-open", "allow -> circuit breaker is open in open",
		"allow -> too many requests in half-open", "done(true) in closed", "done(false) in open"} {
		assert.Positive(t, seen[k], "scenarios never produced %q; seen %v", k, seen)
	}
}

func compareWithGobreaker(cfg BreakerConfig, seed uint64, steps int, seen map[string]int) string {
	r := rand.New(rand.NewPCG(seed, 0))
	real := gobreaker.NewTwoStepCircuitBreaker(settingsOf(cfg))
	start := time.Now()
	model, err := NewBreaker(cfg, 0)
	if err != nil {
		return err.Error()
	}
	mc := model.Config()
	pauses := []time.Duration{0, 0, 1 * time.Millisecond, 5 * time.Millisecond, mc.Timeout, mc.Timeout + 1, mc.Interval, mc.Interval + 1}
	type call struct {
		done func(bool)
		gen  uint64
	}
	var open []call
	for step := range steps {
		time.Sleep(pauses[r.IntN(len(pauses))])
		now := sim.At(time.Since(start))
		what := ""
		if len(open) > 0 && r.IntN(2) == 0 {
			i := r.IntN(len(open))
			ok := r.IntN(3) == 0
			open[i].done(ok)
			model.Done(now, open[i].gen, ok)
			open = append(open[:i], open[i+1:]...)
			what = fmt.Sprintf("done(%v)", ok)
		} else {
			done, errR := real.Allow()
			gen, errM := model.Allow(now)
			if fmt.Sprint(errR) != fmt.Sprint(errM) {
				return fmt.Sprintf("step %d at %v: allow: gobreaker %v, model %v", step, now, errR, errM)
			}
			if errR == nil {
				open = append(open, call{done, gen})
			}
			what = fmt.Sprintf("allow -> %v", errR)
		}
		sr, sm := real.State().String(), model.State(now).String()
		seen[what+" in "+sr]++
		if sr != sm {
			return fmt.Sprintf("step %d at %v after %s: state: gobreaker %s, model %s", step, now, what, sr, sm)
		}
		if cr, cm := Counts(real.Counts()), model.Counts(); cr != cm {
			return fmt.Sprintf("step %d at %v after %s: counts: gobreaker %+v, model %+v", step, now, what, cr, cm)
		}
	}
	return ""
}

// TestBreakerMatchesGobreakerExecute is the brief's original check with
// gobreaker's Execute: each call runs for a random time (a sleep inside
// the request function) and returns nil or an error.
func TestBreakerMatchesGobreakerExecute(t *testing.T) {
	seed := testSeed(t)
	cfg := BreakerConfig{Timeout: 20 * time.Millisecond, Interval: 50 * time.Millisecond, MaxRequests: 2}
	for run := range 20 {
		s := seed + uint64(run)
		synctest.Test(t, func(t *testing.T) {
			r := rand.New(rand.NewPCG(s, 0))
			real := gobreaker.NewCircuitBreaker(settingsOf(cfg))
			model, err := NewBreaker(cfg, 0)
			require.NoError(t, err)
			start := time.Now()
			fail := errors.New("fail")
			var states []string
			var want []string
			for range 200 {
				time.Sleep(time.Duration(r.IntN(25)) * time.Millisecond)
				took := time.Duration(r.IntN(3)) * 10 * time.Millisecond
				ok := r.IntN(4) == 0
				now := sim.At(time.Since(start))
				_, errR := real.Execute(func() (any, error) {
					time.Sleep(took)
					if ok {
						return nil, nil
					}
					return nil, fail
				})
				gen, errM := model.Allow(now)
				if errM == nil {
					model.Done(now.Add(took), gen, ok)
				}
				if errR == fail {
					errR = nil
				}
				want = append(want, fmt.Sprint(real.State(), errR))
				states = append(states, fmt.Sprint(model.State(sim.At(time.Since(start))), errM))
			}
			require.Equal(t, want, states, "seed=%d", s)
		})
	}
}

// TestBreakerHalfOpenAllowance checks the property that a half-open
// breaker never has more than MaxRequests calls admitted in its current
// generation, and that closed-state trips follow ConsecutiveFailures.
func TestBreakerHalfOpenAllowance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := BreakerConfig{
			MaxRequests:         rapid.Uint32Range(0, 5).Draw(t, "max_requests"),
			Interval:            time.Duration(rapid.IntRange(0, 100).Draw(t, "interval_ms")) * time.Millisecond,
			Timeout:             time.Duration(rapid.IntRange(1, 100).Draw(t, "timeout_ms")) * time.Millisecond,
			ConsecutiveFailures: rapid.Uint32Range(0, 4).Draw(t, "consecutive_failures"),
		}
		b, err := NewBreaker(cfg, 0)
		require.NoError(t, err)
		max := b.Config().MaxRequests
		now := sim.Time(0)
		var gens []uint64
		admitted := map[uint64]uint32{}
		for range rapid.IntRange(1, 200).Draw(t, "steps") {
			now = now.Add(time.Duration(rapid.IntRange(0, 30).Draw(t, "pause_ms")) * time.Millisecond)
			if len(gens) > 0 && rapid.Bool().Draw(t, "finish") {
				i := rapid.IntRange(0, len(gens)-1).Draw(t, "which")
				b.Done(now, gens[i], rapid.Bool().Draw(t, "ok"))
				gens = append(gens[:i], gens[i+1:]...)
				continue
			}
			state := b.State(now)
			g, err := b.Allow(now)
			if err != nil {
				continue
			}
			gens = append(gens, g)
			admitted[g]++
			if state == StateHalfOpen && admitted[g] > max {
				t.Fatalf("half-open generation %d admitted %d calls, MaxRequests %d", g, admitted[g], max)
			}
		}
	})
}

func TestBreakerAllowDoesNotAllocate(t *testing.T) {
	b, err := NewBreaker(BreakerConfig{Interval: time.Second}, 0)
	require.NoError(t, err)
	now := sim.Time(0)
	allocs := testing.AllocsPerRun(1000, func() {
		now += sim.Time(time.Millisecond)
		g, err := b.Allow(now)
		if err == nil {
			b.Done(now, g, now%3 == 0)
		}
	})
	assert.Zero(t, allocs)
}
