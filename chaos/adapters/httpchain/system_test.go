package httpchain

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/chaos/chain"
	"github.com/faultline-sim/faultline/chaos/timeline"
	"github.com/faultline-sim/faultline/chaos/timeline/timelinetest"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
)

// real is one real run of the chain, watched from inside.
type real struct {
	*timelinetest.Run[*System]
	pids []int // each instance's process when the chain was up
}

// runReal runs the base case of the scenario in yaml on seed for real;
// started, if set, is called once the chain is up; bin, if set, replaces
// the chainnode executable.
func runReal(ctx context.Context, t *testing.T, yaml string, seed uint64, opt timeline.Options, started func(*System), bin string) (results.Run, *real, error) {
	t.Helper()
	sc, err := scenarios.Parse("chain.yaml", []byte(yaml))
	require.NoError(t, err)
	c, err := sc.Case(scenarios.BaseVariant)
	require.NoError(t, err)
	w := &real{}
	newSystem := func(env *timeline.Env) (timeline.System, error) {
		s, err := New(env)
		if err == nil {
			s.(*System).bin = bin
		}
		return s, err
	}
	w.Run = timelinetest.Execute(ctx, opt, c, seed, newSystem, func(s *System) {
		w.pids = s.pids()
		if started != nil {
			started(s)
		}
	})
	return w.Result, w, w.Err
}

// gatewayToA is a scenario of a gateway calling a (each with 16 workers,
// the chain's own default where the language's is 1, and no work of
// their own) with call (the call's settings after its
// service), under an open load of rps with timeout, for duration; then
// the faults and anything else (rest, YAML at the top level).
func gatewayToA(duration, call string, rps int, timeout string, rest string) string {
	return fmt.Sprintf(`name: gateway-to-a
duration: %s
interval: 500ms
topology:
  services:
    - {name: gateway, workers: 16, service_time: {kind: constant, value: 0}, calls: [{service: a, %s}]}
    - {name: a, workers: 16, service_time: {kind: constant, value: 0}}
load:
  target: gateway
  timeout: %s
  open: {shape: constant, rps: %d}
%s`, duration, call, timeout, rps, rest)
}

// alive reports whether pid is still a process.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// threeHops is gateway -> a -> b -> c, c doing 5ms of work; b calls c
// with a 200ms timeout and a fallback, and breaker (if not empty); from
// 1s to 4.5s every request from b to c is delayed by 1s.
func threeHops(breaker string) string {
	return `name: three-hops
duration: 5s
interval: 500ms
topology:
  services:
    - {name: gateway, workers: 64, service_time: {kind: constant, value: 0}, calls: [{service: a, timeout: 1s}]}
    - {name: a, workers: 64, service_time: {kind: constant, value: 0}, calls: [{service: b, timeout: 800ms}]}
    - {name: b, workers: 64, service_time: {kind: constant, value: 0}, calls: [{service: c, timeout: 200ms, fallback: true` + breaker + `}]}
    - {name: c, workers: 64, service_time: {kind: constant, value: 5ms}}
load:
  target: gateway
  timeout: 1s
  open: {shape: constant, rps: 40}
faults:
  - {at: 1s, for: 3500ms, type: latency, from: b, to: c, latency: 1s}
`
}

// TestBreakerOpensUnderLatency: a 1s latency toxic on the deepest link
// (b->c) from 1s to 4.5s. With a consecutive-failure breaker on b's call,
// the breaker opens (seen through b's status and in the run's breaker
// series) and the gateway keeps answering fast, degraded; without it
// every request waits for b's 200ms timeout, and the gateway's p99 grows
// past it.
func TestBreakerOpensUnderLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	run := func(t *testing.T, breaker string) (results.Run, chain.Status) {
		var b chain.Status
		res, w, err := runReal(context.Background(), t, threeHops(breaker), 1, timeline.Options{Dir: t.TempDir()}, nil, "")
		require.NoError(t, err, "seed 1")
		last := w.System.samples[len(w.System.samples)-1]
		sums, _ := services(last, w.System.cfg)
		for _, st := range sums {
			if st.Name == "b" {
				b = st
			}
		}
		return res, b
	}
	t.Run("breaker", func(t *testing.T) {
		res, b := run(t, ", breaker: {consecutive_failures: 3, timeout: 30s}")
		assert.Equal(t, "open", b.Calls[0].Breaker, "b's breaker on c, from b's status")
		assert.Positive(t, b.Calls[0].BreakerRejected)
		assert.Greater(t, res.Metrics["calls.b_>c.breaker_open_s"], 2.5)
		series := res.SeriesNamed("breaker_open.b->c")
		require.NotNil(t, series)
		assert.Equal(t, 0.0, series.Values[0], "closed before the fault")
		assert.Equal(t, 1.0, series.Values[len(series.Values)-1], "open at the end")
		assert.NotNil(t, res.SeriesNamed("calls_refused.b->c"))
		assert.NotNil(t, res.SeriesNamed("fallbacks.b->c"))
		during, _ := res.Phase(results.During)
		assert.GreaterOrEqual(t, during.Availability, 0.95, "the gateway keeps answering")
		assert.Positive(t, res.Metrics["degraded"])
		p99 := res.SeriesNamed("p99").Values
		for i := 4; i < 9; i++ { // 2s..4.5s: the breaker is open
			assert.Less(t, p99[i], 150.0, "gateway p99 in interval %d (seed 1): %v", i, p99)
		}
		t.Logf("breaker: during p50 %.1fms p99 %.1fms availability %.3f; p99 series %v", during.Latency.P50, during.Latency.P99, during.Availability, p99)
	})
	t.Run("no breaker", func(t *testing.T) {
		res, b := run(t, "")
		assert.Empty(t, b.Calls[0].Breaker)
		assert.Positive(t, b.Calls[0].Timeouts)
		before, _ := res.Phase(results.Before)
		during, _ := res.Phase(results.During)
		// Before the fault most requests are fast; the median, not the
		// p99, because the first interval's requests meet processes that
		// are still warming up, which on a busy machine takes over 100 ms.
		assert.Less(t, before.Latency.P50, 100.0)
		assert.GreaterOrEqual(t, during.Latency.P95, 190.0, "every request waits b's 200ms timeout (seed 1): %+v", during)
		assert.GreaterOrEqual(t, during.Latency.P50, 190.0)
		p99 := res.SeriesNamed("p99").Values
		for i := 3; i < 9; i++ { // 1.5s..4.5s: the fault is in place
			assert.GreaterOrEqual(t, p99[i], 190.0, "gateway p99 in interval %d (seed 1): %v", i, p99)
		}
		t.Logf("no breaker: during p50 %.1fms p99 %.1fms availability %.3f; p99 series %v", during.Latency.P50, during.Latency.P99, during.Availability, p99)
	})
}

// stuck is gateway -> a, a black-holed from 300ms for 15s and paused
// from 300ms too, under a 20s load.
var stuck = gatewayToA("20s", "timeout: 300ms", 20, "500ms", `faults:
  - {at: 300ms, for: 15s, type: partition, groups: [[gateway], [a]]}
  - {at: 300ms, for: 15s, type: pause, target: a}
`)

// TestCleanup interrupts a run in the middle of a black hole and a pause
// (by cancellation, SIGTERM, or a panic) and asserts that no service
// process, no listening port, no proxy and no temporary folder is left,
// and that the paused service did not hold the stop for SIGKILL's grace.
func TestCleanup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, how := range []string{"cancel", "sigterm", "panic"} {
		t.Run(how, func(t *testing.T) {
			if how == "sigterm" { // keep the test process alive whatever the timing
				ch := make(chan os.Signal, 1)
				signal.Notify(ch, syscall.SIGTERM)
				defer signal.Stop(ch)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stopAt atomic.Int64 // unix ns
			opt := timeline.Options{Hooks: timeline.Hooks{FaultApplied: func(i int) {
				if i != 2 {
					return
				}
				time.AfterFunc(200*time.Millisecond, func() { // requests are stuck in the black hole
					stopAt.Store(time.Now().UnixNano())
					if how == "cancel" {
						cancel()
					} else {
						_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
					}
				})
			}}}
			started := func(*System) {
				if how == "panic" {
					panic("boom")
				}
			}
			start := time.Now()
			_, w, err := runReal(ctx, t, stuck, 1, opt, started, "")
			require.Error(t, err)
			if how == "panic" {
				assert.Contains(t, err.Error(), "panic: boom")
			} else {
				assert.True(t, errors.Is(err, context.Canceled), "%v", err)
				assert.Less(t, time.Since(time.Unix(0, stopAt.Load())), stopGrace, "the paused service was continued and stopped, not killed after the grace")
			}
			assert.Less(t, time.Since(start), 15*time.Second, "the run stopped early")
			require.Len(t, w.pids, 2)
			for _, pid := range w.pids {
				assert.False(t, alive(pid), "process %d is left", pid)
			}
			addrs := append(slices.Clone(w.System.listen), w.System.entry...)
			for _, inst := range w.System.insts {
				for _, call := range inst.Calls {
					addrs = append(addrs, call.Addrs...)
				}
			}
			if how != "panic" {
				require.Len(t, addrs, 2+2, "two proxies, two services")
			}
			for _, a := range addrs {
				conn, err := net.DialTimeout("tcp", a, 200*time.Millisecond)
				if err == nil {
					conn.Close()
				}
				assert.Error(t, err, "%s still listens", a)
			}
			p, x, err := w.Proxies.Remaining(context.Background())
			require.NoError(t, err)
			assert.Zero(t, p, "proxies left")
			assert.Zero(t, x, "toxics left")
			_, err = os.Stat(w.Env.Work)
			assert.True(t, os.IsNotExist(err), "temporary folder %s left", w.Env.Work)
		})
	}
}

// TestRetriesThroughProxy: a reset_peer toxic on gateway->a fails every
// attempt at the connection; the gateway makes max_attempts attempts per
// call with the configured constant back-off between them, and a never
// sees a request. (The fault is made to outlast the load, which the
// language does not allow, so that the last requests' retries meet it
// too: a fault outlasting the load ends with the load's last request.)
func TestRetriesThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	res, w, err := runReal(context.Background(), t, gatewayToA("2s",
		"timeout: 500ms, retry: {max_attempts: 3, backoff: {kind: constant, base: 100ms, jitter: none}}", 10, "2s",
		"faults: [{at: 0s, for: 2s, type: reset_peer, from: gateway, to: a}]\n"), 3, timeline.Options{}, func(s *System) { s.env.Scenario.Faults[0].For = time.Minute }, "")
	require.NoError(t, err)
	sums, _ := services(w.System.samples[len(w.System.samples)-1], w.System.cfg)
	require.Len(t, sums, 2)
	gw, a := sums[0], sums[1]
	cs := gw.Calls[0]
	require.Positive(t, cs.Calls)
	assert.Equal(t, 3*cs.Calls, cs.Attempts, "3 attempts per call (seed 3)")
	assert.Equal(t, 2*cs.Calls, cs.Retries)
	assert.Equal(t, cs.Attempts, cs.Errors)
	assert.Equal(t, time.Duration(cs.Retries)*100*time.Millisecond, time.Duration(cs.BackoffNs))
	assert.Zero(t, a.Requests, "a sees nothing through the reset link")
	all, _ := res.Phase(results.All)
	assert.Equal(t, int64(cs.Calls), all.Errors, "the gateway answers 502 to every request")
	assert.True(t, math.IsNaN(all.Latency.P50), "no request succeeded: no successful latency")
	assert.GreaterOrEqual(t, all.LatencyAll.P50, 200.0, "two back-offs of 100ms")
	assert.InDelta(t, 3.0, res.Metrics["calls.gateway_>a.amplification"], 1e-9)
	assert.NotNil(t, res.SeriesNamed("retries.gateway->a"))
}

// TestCrashAndPause: a crashed service is restarted at the fault's end
// (a new process, the same port) and a paused one resumed; while down
// the gateway's calls fail, afterwards every request succeeds.
func TestCrashAndPause(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, typ := range []string{"crash", "pause"} {
		t.Run(typ, func(t *testing.T) {
			res, w, err := runReal(context.Background(), t, gatewayToA("2500ms", "timeout: 200ms", 30, "1s",
				"faults: [{at: 500ms, for: 1s, type: "+typ+", target: a}]\n"), 2, timeline.Options{Dir: t.TempDir()}, nil, "")
			require.NoError(t, err)
			during, _ := res.Phase(results.During)
			assert.Less(t, during.Availability, 0.5, "a is down (seed 2)")
			// From 2s, half a second after the restart began, every
			// request succeeds.
			assert.Zero(t, res.SeriesNamed("errors").Values[4], "a is back (seed 2)")
			assert.Positive(t, res.SeriesNamed("goodput").Values[4])
			after := w.System.procs.PIDs()
			require.Len(t, w.Faults, 1)
			assert.Empty(t, w.Faults[0].Err)
			if typ == "crash" {
				assert.NotEqual(t, w.pids[1], after[1], "a new process")
				assert.False(t, alive(w.pids[1]))
			} else {
				assert.Equal(t, w.pids, after)
			}
			assert.Len(t, res.Files, 1, "the fault log")
		})
	}
}

// TestInstances: a service with two instances gets a process, a port and
// a proxy each; a round-robin caller splits its attempts evenly; the
// load takes the entry's instances in turn; crashing "a-1" kills and
// restarts that instance only.
func TestInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	_, w, err := runReal(context.Background(), t, `name: instances
duration: 1500ms
topology:
  services:
    - {name: gateway, instances: 2, workers: 16, service_time: {kind: constant, value: 0}, calls: [{service: a, timeout: 300ms}]}
    - {name: a, instances: 2, workers: 16, service_time: {kind: constant, value: 0}}
load:
  target: gateway
  balancer: round_robin
  timeout: 1s
  open: {shape: constant, rps: 40}
faults:
  - {at: 1s, for: 200ms, type: crash, target: a-1}
`, 6, timeline.Options{}, nil, "")
	require.NoError(t, err)
	require.Len(t, w.pids, 4)
	require.Len(t, w.System.Spec().Links, 2+2, "the load's to each gateway instance, gateway->a per a instance (shared by the callers)")
	after := w.System.procs.PIDs()
	assert.Equal(t, w.pids[:3], after[:3], "only a-1 restarted")
	assert.NotEqual(t, w.pids[3], after[3])
	last := w.System.samples[len(w.System.samples)-1]
	require.Len(t, last.Instances, 4)
	var got []uint64
	for _, st := range last.Instances {
		got = append(got, st.Requests)
	}
	// Until the crash at 1s, each instance had half the requests; a-1's
	// counters start again after its restart.
	assert.InDelta(t, float64(got[0]), float64(got[1]), 1, "the load alternates gateway instances: %v", got)
	assert.Greater(t, got[2], got[3], "a-1 lost its counts in the crash: %v", got)
}

// TestStartFailureCleansUp: a service that cannot start is a harness
// failure, and the run leaves no process, proxy or folder behind.
func TestStartFailureCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	_, w, err := runReal(context.Background(), t, gatewayToA("1s", "timeout: 1s", 10, "1s", ""), 1, timeline.Options{Dir: dir}, nil, "/bin/false")
	require.Error(t, err)
	assert.ErrorIs(t, err, timeline.ErrHarness)
	assert.Contains(t, err.Error(), "exited at start-up")
	p, x, err := w.Proxies.Remaining(context.Background())
	require.NoError(t, err)
	assert.Zero(t, p+x, "proxies or toxics left")
	for _, pid := range w.System.procs.Started() {
		assert.False(t, alive(pid))
	}
}

// TestStopConditionStopsTheChain: with a stop condition of 50% errors
// over 300 ms, crashing a at 500 ms of a 3 s run stops the load soon
// after: the run is not an error, is recorded as stopped, the crash is
// reverted (a restarted) at the stop rather than at its end, and no
// request starts after the stop.
func TestStopConditionStopsTheChain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	res, _, err := runReal(context.Background(), t, gatewayToA("3s", "timeout: 100ms", 100, "1s", `faults: [{at: 500ms, for: 2s, type: crash, target: a}]
stop: {error_rate: 0.5, over: 300ms, min_requests: 5}
`), 2, timeline.Options{Dir: t.TempDir()}, nil, "")
	require.NoError(t, err, "a stopped run is not a failed one")
	m := res.Metrics
	t.Logf("stopped=%v at %.2f s; fault %.2f..%.2f s; notes %q", m["stopped"], m["stopped_at_s"], m["real_fault1_start_s"], m["real_fault1_end_s"], res.Notes)
	require.Equal(t, 1.0, m["stopped"])
	assert.Greater(t, m["stopped_at_s"], 0.5)
	assert.Less(t, m["stopped_at_s"], 1.5, "stopped within the window after the crash")
	assert.InDelta(t, m["stopped_at_s"], m["real_fault1_end_s"], 0.5, "the crash is reverted at the stop, not at 2.5 s")
	all, _ := res.Phase(results.All)
	assert.Less(t, all.Requests, int64(200), "about 1 s of load at 100 req/s, not 3 s")
	assert.Contains(t, res.Notes[len(res.Notes)-1]+" "+res.Notes[0], "stopped by the stop condition")
	if runtime.GOOS == "linux" {
		assert.Greater(t, m["host_cpu_peak"], 0.0, "the machine's load is recorded")
		assert.NotNil(t, res.SeriesNamed("host_cpu"))
	}
}
