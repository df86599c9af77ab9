package chain

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// arrivals are the intended starts Generate draws for cfg.
func arrivals(cfg LoadConfig) []time.Duration {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x10ad))
	var out []time.Duration
	var at time.Duration
	for cfg.MaxRequests == 0 || len(out) < cfg.MaxRequests {
		at += sim.Seconds(rng.ExpFloat64() / cfg.Rate)
		if at >= cfg.Duration {
			break
		}
		out = append(out, at)
	}
	return out
}

// TestGenerateIsOpenLoop: the server stalls every request until 600ms;
// requests keep being sent at their intended (seeded Poisson) times
// during the stall, and each one's latency counts from its intended
// start, so the stall shows in full (no coordinated omission).
func TestGenerateIsOpenLoop(t *testing.T) {
	const seed = 5
	t0 := time.Now()
	gate := t0.Add(600 * time.Millisecond)
	var mu sync.Mutex
	var sent []time.Duration
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		sent = append(sent, time.Since(t0))
		mu.Unlock()
		time.Sleep(time.Until(gate))
	}))
	t.Cleanup(srv.Close)
	cfg := LoadConfig{Rate: 50, Duration: time.Second, Timeout: 2 * time.Second, Seed: seed}
	var got []Request
	err := generateErr(context.Background(), []string{strings.TrimPrefix(srv.URL, "http://")}, cfg, t0, func(r Request) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	})
	require.NoError(t, err)
	want := arrivals(cfg)
	require.Len(t, got, len(want), "seed %d", seed)
	require.Len(t, sent, len(want))
	starts := map[time.Duration]bool{}
	for _, r := range got {
		starts[r.Start] = true
		assert.Equal(t, results.OK, r.Outcome)
		if r.Start < 600*time.Millisecond {
			assert.GreaterOrEqual(t, r.End, 600*time.Millisecond, "waited for the gate")
		}
	}
	for _, at := range want {
		assert.True(t, starts[at], "intended start %v recorded (seed %d)", at, seed)
	}
	// Sent during the stall: every request intended before 500ms reached
	// the server before the gate opened at 600ms (a closed loop would
	// have sent none while its requests were stuck).
	mu.Lock()
	defer mu.Unlock()
	early, arrived := 0, 0
	for i, at := range want {
		if at < 500*time.Millisecond {
			early++
		}
		if sent[i] < 600*time.Millisecond {
			arrived++
		}
		// sent is in arrival order, want in intended order: on a busy
		// machine a connection set-up can swap neighbours, not more.
		assert.InDelta(t, at.Seconds(), sent[i].Seconds(), 0.15, "request %d on time (seed %d)", i, seed)
	}
	assert.GreaterOrEqual(t, arrived, early, "requests sent during the stall (seed %d)", seed)
}

// TestGenerateBounds: max_requests bounds the count, a timeout is a
// timeout outcome at the deadline, and max_inflight sheds at once.
func TestGenerateBounds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(300 * time.Millisecond) }))
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	cfg := LoadConfig{Rate: 200, Duration: 10 * time.Second, MaxRequests: 20, Timeout: 100 * time.Millisecond, MaxInflight: 5, Seed: 9}
	var mu sync.Mutex
	count := map[results.Outcome]int{}
	start := time.Now()
	require.NoError(t, generateErr(context.Background(), []string{addr}, cfg, start, func(r Request) {
		mu.Lock()
		count[r.Outcome]++
		mu.Unlock()
		if r.Outcome == results.Timeout {
			assert.InDelta(t, 0.1, (r.End - r.Start).Seconds(), 0.05)
		}
	}))
	assert.Less(t, time.Since(start), 2*time.Second, "20 requests, not 10s of them")
	assert.Equal(t, 20, count[results.Timeout]+count[results.Shed])
	assert.Positive(t, count[results.Timeout])
	assert.Positive(t, count[results.Shed], "5 in flight at most at 200/s with 100ms each (seed 9)")

	bad := LoadConfig{Rate: 10, Duration: 2 * time.Minute}
	assert.ErrorContains(t, generateErr(context.Background(), []string{addr}, bad, start, func(Request) {}), "duration:")
	assert.ErrorContains(t, generateErr(context.Background(), []string{"10.0.0.1:80"}, LoadConfig{Rate: 1}, start, func(Request) {}), "127.0.0.1")
}

// TestGenerateRetries: the load client retries failed attempts as
// load.retry says; a request's latency spans all its attempts and the
// back-offs, each attempt has its own deadline, and the budget is shared
// by all requests.
func TestGenerateRetries(t *testing.T) {
	var mu sync.Mutex
	arrivals := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals++
		mu.Unlock()
		d, _ := time.ParseDuration(r.Header.Get(HeaderTimeout))
		assert.InDelta(t, 0.1, d.Seconds(), 0.03, "each attempt has its own 100ms")
		time.Sleep(150 * time.Millisecond) // every attempt times out
	}))
	t.Cleanup(srv.Close)
	retry := &resilience.RetryConfig{MaxAttempts: 3, Backoff: resilience.Backoff{Kind: "constant", Base: 50 * time.Millisecond, Jitter: "none"}}
	cfg := LoadConfig{Rate: 5, Duration: time.Second, Timeout: 100 * time.Millisecond, Seed: 4, Retry: retry}
	var got []Request
	require.NoError(t, generateErr(context.Background(), []string{strings.TrimPrefix(srv.URL, "http://")}, cfg, time.Now(), func(r Request) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	}))
	require.NotEmpty(t, got, "seed 4")
	for _, r := range got {
		assert.Equal(t, results.Timeout, r.Outcome)
		assert.Equal(t, 3, r.Attempts)
		// 3 attempts of 100ms and 2 back-offs of 50ms.
		assert.InDelta(t, 0.4, (r.End - r.Start).Seconds(), 0.08, "seed 4")
	}
	mu.Lock()
	assert.Equal(t, 3*len(got), arrivals)
	mu.Unlock()
	assert.Zero(t, retry.MaxAttempts-3, "the caller's config is not defaulted in place")
	assert.Nil(t, retry.On)
}

// generateErr is Generate's error alone.
func generateErr(ctx context.Context, addrs []string, cfg LoadConfig, t0 time.Time, observe func(Request)) error {
	_, err := Generate(ctx, addrs, cfg, t0, observe)
	return err
}
