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

	"faultline/reports/results"
	"faultline/sim"
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
	err := Generate(context.Background(), strings.TrimPrefix(srv.URL, "http://"), cfg, t0, func(r Request) {
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
	mu.Lock()
	defer mu.Unlock()
	for i, at := range sent {
		assert.InDelta(t, want[i].Seconds(), at.Seconds(), 0.05, "request %d sent on time during the stall (seed %d)", i, seed)
	}
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
	require.NoError(t, Generate(context.Background(), addr, cfg, start, func(r Request) {
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
	assert.ErrorContains(t, Generate(context.Background(), addr, bad, start, func(Request) {}), "duration:")
	assert.ErrorContains(t, Generate(context.Background(), "10.0.0.1:80", LoadConfig{Rate: 1}, start, func(Request) {}), "127.0.0.1")
}
