package chain

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/results"
)

// counting is a test server that counts its requests and holds each for
// delay.
type counting struct {
	mu    sync.Mutex
	n     int
	delay time.Duration
}

func newCounting(t *testing.T, delay time.Duration) (*counting, string) {
	c := &counting{delay: delay}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
		time.Sleep(c.delay)
	}))
	t.Cleanup(srv.Close)
	return c, strings.TrimPrefix(srv.URL, "http://")
}

func (c *counting) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// generateOver runs cfg's load over servers and returns the outcomes.
func generateOver(t *testing.T, cfg LoadConfig, addrs []string) map[results.Outcome]int {
	t.Helper()
	var mu sync.Mutex
	out := map[results.Outcome]int{}
	_, err := Generate(context.Background(), addrs, cfg, time.Now(), func(r Request) {
		mu.Lock()
		out[r.Outcome]++
		mu.Unlock()
	})
	require.NoError(t, err)
	return out
}

// TestGenerateBalancers: the load's balancer picks the entry instance of
// each request with the simulator's semantics. Three instances, the
// first slow (150 ms a request), 100 requests at 200/s: round robin
// sends a third to each; least_outstanding and p2c keep off the slow
// one, which has requests in flight far longer (least_outstanding more
// so: it always sees it); random reaches each, unevenly but not round
// robin's exact thirds, and draws the same picks from the same seed.
func TestGenerateBalancers(t *testing.T) {
	const n = 99
	run := func(t *testing.T, balancer string) [3]int {
		slow, a0 := newCounting(t, 150*time.Millisecond)
		f1, a1 := newCounting(t, 0)
		f2, a2 := newCounting(t, 0)
		cfg := LoadConfig{Rate: 200, Duration: 5 * time.Second, MaxRequests: n, Timeout: time.Second, Seed: 11, Balancer: balancer}
		got := generateOver(t, cfg, []string{a0, a1, a2})
		require.Equal(t, n, got[results.OK], "every request answered (seed 11)")
		return [3]int{slow.count(), f1.count(), f2.count()}
	}
	rr := run(t, RoundRobin)
	assert.Equal(t, [3]int{n / 3, n / 3, n / 3}, rr, "round robin: in turn")
	lo := run(t, LeastOutstanding)
	assert.Less(t, lo[0], n/10, "least_outstanding avoids the slow instance (seed 11): %v", lo)
	p2c := run(t, PowerOfTwo)
	assert.Less(t, p2c[0], n/4, "p2c mostly avoids the slow instance (seed 11): %v", p2c)
	rnd := run(t, Random)
	for i, c := range rnd {
		assert.Greater(t, c, n/10, "random reaches instance %d (seed 11): %v", i, rnd)
	}
	assert.NotEqual(t, rr, rnd, "random is not round robin (seed 11)")
	assert.Equal(t, rnd, run(t, Random), "the same seed draws the same picks")

	bad := LoadConfig{Rate: 10, Balancer: "fastest"}
	_, err := Generate(context.Background(), []string{"127.0.0.1:1"}, bad, time.Now(), func(Request) {})
	assert.ErrorContains(t, err, "balancer:")
}

// TestPickerOutlier: the picker filters out an instance its outlier
// detection ejected (after consecutive_errors failures in a row), counts
// the ejection, and returns it after the ejection time (at a sweep).
func TestPickerOutlier(t *testing.T) {
	od := &balance.OutlierConfig{ConsecutiveErrors: 3, Interval: 50 * time.Millisecond, BaseEjectionTime: 100 * time.Millisecond, MaxEjectionPercent: 100}
	p, err := newPicker(RoundRobin, 4, nil, od, time.Now())
	require.NoError(t, err)
	for range 12 { // round robin: instance 1 fails 3 times in a row
		i := p.pick()
		p.done(i, i != 1)
	}
	assert.Equal(t, int64(1), p.ejections())
	for range 12 {
		i := p.pick()
		assert.NotEqual(t, 1, i, "ejected")
		p.done(i, true)
	}
	time.Sleep(200 * time.Millisecond) // past the ejection and a sweep
	seen := map[int]bool{}
	for range 4 {
		i := p.pick()
		seen[i] = true
		p.done(i, true)
	}
	assert.True(t, seen[1], "back in the pool")
}

// blackHole is a test server that never answers: it holds every request
// until its client gives up.
func blackHole(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestGenerateOutlierEjectsBlackHole: two instances of the entry, the
// second a black hole for the whole run; with outlier detection the load
// ejects it after its 3rd timeout in a row and keeps it out, so nearly
// every later request succeeds, and counts the ejection. Without it,
// round robin loses half.
func TestGenerateOutlierEjectsBlackHole(t *testing.T) {
	_, good := newCounting(t, 0)
	hole := blackHole(t)
	od := &balance.OutlierConfig{ConsecutiveErrors: 3, Interval: time.Second, BaseEjectionTime: 30 * time.Second}
	for _, tc := range []struct {
		name      string
		od        *balance.OutlierConfig
		atLeast   float64
		atMost    float64
		ejections int64
	}{
		{"outlier-detection", od, 0.95, 1, 1},
		{"none", nil, 0.4, 0.6, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var n, ok int
			cfg := LoadConfig{Rate: 100, Duration: 3 * time.Second, Timeout: 200 * time.Millisecond, Seed: 6, OutlierDetection: tc.od}
			stats, err := Generate(context.Background(), []string{good, hole}, cfg, time.Now(), func(r Request) {
				mu.Lock()
				defer mu.Unlock()
				n++
				if r.Outcome == results.OK {
					ok++
				}
			})
			require.NoError(t, err)
			availability := float64(ok) / float64(n)
			assert.GreaterOrEqual(t, availability, tc.atLeast, "seed 6")
			assert.LessOrEqual(t, availability, tc.atMost, "seed 6")
			assert.Equal(t, tc.ejections, stats.Ejections, "the black hole ejected once, for 30 s (seed 6)")
		})
	}
}

// TestCallOutlierDetection: a service's call with outlier detection
// ejects the callee instance that answers 500 after consecutive_errors
// failures in a row, sends it nothing more, and reports the ejection in
// its status.
func TestCallOutlierDetection(t *testing.T) {
	good, addrA := newRecorder(t, http.StatusOK)
	bad, addrB := newRecorder(t, http.StatusInternalServerError)
	od := &balance.OutlierConfig{ConsecutiveErrors: 2, BaseEjectionTime: time.Minute}
	s, addr := serve(t, ServiceConfig{Name: "a", Seed: 3, Calls: []CallConfig{{Target: "b", Addrs: []string{addrA, addrB}, OutlierDetection: od}}})
	for range 4 { // round robin: b's second 500 ejects it
		get(t, addr, 0)
	}
	assert.Equal(t, 2, bad.count())
	for range 6 {
		code, _ := get(t, addr, 0)
		assert.Equal(t, http.StatusOK, code, "only the good instance is called")
	}
	assert.Equal(t, 2, bad.count())
	assert.Equal(t, 8, good.count())
	assert.Equal(t, uint64(1), s.Status().Calls[0].Ejections)
	assert.Zero(t, od.MaxEjectionPercent, "the caller's config is not defaulted in place")
}
