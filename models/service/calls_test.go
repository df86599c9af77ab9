package service

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/sim"
)

// graph is a set of connected services and a testCaller at the edge.
type graph struct {
	k   *sim.Kernel
	net *sim.Network
	svc map[string]*Service
	c   *testCaller
	dl  *Deadlines
}

func newGraph(t *testing.T, seed uint64, cfgs ...Config) *graph {
	t.Helper()
	k := sim.New(seed)
	g := &graph{k: k, net: newNet(t, k), svc: map[string]*Service{}, dl: NewDeadlines()}
	for _, cfg := range cfgs {
		s, err := New(k, g.net, cfg)
		require.NoError(t, err)
		g.svc[cfg.Name] = s
	}
	for _, cfg := range cfgs {
		require.NoError(t, g.svc[cfg.Name].Connect(func(n string) *Service { return g.svc[n] }, g.dl))
	}
	g.c = &testCaller{t: t, k: k, net: g.net, node: g.net.AddNode("client")}
	g.c.id = k.Register("testCaller", g.c)
	return g
}

// latency sets a constant one-way latency between every pair of nodes.
func (g *graph) latency(t *testing.T, oneWay time.Duration) {
	t.Helper()
	lat, err := sim.NewConstant(oneWay.Seconds())
	require.NoError(t, err)
	nodes := []sim.NodeID{g.c.node}
	for _, s := range g.svc {
		nodes = append(nodes, s.Nodes()...)
	}
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				require.NoError(t, g.net.SetLink(a, b, sim.LinkConfig{Latency: lat}))
			}
		}
	}
}

func calling(cfg Config, calls ...Call) Config {
	cfg.Calls = calls
	return cfg
}

// TestSequentialCallsAddUp: a -> b -> c with constant service times and
// 1 ms one-way links answers after the sum of the work and of the six
// network hops, and a's workers are busy (CPU) only for a's own work.
func TestSequentialCallsAddUp(t *testing.T) {
	g := newGraph(t, 1,
		calling(constService("a", 0.010), Call{Service: "b"}),
		calling(constService("b", 0.020), Call{Service: "c"}),
		constService("c", 0.005))
	g.latency(t, time.Millisecond)
	g.c.sendAt(0, g.svc["a"].Instance(0), 1)
	g.k.Run()
	rep := g.c.reply(1)
	assert.Equal(t, StatusOK, rep.status)
	assert.Equal(t, sim.At(35*time.Millisecond+6*time.Millisecond), rep.at)
	assert.Equal(t, 10*time.Millisecond, g.svc["a"].BusyTime(0), "a's worker computes 10 ms and waits for the rest")
	assert.Equal(t, int64(1), g.svc["a"].CallStats(0).OK)
}

// TestHeldWorkersQueueRequests: a's single worker is held while b works,
// so a second request waits at a for the whole first call.
func TestHeldWorkersQueueRequests(t *testing.T) {
	g := newGraph(t, 1,
		calling(constService("a", 0), Call{Service: "b"}),
		constService("b", 0.100))
	g.c.sendAt(0, g.svc["a"].Instance(0), 1)
	g.c.sendAt(0, g.svc["a"].Instance(0), 2)
	g.k.Run()
	assert.Equal(t, sim.At(100*time.Millisecond), g.c.reply(1).at)
	assert.Equal(t, sim.At(200*time.Millisecond), g.c.reply(2).at)
}

// TestParallelFanOutQuorum: a calls b (10 ms), c (30 ms) and d (50 ms) at
// once; waiting for all answers at 50 ms, for the first two at 30 ms.
func TestParallelFanOutQuorum(t *testing.T) {
	for _, tc := range []struct {
		quorum int
		want   time.Duration
	}{{0, 50 * time.Millisecond}, {3, 50 * time.Millisecond}, {2, 30 * time.Millisecond}, {1, 10 * time.Millisecond}} {
		a := calling(constService("a", 0), Call{Service: "b"}, Call{Service: "c"}, Call{Service: "d"})
		a.CallMode, a.CallQuorum = Parallel, tc.quorum
		g := newGraph(t, 1, a, constService("b", 0.010), constService("c", 0.030), constService("d", 0.050))
		g.c.sendAt(0, g.svc["a"].Instance(0), 1)
		g.k.Run()
		assert.Equal(t, sim.At(tc.want), g.c.reply(1).at, "quorum %d", tc.quorum)
	}
}

// TestFailedCallFailsTheRequestUnlessFallback: with b crashed, a's
// request fails at once (sequential mode skips c); with a fallback it
// succeeds degraded and c is still called.
func TestFailedCallFailsTheRequestUnlessFallback(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		g := newGraph(t, 1,
			calling(constService("a", 0), Call{Service: "b", Fallback: fallback}, Call{Service: "c"}),
			constService("b", 0.01), constService("c", 0.01))
		g.svc["b"].Crash(0)
		g.c.sendAt(0, g.svc["a"].Instance(0), 1)
		g.k.Run()
		if !fallback {
			assert.Equal(t, StatusError, g.c.reply(1).status)
			assert.Equal(t, int64(0), g.svc["c"].Stats().Received)
			assert.Equal(t, int64(1), g.svc["a"].Stats().Failed)
			continue
		}
		assert.Equal(t, StatusOK, g.c.reply(1).status)
		assert.Equal(t, int64(1), g.svc["a"].CallStats(0).Fallbacks)
		assert.Equal(t, int64(1), g.svc["c"].Stats().Served)
	}
}

// TestCallTimeoutAndRetries: b takes 1 s, a's call times out after 100 ms
// and retries twice with a constant 10 ms back-off: the request fails
// after 3 x 100 + 2 x 10 ms, and b received three attempts.
func TestCallTimeoutAndRetries(t *testing.T) {
	retry := &resilience.RetryConfig{MaxAttempts: 3, Backoff: resilience.Backoff{Kind: "constant", Base: 10 * time.Millisecond, Jitter: "none"}}
	b := constService("b", 1)
	b.Workers = 10
	g := newGraph(t, 1, calling(constService("a", 0), Call{Service: "b", Timeout: 100 * time.Millisecond, Retry: retry}), b)
	g.c.sendAt(0, g.svc["a"].Instance(0), 1)
	g.k.Run()
	rep := g.c.reply(1)
	assert.Equal(t, StatusError, rep.status)
	assert.Equal(t, sim.At(320*time.Millisecond), rep.at)
	st := g.svc["a"].CallStats(0)
	assert.Equal(t, CallStats{Calls: 1, Attempts: 3, Retries: 2, Failed: 1, Timeouts: 3}, st)
	assert.Equal(t, int64(3), g.svc["b"].Stats().Received)
}

// TestBreakerOpensAfterSixFailures: b is down; a's gobreaker-style breaker
// (defaults: trips when consecutive failures exceed 5) lets six attempts
// through, then short-circuits until its 60 s timeout; after b's restart
// the half-open trial succeeds and the breaker closes.
func TestBreakerOpensAfterSixFailures(t *testing.T) {
	g := newGraph(t, 1,
		calling(constService("a", 0), Call{Service: "b", Breaker: &resilience.BreakerConfig{}}),
		constService("b", 0.001))
	g.svc["b"].Crash(0)
	for i := range 20 {
		g.c.sendAt(time.Duration(i)*time.Second, g.svc["a"].Instance(0), int64(i))
	}
	g.k.AtFunc(sim.At(30*time.Second), func() {
		assert.Equal(t, 1.0, g.svc["a"].BreakerOpenness(0), "open at 30 s")
		assert.Equal(t, int64(6), g.svc["b"].Stats().Received, "attempts that reached b while it was down")
		g.svc["b"].Restart(0)
	})
	for i := range 3 {
		g.c.sendAt(70*time.Second+time.Duration(i)*time.Second, g.svc["a"].Instance(0), int64(100+i))
	}
	g.k.Run()
	assert.Equal(t, int64(14), g.svc["a"].CallStats(0).ShortCircuited)
	for i := range 3 {
		assert.Equal(t, StatusOK, g.c.reply(int64(100+i)).status, "after the timeout the trial closes the breaker")
	}
	assert.Equal(t, 0.0, g.svc["a"].BreakerOpenness(0))
}

// TestWindowBreakerOpensOnSlowCalls: resilience4j's slow-call rate: with
// every call slower than the threshold and a window of 10 calls, the
// breaker opens after the 10th call and refuses the rest.
func TestWindowBreakerOpensOnSlowCalls(t *testing.T) {
	wb := &resilience.WindowBreakerConfig{SlidingWindowSize: 10, MinimumNumberOfCalls: 10,
		SlowCallRateThreshold: 50, SlowCallDurationThreshold: 50 * time.Millisecond}
	b := constService("b", 0.200)
	b.Workers = 100
	g := newGraph(t, 1, calling(constService("a", 0), Call{Service: "b", WindowBreaker: wb}), b)
	a := g.svc["a"]
	a.cfg.Workers = 1
	for i := range 30 {
		g.c.sendAt(time.Duration(i)*300*time.Millisecond, a.Instance(0), int64(i))
	}
	g.k.Run()
	assert.Equal(t, int64(10), g.svc["b"].Stats().Received)
	assert.Equal(t, int64(20), a.CallStats(0).ShortCircuited)
}

// TestBulkheadBoundsConcurrentCalls: a has 10 workers but its bulkhead to
// b admits 2 calls and queues 1: of 10 simultaneous requests, 3 reach b
// and 7 fail at once.
func TestBulkheadBoundsConcurrentCalls(t *testing.T) {
	a := calling(constService("a", 0), Call{Service: "b", Bulkhead: &resilience.BulkheadConfig{MaxConcurrent: 2, MaxWaiting: 1}})
	a.Workers = 10
	b := constService("b", 0.1)
	b.Workers = 10
	g := newGraph(t, 1, a, b)
	for i := range 10 {
		g.c.sendAt(0, g.svc["a"].Instance(0), int64(i))
	}
	g.k.Run()
	assert.Equal(t, int64(3), g.svc["b"].Stats().Received)
	assert.Equal(t, int64(7), g.svc["a"].CallStats(0).BulkheadFull)
	assert.Equal(t, sim.At(200*time.Millisecond), g.c.reply(2).at, "the queued call waits for a slot")
}

// TestRateLimitedCalls: a token bucket of burst 5 and 10/s on a's calls
// lets 5 of 20 simultaneous calls through, and 1 more per 100 ms.
func TestRateLimitedCalls(t *testing.T) {
	a := calling(constService("a", 0), Call{Service: "b", RateLimit: &resilience.RateLimitConfig{Rate: 10, Burst: 5}})
	a.Workers = 100
	g := newGraph(t, 1, a, constService("b", 0))
	for i := range 20 {
		g.c.sendAt(0, g.svc["a"].Instance(0), int64(i))
	}
	g.c.sendAt(100*time.Millisecond, g.svc["a"].Instance(0), 100)
	g.c.sendAt(100*time.Millisecond, g.svc["a"].Instance(0), 101)
	g.k.Run()
	assert.Equal(t, int64(6), g.svc["b"].Stats().Received)
	assert.Equal(t, int64(16), g.svc["a"].CallStats(0).RateLimited)
}

// TestHonoredDeadlinesDropAbandonedWork: 20 requests reach b's single
// worker at once through a's calls with a 250 ms timeout; b takes 100 ms
// each. Without deadlines b serves all 20 (2 s of work for callers gone
// after 250 ms); honouring them it serves the 3 that start in time and
// drops the other 17 unserved.
func TestHonoredDeadlinesDropAbandonedWork(t *testing.T) {
	for _, honor := range []bool{false, true} {
		a := calling(constService("a", 0), Call{Service: "b", Timeout: 250 * time.Millisecond})
		a.Workers = 100
		b := constService("b", 0.1)
		b.HonorDeadlines = honor
		g := newGraph(t, 1, a, b)
		for i := range 20 {
			g.c.sendAt(0, g.svc["a"].Instance(0), int64(i))
		}
		g.k.Run()
		st := g.svc["b"].Stats()
		if !honor {
			assert.Equal(t, int64(20), st.Served)
			continue
		}
		assert.Equal(t, int64(3), st.Served)
		assert.Equal(t, int64(17), st.Expired)
		assert.Equal(t, 0, g.dl.Len(), "every deadline is cleared once answered")
	}
}

// TestPropagatedDeadlineShortensCalls: a honours deadlines and its caller
// gave it 150 ms; its call to b (timeout 1 s) gets only what is left, so
// b's answer at 500 ms comes too late and a fails the request at 150 ms.
func TestPropagatedDeadlineShortensCalls(t *testing.T) {
	a := calling(constService("a", 0.050), Call{Service: "b"})
	a.HonorDeadlines = true
	g := newGraph(t, 1, a, constService("b", 0.5))
	g.k.AtFunc(0, func() {
		g.dl.Set(g.c.id, 1, sim.At(150*time.Millisecond))
		g.c.send(g.svc["a"].Instance(0), 1)
	})
	g.k.Run()
	rep := g.c.reply(1)
	assert.Equal(t, StatusError, rep.status)
	assert.Equal(t, sim.At(150*time.Millisecond), rep.at)
}

// TestCrashWhileCallingAnswersOnce: a crashes while its worker waits for
// b; the request is reset at the crash and b's late answer is ignored.
// b keeps working on the abandoned call, so the next request waits for
// it: b serves it from 100 to 200 ms.
func TestCrashWhileCallingAnswersOnce(t *testing.T) {
	g := newGraph(t, 1, calling(constService("a", 0), Call{Service: "b"}), constService("b", 0.1))
	g.c.sendAt(0, g.svc["a"].Instance(0), 1)
	g.k.AtFunc(sim.At(50*time.Millisecond), func() { g.svc["a"].Crash(0) })
	g.k.AtFunc(sim.At(60*time.Millisecond), func() { g.svc["a"].Restart(0) })
	g.c.sendAt(70*time.Millisecond, g.svc["a"].Instance(0), 2)
	g.k.Run()
	assert.Equal(t, StatusReset, g.c.reply(1).status)
	assert.Equal(t, sim.At(50*time.Millisecond), g.c.reply(1).at)
	assert.Equal(t, StatusOK, g.c.reply(2).status)
	assert.Equal(t, sim.At(200*time.Millisecond), g.c.reply(2).at)
}

// TestPauseWhileCallingAnswersAtResume: b answers while a is paused; a
// answers when it resumes.
func TestPauseWhileCallingAnswersAtResume(t *testing.T) {
	g := newGraph(t, 1, calling(constService("a", 0), Call{Service: "b"}), constService("b", 0.1))
	g.c.sendAt(0, g.svc["a"].Instance(0), 1)
	g.k.AtFunc(sim.At(50*time.Millisecond), func() { g.svc["a"].Pause(0) })
	g.k.AtFunc(sim.At(300*time.Millisecond), func() { g.svc["a"].Resume(0) })
	g.k.Run()
	assert.Equal(t, StatusOK, g.c.reply(1).status)
	assert.Equal(t, sim.At(300*time.Millisecond), g.c.reply(1).at)
}

func TestCallConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no service", func(c *Config) { c.Calls = []Call{{}} }, "calls[0].service: is required (the name of a service)"},
		{"self", func(c *Config) { c.Calls = []Call{{Service: "a"}} }, `calls[0].service: a service cannot call itself ("a")`},
		{"timeout", func(c *Config) { c.Calls = []Call{{Service: "b", Timeout: -1}} }, "calls[0].timeout: must be > 0, got -1ns"},
		{"mode", func(c *Config) { c.Calls = []Call{{Service: "b"}}; c.CallMode = "fanout" }, `call_mode: must be sequential, parallel, route or saga, got "fanout"`},
		{"quorum", func(c *Config) { c.Calls = []Call{{Service: "b"}}; c.CallMode = Parallel; c.CallQuorum = 2 }, "call_quorum: must be in [0, 1] (0 waits for every call), got 2"},
		{"quorum mode", func(c *Config) { c.Calls = []Call{{Service: "b"}}; c.CallQuorum = 1 }, "call_quorum: needs call_mode parallel, got call_mode sequential"},
		{"retry", func(c *Config) { c.Calls = []Call{{Service: "b", Retry: &resilience.RetryConfig{MaxAttempts: -1}}} }, "calls[0].retry.max_attempts: must be >= 1 (attempts including the first), got -1"},
		{"breaker", func(c *Config) { c.Calls = []Call{{Service: "b", Breaker: &resilience.BreakerConfig{Interval: -1}}} }, "calls[0].breaker.interval: must be >= 0 (0 never clears the counts), got -1ns"},
		{"rate", func(c *Config) { c.Calls = []Call{{Service: "b", RateLimit: &resilience.RateLimitConfig{}}} }, "calls[0].rate_limit.rate: must be > 0 and finite (tokens/s), got 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := constService("a", 0)
			tc.edit(&cfg)
			cfg.SetDefaults()
			err := cfg.Validate()
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
			assert.True(t, errors.Is(err, ErrConfig))
		})
	}
	cfg := calling(constService("a", 0), Call{Service: "nobody"})
	k := sim.New(1)
	s, err := New(k, newNet(t, k), cfg)
	require.NoError(t, err)
	err = s.Connect(func(string) *Service { return nil }, nil)
	assert.EqualError(t, err, `calls[0].service: no service is named "nobody"`)
}

// TestCallDefaultsLeaveTheCallerAlone: SetDefaults fills a copy.
func TestCallDefaultsLeaveTheCallerAlone(t *testing.T) {
	br := &resilience.BreakerConfig{}
	cfg := calling(constService("a", 0), Call{Service: "b", Breaker: br})
	cfg.SetDefaults()
	assert.Equal(t, uint32(0), br.ConsecutiveFailures)
	assert.Equal(t, uint32(5), cfg.Calls[0].Breaker.ConsecutiveFailures)
	assert.Equal(t, DefaultCallTimeout, cfg.Calls[0].Timeout)
	assert.Equal(t, Sequential, cfg.CallMode)
}

// TestRouteSplitsByWeight: call_mode route sends each request to one
// call, in proportion to the weights (1:3 here, 4000 requests: the
// binomial standard deviation of the first share is 27 requests), and a
// shift moves the weights over time.
func TestRouteSplitsByWeight(t *testing.T) {
	one, three, zero := 1.0, 3.0, 0.0
	a := calling(constService("a", 0), Call{Service: "b", Weight: &one}, Call{Service: "c", Weight: &three})
	a.CallMode = Route
	g := newGraph(t, 5, a, constService("b", 0), constService("c", 0))
	for i := range 4000 {
		g.c.sendAt(time.Duration(i)*time.Millisecond, g.svc["a"].Instance(0), int64(i))
	}
	g.k.Run()
	assert.InDelta(t, 1000, g.svc["b"].Stats().Received, 110)
	assert.Equal(t, int64(4000), g.svc["b"].Stats().Received+g.svc["c"].Stats().Received)

	// A migration: c's weight goes from 0 to 1 between 10 s and 20 s while
	// b's stays 1: before 10 s all to b, after 20 s half, in between a
	// ramp (c's share at t is (t-10)/(t-10+10) for t in [10, 20]).
	a = calling(constService("a", 0), Call{Service: "b"}, Call{Service: "c", Weight: &zero, Shift: &Shift{To: 1, At: 10 * time.Second, Over: 10 * time.Second}})
	a.CallMode = Route
	g = newGraph(t, 5, a, constService("b", 0), constService("c", 0))
	for i := range 10000 {
		g.c.sendAt(time.Duration(i)*time.Millisecond, g.svc["a"].Instance(0), int64(i))
	}
	g.k.Run()
	assert.Equal(t, int64(0), g.svc["c"].Stats().Received, "no traffic to c before its shift starts")
	assert.Equal(t, 0.5, a.Calls[1].WeightAt(15*time.Second))
	assert.Equal(t, 1.0, a.Calls[1].WeightAt(25*time.Second))
}

// TestFallbackToReroutes: a call to a crashed service is sent on to its
// fallback_to service, and the request succeeds there.
func TestFallbackToReroutes(t *testing.T) {
	a := calling(constService("a", 0), Call{Service: "new", FallbackTo: "old", Timeout: 100 * time.Millisecond})
	g := newGraph(t, 1, a, constService("new", 0.01), constService("old", 0.02))
	g.svc["new"].Crash(0)
	g.c.sendAt(0, g.svc["a"].Instance(0), 1)
	g.k.Run()
	rep := g.c.reply(1)
	assert.Equal(t, StatusOK, rep.status)
	assert.Equal(t, sim.At(20*time.Millisecond), rep.at, "reset at once by new, then 20 ms at old")
	assert.Equal(t, int64(1), g.svc["a"].CallStats(0).Rerouted)
	assert.Equal(t, int64(1), g.svc["old"].Stats().Served)
}

// TestMeshRetriesStackUnderApplicationRetries: b is down (every request
// reset). Each of the application's 3 attempts is retried twice by the
// sidecar (Istio's default), so b receives 9 requests for one call.
func TestMeshRetriesStackUnderApplicationRetries(t *testing.T) {
	for _, tc := range []struct {
		mesh *MeshConfig
		want int64
	}{{nil, 3}, {&MeshConfig{Retry: &MeshRetry{}}, 9}} {
		retry := &resilience.RetryConfig{MaxAttempts: 3, Backoff: resilience.Backoff{Kind: "constant", Base: 10 * time.Millisecond, Jitter: "none"}}
		a := calling(constService("a", 0), Call{Service: "b", Retry: retry})
		k := sim.New(1)
		g := &graph{k: k, net: newNet(t, k), svc: map[string]*Service{}}
		for _, cfg := range []Config{a, constService("b", 0.001)} {
			s, err := New(k, g.net, cfg)
			require.NoError(t, err)
			if tc.mesh != nil {
				tc.mesh.SetDefaults()
				s.UseMesh(tc.mesh)
			}
			g.svc[cfg.Name] = s
		}
		for _, s := range g.svc {
			require.NoError(t, s.Connect(func(n string) *Service { return g.svc[n] }, nil))
		}
		g.c = &testCaller{t: t, k: k, net: g.net, node: g.net.AddNode("client")}
		g.c.id = k.Register("testCaller", g.c)
		g.svc["b"].Crash(0)
		g.c.sendAt(0, g.svc["a"].Instance(0), 1)
		g.k.Run()
		assert.Equal(t, StatusError, g.c.reply(1).status)
		assert.Equal(t, tc.want, g.svc["b"].Stats().Received, "mesh %v", tc.mesh != nil)
		assert.Equal(t, tc.want, g.svc["a"].CallStats(0).Attempts)
	}
}

// TestMeshHandshake: with no connection reuse every attempt waits for a
// 5 ms mutual-TLS handshake before its request leaves.
func TestMeshHandshake(t *testing.T) {
	k := sim.New(1)
	g := &graph{k: k, net: newNet(t, k), svc: map[string]*Service{}}
	m := &MeshConfig{MTLSHandshake: 5 * time.Millisecond}
	for _, cfg := range []Config{calling(constService("a", 0), Call{Service: "b"}), constService("b", 0.010)} {
		s, err := New(k, g.net, cfg)
		require.NoError(t, err)
		s.UseMesh(m)
		g.svc[cfg.Name] = s
	}
	for _, s := range g.svc {
		require.NoError(t, s.Connect(func(n string) *Service { return g.svc[n] }, nil))
	}
	g.c = &testCaller{t: t, k: k, net: g.net, node: g.net.AddNode("client")}
	g.c.id = k.Register("testCaller", g.c)
	g.c.sendAt(0, g.svc["a"].Instance(0), 1)
	g.k.Run()
	assert.Equal(t, sim.At(15*time.Millisecond), g.c.reply(1).at)
}

// TestCallOverhead: a 2 ms protocol overhead per attempt delays the call
// by 2 ms and adds 2 ms of cpu to the caller.
func TestCallOverhead(t *testing.T) {
	g := newGraph(t, 1, calling(constService("a", 0.001), Call{Service: "b", Overhead: 2 * time.Millisecond}), constService("b", 0.010))
	g.c.sendAt(0, g.svc["a"].Instance(0), 1)
	g.k.Run()
	assert.Equal(t, sim.At(13*time.Millisecond), g.c.reply(1).at)
	assert.Equal(t, 3*time.Millisecond, g.svc["a"].BusyTime(0))
}
