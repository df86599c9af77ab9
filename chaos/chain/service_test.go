package chain

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/sim"
)

// serve runs a Service in-process on loopback until the test ends.
func serve(t *testing.T, cfg ServiceConfig) (*Service, string) {
	t.Helper()
	s, err := NewService(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, strings.TrimPrefix(srv.URL, "http://")
}

// get sends one request with an optional remaining time and returns the
// status code and the degraded header.
func get(t *testing.T, addr string, timeout time.Duration) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	require.NoError(t, err)
	if timeout != 0 {
		req.Header.Set(HeaderTimeout, timeout.String())
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get(HeaderDegraded)
}

// burst sends n requests at once and counts the answers by status code.
func burst(t *testing.T, addr string, n int) map[int]int {
	t.Helper()
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			code, _ := get(t, addr, 0)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return codes
}

// recorder is a dependency answering code and recording when each
// request arrived and the remaining time it was sent with.
type recorder struct {
	code     atomic.Int32
	mu       sync.Mutex
	arrivals []time.Time
	timeouts []time.Duration
}

func newRecorder(t *testing.T, code int) (*recorder, string) {
	r := &recorder{}
	r.code.Store(int32(code))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		d, _ := time.ParseDuration(req.Header.Get(HeaderTimeout))
		r.mu.Lock()
		r.arrivals = append(r.arrivals, time.Now())
		r.timeouts = append(r.timeouts, d)
		r.mu.Unlock()
		w.WriteHeader(int(r.code.Load()))
	}))
	t.Cleanup(srv.Close)
	return r, strings.TrimPrefix(srv.URL, "http://")
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.arrivals)
}

func (r *recorder) gaps() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(r.arrivals); i++ {
		out = append(out, r.arrivals[i].Sub(r.arrivals[i-1]))
	}
	return out
}

// TestQueueLimitRejectsAtOnce: with 2 workers and a queue of 1, of 6
// simultaneous requests 3 are served and 3 answered 503 without waiting.
func TestQueueLimitRejectsAtOnce(t *testing.T) {
	s, addr := serve(t, ServiceConfig{Name: "a", Workers: 2, QueueLimit: 1, ServiceTime: sim.DistSpec{Kind: "constant", Value: 0.3}})
	start := time.Now()
	codes := burst(t, addr, 6)
	assert.Equal(t, map[int]int{http.StatusOK: 3, http.StatusServiceUnavailable: 3}, codes)
	// The queued request waits one service time: 0.6 s in all.
	assert.InDelta(t, 0.6, time.Since(start).Seconds(), 0.2)
	st := s.Status()
	assert.Equal(t, uint64(3), st.Rejected)
	assert.Equal(t, uint64(3), st.OK)
}

// TestRateLimitRejectsAboveRateAndBurst: a bucket of 5 refilled at 10/s
// admits the burst and what refills during the test, and answers 429 to
// the rest at once.
func TestRateLimitRejectsAboveRateAndBurst(t *testing.T) {
	s, addr := serve(t, ServiceConfig{Name: "a", RateLimit: &resilience.RateLimitConfig{Rate: 10, Burst: 5}})
	start := time.Now()
	codes := burst(t, addr, 40)
	refill := int(time.Since(start).Seconds()*10) + 1
	ok := codes[http.StatusOK]
	assert.GreaterOrEqual(t, ok, 5)
	assert.LessOrEqual(t, ok, 5+refill)
	assert.Equal(t, 40-ok, codes[http.StatusTooManyRequests])
	assert.Equal(t, uint64(40-ok), s.Status().RateLimited)

	time.Sleep(500 * time.Millisecond) // 5 tokens back
	codes = burst(t, addr, 10)
	assert.InDelta(t, 5, codes[http.StatusOK], 1)
}

// TestRetryBackoff: a dependency that always fails is tried max_attempts
// times, the gaps between attempts following the back-off. Rows are
// back-off kinds without jitter (exact delays) and with equal jitter
// (each delay in [v/2, v)).
func TestRetryBackoff(t *testing.T) {
	const slack = 100 * time.Millisecond // scheduling on a busy machine; exact delays: TestRetryDelaysExact
	cases := []struct {
		name    string
		backoff resilience.Backoff
		lo, hi  []time.Duration // bounds of each gap, before slack
	}{
		{"constant", resilience.Backoff{Kind: "constant", Base: 60 * time.Millisecond, Jitter: "none"},
			[]time.Duration{60, 60, 60}, []time.Duration{60, 60, 60}},
		{"exponential", resilience.Backoff{Kind: "exponential", Base: 40 * time.Millisecond, Jitter: "none"},
			[]time.Duration{40, 80, 160}, []time.Duration{40, 80, 160}},
		{"envoy capped", resilience.Backoff{Kind: "envoy", Base: 25 * time.Millisecond, Cap: 100 * time.Millisecond, Jitter: "none"},
			[]time.Duration{25, 75, 100}, []time.Duration{25, 75, 100}},
		{"exponential equal jitter", resilience.Backoff{Kind: "exponential", Base: 80 * time.Millisecond, Jitter: "equal"},
			[]time.Duration{40, 80, 160}, []time.Duration{80, 160, 320}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dep, depAddr := newRecorder(t, http.StatusInternalServerError)
			s, addr := serve(t, ServiceConfig{Name: "a", Seed: 1, Calls: []CallConfig{{
				Target: "b", Addrs: []string{depAddr}, Timeout: time.Second,
				Retry: &resilience.RetryConfig{MaxAttempts: 4, Backoff: tc.backoff},
			}}})
			code, _ := get(t, addr, 0)
			assert.Equal(t, http.StatusBadGateway, code)
			gaps := dep.gaps()
			require.Len(t, gaps, 3, "attempts = 4")
			for i, g := range gaps {
				assert.GreaterOrEqual(t, g, tc.lo[i]*time.Millisecond, "gap %d (seed 1)", i+1)
				assert.Less(t, g, tc.hi[i]*time.Millisecond+slack, "gap %d (seed 1)", i+1)
			}
			cs := s.Status().Calls[0]
			assert.Equal(t, uint64(4), cs.Attempts)
			assert.Equal(t, uint64(3), cs.Retries)
			assert.Equal(t, uint64(4), cs.Errors)
			assert.Equal(t, uint64(1), cs.Failed)
		})
	}
}

// TestRetryThrottleDeniesRetries: gRPC retry throttling stops retries
// once the tokens fall to max_tokens/2; a success adds token_ratio.
func TestRetryThrottleDeniesRetries(t *testing.T) {
	dep, depAddr := newRecorder(t, http.StatusInternalServerError)
	s, addr := serve(t, ServiceConfig{Name: "a", Calls: []CallConfig{{
		Target: "b", Addrs: []string{depAddr},
		Retry: &resilience.RetryConfig{MaxAttempts: 3, Backoff: resilience.Backoff{Base: time.Millisecond, Jitter: "none"},
			Throttle: &resilience.ThrottleConfig{MaxTokens: 4, TokenRatio: 0.5}},
	}}})
	// Tokens start at 4; each failed attempt takes 1 and a retry needs
	// more than 2: the first request makes 2 attempts (4 -> 3 -> 2
	// tokens, the second retry denied), the next ones 1 each.
	for range 3 {
		code, _ := get(t, addr, 0)
		assert.Equal(t, http.StatusBadGateway, code)
	}
	assert.Len(t, dep.gaps(), 3, "4 attempts")
	cs := s.Status().Calls[0]
	assert.Equal(t, uint64(1), cs.Retries)
	assert.Equal(t, uint64(3), cs.RetriesDenied)
	dep.code.Store(http.StatusOK)
	code, _ := get(t, addr, 0)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, uint64(5), s.Status().Calls[0].Attempts)
}

// TestDeadlinePropagates: with honor_deadlines the remaining time goes
// downstream, shrunk by the time spent; an expired request is dropped
// without its work; a request whose deadline passes in the queue is
// dropped when it leaves it.
func TestDeadlinePropagates(t *testing.T) {
	dep, depAddr := newRecorder(t, http.StatusOK)
	s, addr := serve(t, ServiceConfig{Name: "a", Workers: 1, QueueLimit: 5, HonorDeadlines: true,
		ServiceTime: sim.DistSpec{Kind: "constant", Value: 0.1},
		Calls:       []CallConfig{{Target: "b", Addrs: []string{depAddr}, Timeout: 5 * time.Second}}})
	code, _ := get(t, addr, 500*time.Millisecond)
	require.Equal(t, http.StatusOK, code)
	dep.mu.Lock()
	sent := dep.timeouts[0]
	dep.mu.Unlock()
	assert.Less(t, sent, 400*time.Millisecond, "the callee gets what is left after 100ms of work")
	assert.Greater(t, sent, 300*time.Millisecond)

	code, _ = get(t, addr, -time.Millisecond)
	assert.Equal(t, http.StatusGatewayTimeout, code)
	assert.Equal(t, uint64(1), s.Status().Expired)

	// One worker busy for 100ms; a request allowing 50ms expires queued.
	var wg sync.WaitGroup
	wg.Go(func() { get(t, addr, time.Second) })
	time.Sleep(20 * time.Millisecond)
	code, _ = get(t, addr, 50*time.Millisecond)
	wg.Wait()
	assert.Equal(t, http.StatusGatewayTimeout, code)
	assert.Equal(t, uint64(2), s.Status().Expired)
	assert.Len(t, dep.gaps(), 1, "the dependency saw the two served requests only")
}

// TestFallback: a failed call with a fallback gives a degraded 200 naming
// the target; without one the service answers 502.
func TestFallback(t *testing.T) {
	_, depAddr := newRecorder(t, http.StatusInternalServerError)
	for _, fb := range []bool{true, false} {
		s, addr := serve(t, ServiceConfig{Name: "a", Calls: []CallConfig{{Target: "b", Addrs: []string{depAddr}, Fallback: fb}}})
		code, degraded := get(t, addr, 0)
		if fb {
			assert.Equal(t, http.StatusOK, code)
			assert.Equal(t, "b", degraded)
			assert.Equal(t, uint64(1), s.Status().Degraded)
			assert.Equal(t, uint64(1), s.Status().Calls[0].Fallbacks)
		} else {
			assert.Equal(t, http.StatusBadGateway, code)
			assert.Empty(t, degraded)
			assert.Equal(t, uint64(1), s.Status().Calls[0].Failed)
		}
	}
}

// TestBreakersOpen: after more than consecutive_failures failures the
// gobreaker opens and the next calls fail fast without reaching the
// dependency; the window breaker opens at its failure rate likewise.
func TestBreakersOpen(t *testing.T) {
	for _, tc := range []struct {
		name string
		call CallConfig
		sent int // requests reaching the dependency out of 10
	}{
		{"gobreaker", CallConfig{Breaker: &resilience.BreakerConfig{ConsecutiveFailures: 3, Timeout: time.Minute}}, 4},
		{"window", CallConfig{WindowBreaker: &resilience.WindowBreakerConfig{SlidingWindowSize: 5, MinimumNumberOfCalls: 5}}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dep, depAddr := newRecorder(t, http.StatusInternalServerError)
			tc.call.Target, tc.call.Addrs = "b", []string{depAddr}
			s, addr := serve(t, ServiceConfig{Name: "a", Calls: []CallConfig{tc.call}})
			for range 10 {
				code, _ := get(t, addr, 0)
				assert.Equal(t, http.StatusBadGateway, code)
			}
			assert.Len(t, dep.gaps(), tc.sent-1)
			cs := s.Status().Calls[0]
			assert.Equal(t, "open", cs.Breaker)
			assert.Equal(t, uint64(10-tc.sent), cs.BreakerRejected)
			assert.Equal(t, uint64(1), cs.BreakerTransitions)
		})
	}
}

// TestBulkheadBoundsConcurrency: 2 slots and 1 waiting place: of 5
// simultaneous calls 3 reach the dependency and 2 are rejected at once.
func TestBulkheadBoundsConcurrency(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
	}))
	t.Cleanup(slow.Close)
	s, addr := serve(t, ServiceConfig{Name: "a", Calls: []CallConfig{{Target: "b", Addrs: []string{strings.TrimPrefix(slow.URL, "http://")},
		Bulkhead: &resilience.BulkheadConfig{MaxConcurrent: 2, MaxWaiting: 1}}}})
	codes := burst(t, addr, 5)
	assert.Equal(t, map[int]int{http.StatusOK: 3, http.StatusBadGateway: 2}, codes)
	cs := s.Status().Calls[0]
	assert.Equal(t, uint64(2), cs.BulkheadRejected)
	assert.Zero(t, cs.BulkheadActive)
	assert.Zero(t, cs.BulkheadWaiting)
}

// TestParallelCalls: in parallel mode the calls overlap (the request
// takes about the longest), in sequential mode they add up.
func TestParallelCalls(t *testing.T) {
	slow := func(d time.Duration) string {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(d) }))
		t.Cleanup(srv.Close)
		return strings.TrimPrefix(srv.URL, "http://")
	}
	b, c := slow(150*time.Millisecond), slow(150*time.Millisecond)
	for _, tc := range []struct {
		mode   string
		lo, hi time.Duration
	}{
		{Parallel, 150 * time.Millisecond, 290 * time.Millisecond},
		{Sequential, 300 * time.Millisecond, time.Second},
	} {
		_, addr := serve(t, ServiceConfig{Name: "a", Mode: tc.mode, Calls: []CallConfig{{Target: "b", Addrs: []string{b}}, {Target: "c", Addrs: []string{c}}}})
		start := time.Now()
		code, _ := get(t, addr, 0)
		took := time.Since(start)
		assert.Equal(t, http.StatusOK, code)
		assert.GreaterOrEqual(t, took, tc.lo, tc.mode)
		assert.Less(t, took, tc.hi, tc.mode)
	}
}

// TestCallRateLimit: a rate limit on a call rejects the attempts beyond
// burst (plus refill) locally, without sending them.
func TestCallRateLimit(t *testing.T) {
	dep, depAddr := newRecorder(t, http.StatusOK)
	s, addr := serve(t, ServiceConfig{Name: "a", Calls: []CallConfig{{Target: "b", Addrs: []string{depAddr},
		RateLimit: &resilience.RateLimitConfig{Rate: 0.1, Burst: 3}}}})
	codes := burst(t, addr, 10)
	assert.Equal(t, map[int]int{http.StatusOK: 3, http.StatusBadGateway: 7}, codes)
	assert.Len(t, dep.gaps(), 2, "3 requests reached the dependency")
	assert.Equal(t, uint64(7), s.Status().Calls[0].RateLimited)
}

// TestBreakersRecover: once open for their timeout, both breakers admit a
// trial call; a healthy dependency closes them again.
func TestBreakersRecover(t *testing.T) {
	for _, tc := range []struct {
		name string
		call CallConfig
	}{
		{"gobreaker", CallConfig{Breaker: &resilience.BreakerConfig{ConsecutiveFailures: 1, Timeout: 200 * time.Millisecond}}},
		{"window", CallConfig{WindowBreaker: &resilience.WindowBreakerConfig{SlidingWindowSize: 2, MinimumNumberOfCalls: 2,
			WaitDurationInOpenState: 200 * time.Millisecond, PermittedNumberOfCallsInHalfOpenState: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dep, depAddr := newRecorder(t, http.StatusInternalServerError)
			tc.call.Target, tc.call.Addrs = "b", []string{depAddr}
			s, addr := serve(t, ServiceConfig{Name: "a", Calls: []CallConfig{tc.call}})
			for range 3 {
				get(t, addr, 0)
			}
			require.Equal(t, "open", s.Status().Calls[0].Breaker)
			dep.code.Store(http.StatusOK)
			code, _ := get(t, addr, 0)
			assert.Equal(t, http.StatusBadGateway, code, "still open: rejected without a call")
			time.Sleep(250 * time.Millisecond)
			assert.Equal(t, "half-open", s.Status().Calls[0].Breaker)
			code, _ = get(t, addr, 0)
			assert.Equal(t, http.StatusOK, code, "the trial call")
			cs := s.Status().Calls[0]
			assert.Equal(t, "closed", cs.Breaker)
			assert.Equal(t, uint64(3), cs.BreakerTransitions, "closed -> open -> half-open -> closed")
		})
	}
}

// TestBulkheadWaiterGivesUp: a call waiting for a bulkhead slot gives up
// at its timeout (an attempt timeout), and the slots all come back.
func TestBulkheadWaiterGivesUp(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(300 * time.Millisecond) }))
	t.Cleanup(slow.Close)
	s, addr := serve(t, ServiceConfig{Name: "a", Calls: []CallConfig{{Target: "b", Addrs: []string{strings.TrimPrefix(slow.URL, "http://")},
		Timeout: 400 * time.Millisecond, Bulkhead: &resilience.BulkheadConfig{MaxConcurrent: 1, MaxWaiting: 2}}}})
	codes := burst(t, addr, 3)
	// One call holds the slot 300ms; the next waits 300ms and has 100ms
	// left, too little; the third waits its whole 400ms.
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusBadGateway: 2}, codes)
	cs := s.Status().Calls[0]
	assert.Equal(t, uint64(2), cs.Timeouts)
	assert.Zero(t, cs.BulkheadActive)
	assert.Zero(t, cs.BulkheadWaiting)
}

// TestWorkGoesOnWithoutHonorDeadlines: by default a service ignores the
// deadline and the caller hanging up: the work and the calls are done
// even for a request nobody waits for.
func TestWorkGoesOnWithoutHonorDeadlines(t *testing.T) {
	dep, depAddr := newRecorder(t, http.StatusOK)
	s, addr := serve(t, ServiceConfig{Name: "a", ServiceTime: sim.DistSpec{Kind: "constant", Value: 0.1},
		Calls: []CallConfig{{Target: "b", Addrs: []string{depAddr}, Timeout: 5 * time.Second}}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	require.NoError(t, err)
	req.Header.Set(HeaderTimeout, "30ms")
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err, "the client gave up")
	require.Eventually(t, func() bool { return s.Status().OK == 1 }, 2*time.Second, 10*time.Millisecond)
	assert.Len(t, dep.gaps(), 0, "the dependency was called once")
	dep.mu.Lock()
	assert.Len(t, dep.arrivals, 1)
	assert.Equal(t, 5*time.Second, dep.timeouts[0].Round(time.Second), "the call's own timeout, not the caller's")
	dep.mu.Unlock()
	assert.Zero(t, s.Status().Expired)
}

// TestCallQuorum: in parallel mode with call_quorum 1 the request is
// answered by the first success; the slower call goes on and is counted.
// With the default quorum (all), one failure fails the request.
func TestCallQuorum(t *testing.T) {
	_, fast := newRecorder(t, http.StatusOK)
	slowDep := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(300 * time.Millisecond) }))
	t.Cleanup(slowDep.Close)
	slow := strings.TrimPrefix(slowDep.URL, "http://")
	s, addr := serve(t, ServiceConfig{Name: "a", Mode: Parallel, CallQuorum: 1,
		Calls: []CallConfig{{Target: "b", Addrs: []string{fast}}, {Target: "c", Addrs: []string{slow}}}})
	start := time.Now()
	code, _ := get(t, addr, 0)
	assert.Equal(t, http.StatusOK, code)
	assert.Less(t, time.Since(start), 200*time.Millisecond, "answered before the slow call ended")
	require.Eventually(t, func() bool { return s.Status().Calls[1].OK == 1 }, 2*time.Second, 10*time.Millisecond,
		"the slow call finishes in the background")

	_, failing := newRecorder(t, http.StatusInternalServerError)
	_, addr = serve(t, ServiceConfig{Name: "a", Mode: Parallel, Calls: []CallConfig{{Target: "b", Addrs: []string{fast}}, {Target: "c", Addrs: []string{failing}}}})
	code, _ = get(t, addr, 0)
	assert.Equal(t, http.StatusBadGateway, code)
}

// TestBalancers: round robin alternates; random reaches both instances;
// least_outstanding sends to the instance with fewer attempts in flight,
// a tie broken at random as in the simulator (one request at a time: all
// ties).
func TestBalancers(t *testing.T) {
	for _, tc := range []struct {
		balancer string
		check    func(t *testing.T, a, b int)
	}{
		{RoundRobin, func(t *testing.T, a, b int) { assert.Equal(t, [2]int{10, 10}, [2]int{a, b}) }},
		{Random, func(t *testing.T, a, b int) { assert.Positive(t, a); assert.Positive(t, b); assert.Equal(t, 20, a+b) }},
		{PowerOfTwo, func(t *testing.T, a, b int) { assert.Equal(t, 20, a+b) }},
		{LeastOutstanding, func(t *testing.T, a, b int) { assert.Positive(t, a); assert.Positive(t, b); assert.Equal(t, 20, a+b) }},
	} {
		t.Run(tc.balancer, func(t *testing.T) {
			da, addrA := newRecorder(t, http.StatusOK)
			db, addrB := newRecorder(t, http.StatusOK)
			_, addr := serve(t, ServiceConfig{Name: "a", Seed: 3, Calls: []CallConfig{{Target: "b", Addrs: []string{addrA, addrB}, Balancer: tc.balancer}}})
			for range 20 {
				code, _ := get(t, addr, 0)
				require.Equal(t, http.StatusOK, code)
			}
			tc.check(t, da.count(), db.count())
		})
	}
}

// TestWorkerTimeIsMeasured: ten requests at once on one worker with a
// constant 20 ms of work and a call: /status reports every served
// request's drawn time exactly, a hold at least the work plus the call,
// the measured overshoot and overhead (logged, and small), and the
// handoffs of the worker to the queued requests.
func TestWorkerTimeIsMeasured(t *testing.T) {
	const n, work = 10, 20 * time.Millisecond
	_, depAddr := newRecorder(t, http.StatusOK)
	_, addr := serve(t, ServiceConfig{Name: "a", Workers: 1, QueueLimit: n, ServiceTime: sim.DistSpec{Kind: "constant", Value: work.Seconds()},
		Calls: []CallConfig{{Target: "b", Addrs: []string{depAddr}, Timeout: time.Second}}})
	assert.Equal(t, map[int]int{http.StatusOK: n}, burst(t, addr, n))

	resp, err := http.Get("http://" + addr + StatusPath)
	require.NoError(t, err)
	defer resp.Body.Close()
	var st Status
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	require.Equal(t, uint64(n), st.Served)
	assert.Equal(t, uint64(n*work), st.ServiceNs, "the drawn times")
	assert.GreaterOrEqual(t, st.WorkNs, st.ServiceNs, "the work is not cut short")
	assert.Positive(t, st.CallsNs)
	assert.GreaterOrEqual(t, st.HeldNs, st.WorkNs+st.CallsNs, "the hold covers the work and the calls")
	mean := func(ns uint64) time.Duration { return time.Duration(ns / n) }
	overshoot, overhead := mean(st.WorkNs-st.ServiceNs), mean(st.HeldNs-st.ServiceNs-st.CallsNs)
	t.Logf("per request: hold %v, calls %v, overshoot %v, overhead %v; %d handoffs of %v",
		mean(st.HeldNs), mean(st.CallsNs), overshoot, overhead, st.Handoffs, time.Duration(st.HandoffNs/max(st.Handoffs, 1)))
	assert.Less(t, overhead, 5*time.Millisecond, "a sleep to a deadline ends close to it")
	assert.GreaterOrEqual(t, overhead, overshoot)
	require.Positive(t, st.Handoffs, "queued requests took the worker as it was released")
	assert.Less(t, st.Handoffs, uint64(n))
	assert.Less(t, time.Duration(st.HandoffNs/st.Handoffs), work)
	assert.Zero(t, st.Active)
}
