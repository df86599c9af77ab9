package chain

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/chaos/proxy"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
)

// threeHops is gateway -> a -> b -> c, c doing 5ms of work; b calls c
// with a 200ms timeout and a fallback, and breaker (if not nil).
func threeHops(breaker *resilience.BreakerConfig) Config {
	return Config{Services: []ServiceConfig{
		{Name: "gateway", Workers: 64, Calls: []CallConfig{{Target: "a", Timeout: time.Second}}},
		{Name: "a", Workers: 64, Calls: []CallConfig{{Target: "b", Timeout: 800 * time.Millisecond}}},
		{Name: "b", Workers: 64, Calls: []CallConfig{{Target: "c", Timeout: 200 * time.Millisecond, Fallback: true, Breaker: breaker}}},
		{Name: "c", Workers: 64, ServiceTime: sim.DistSpec{Kind: "constant", Value: 0.005}},
	}}
}

// TestBreakerOpensUnderLatency: a 1s latency toxic on the deepest link
// (b->c) from 1s to 4.5s. With a consecutive-failure breaker on b's call,
// the breaker opens (seen through b's status endpoint and in the run's
// breaker series) and the gateway keeps answering fast, degraded; without
// it every request waits for b's 200ms timeout, and the gateway's p99
// grows past it.
func TestBreakerOpensUnderLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	rc := RunConfig{
		Load:     LoadConfig{Rate: 40, Duration: 5 * time.Second, Timeout: time.Second, Seed: 1},
		Faults:   []Fault{{Link: "b->c", Type: FaultLatency, Attributes: map[string]any{"latency": 1000}, At: time.Second, For: 3500 * time.Millisecond}},
		Interval: 500 * time.Millisecond, SampleEvery: 50 * time.Millisecond,
	}
	run := func(t *testing.T, breaker *resilience.BreakerConfig) (results.Run, Status) {
		c, err := Start(context.Background(), threeHops(breaker), Options{Dir: t.TempDir()})
		require.NoError(t, err)
		defer func() { assert.NoError(t, c.Close()) }()
		res, err := c.Run(context.Background(), rc)
		require.NoError(t, err, "seed 1")
		st, err := c.Status(context.Background(), "b")
		require.NoError(t, err)
		return res, st
	}
	t.Run("breaker", func(t *testing.T) {
		res, b := run(t, &resilience.BreakerConfig{ConsecutiveFailures: 3, Timeout: 30 * time.Second})
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
		res, b := run(t, nil)
		assert.Empty(t, b.Calls[0].Breaker)
		assert.Positive(t, b.Calls[0].Timeouts)
		before, _ := res.Phase(results.Before)
		during, _ := res.Phase(results.During)
		assert.Less(t, before.Latency.P99, 100.0)
		assert.GreaterOrEqual(t, during.Latency.P95, 190.0, "every request waits b's 200ms timeout (seed 1): %+v", during)
		assert.GreaterOrEqual(t, during.Latency.P50, 190.0)
		p99 := res.SeriesNamed("p99").Values
		for i := 3; i < 9; i++ { // 1.5s..4.5s: the fault is in place
			assert.GreaterOrEqual(t, p99[i], 190.0, "gateway p99 in interval %d (seed 1): %v", i, p99)
		}
		t.Logf("no breaker: during p50 %.1fms p99 %.1fms availability %.3f; p99 series %v", during.Latency.P50, during.Latency.P99, during.Availability, p99)
	})
}

// alive reports whether pid is still a process.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestCleanup interrupts a run in the middle of a black-hole fault (by
// cancellation, SIGTERM, or a panic) and asserts that no service process,
// no listening port, no proxy and no temporary folder is left.
func TestCleanup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	cfg := Config{Services: []ServiceConfig{
		{Name: "gateway", Calls: []CallConfig{{Target: "a", Timeout: 300 * time.Millisecond}}},
		{Name: "a"},
	}}
	rc := RunConfig{
		Load:   LoadConfig{Rate: 20, Duration: 20 * time.Second, Timeout: 500 * time.Millisecond},
		Faults: []Fault{{Link: "gateway->a", Type: FaultTimeout, Attributes: map[string]any{"timeout": 0}, At: 300 * time.Millisecond, For: 15 * time.Second}},
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
			var c *Chain
			start := time.Now()
			_, err := Execute(ctx, cfg, Options{}, rc, func(ch *Chain) {
				c = ch
				if how == "panic" {
					panic("boom")
				}
				go func() {
					for !slices.ContainsFunc(ch.Proxies().Events(), func(e proxy.Event) bool { return e.Action == "add" }) {
						time.Sleep(10 * time.Millisecond)
					}
					time.Sleep(200 * time.Millisecond) // requests are stuck in the black hole
					if how == "cancel" {
						cancel()
					} else {
						_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
					}
				}()
			})
			require.Error(t, err)
			if how == "panic" {
				assert.Contains(t, err.Error(), "panic: boom")
			} else {
				assert.True(t, errors.Is(err, context.Canceled), "%v", err)
			}
			assert.Less(t, time.Since(start), 15*time.Second, "the run stopped early")
			require.NotNil(t, c)
			for _, pid := range c.PIDs() {
				assert.False(t, alive(pid), "process %d is left", pid)
			}
			addrs := c.ProxyAddrs()
			for _, inst := range c.Instances() {
				addrs = append(addrs, inst.Listen)
			}
			require.Len(t, addrs, 2+2, "two proxies, two services")
			for _, a := range addrs {
				conn, err := net.DialTimeout("tcp", a, 200*time.Millisecond)
				if err == nil {
					conn.Close()
				}
				assert.Error(t, err, "%s still listens", a)
			}
			p, x, err := c.Proxies().Remaining(context.Background())
			require.NoError(t, err)
			assert.Zero(t, p, "proxies left")
			assert.Zero(t, x, "toxics left")
			_, err = os.Stat(c.Dir())
			assert.True(t, os.IsNotExist(err), "temporary folder %s left", c.Dir())
		})
	}
}

// TestRetriesThroughProxy: a reset_peer toxic on gateway->a fails every
// attempt at the connection; the gateway makes max_attempts attempts per
// call with the configured constant back-off between them, and a never
// sees a request.
func TestRetriesThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	cfg := Config{Services: []ServiceConfig{
		{Name: "gateway", Calls: []CallConfig{{Target: "a", Timeout: 500 * time.Millisecond,
			Retry: &resilience.RetryConfig{MaxAttempts: 3, Backoff: resilience.Backoff{Kind: "constant", Base: 100 * time.Millisecond, Jitter: "none"}}}}},
		{Name: "a"},
	}}
	c, err := Start(context.Background(), cfg, Options{})
	require.NoError(t, err)
	defer func() { assert.NoError(t, c.Close()) }()
	res, err := c.Run(context.Background(), RunConfig{
		Load:   LoadConfig{Rate: 10, Duration: 2 * time.Second, Timeout: 2 * time.Second, Seed: 3},
		Faults: []Fault{{Link: "gateway->a", Type: FaultResetPeer, Stream: "upstream", Attributes: map[string]any{"timeout": 0}, For: 10 * time.Second}},
	})
	require.NoError(t, err)
	gw, err := c.Status(context.Background(), "gateway")
	require.NoError(t, err)
	a, err := c.Status(context.Background(), "a")
	require.NoError(t, err)
	cs := gw.Calls[0]
	require.Positive(t, cs.Calls)
	assert.Equal(t, 3*cs.Calls, cs.Attempts, "3 attempts per call (seed 3)")
	assert.Equal(t, 2*cs.Calls, cs.Retries)
	assert.Equal(t, cs.Attempts, cs.Errors)
	assert.Equal(t, time.Duration(cs.Retries)*100*time.Millisecond, time.Duration(cs.BackoffNs))
	assert.Zero(t, a.Requests, "a sees nothing through the reset link")
	all, _ := res.Phase(results.All)
	assert.Equal(t, int64(cs.Calls), all.Errors, "the gateway answers 502 to every request")
	assert.GreaterOrEqual(t, all.Latency.P50, 200.0, "two back-offs of 100ms")
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
	cfg := Config{Services: []ServiceConfig{
		{Name: "gateway", Calls: []CallConfig{{Target: "a", Timeout: 200 * time.Millisecond}}},
		{Name: "a"},
	}}
	for _, typ := range []string{FaultCrash, FaultPause} {
		t.Run(typ, func(t *testing.T) {
			c, err := Start(context.Background(), cfg, Options{Dir: t.TempDir()})
			require.NoError(t, err)
			defer func() { assert.NoError(t, c.Close()) }()
			before := c.PIDs()
			res, err := c.Run(context.Background(), RunConfig{
				Load:     LoadConfig{Rate: 30, Duration: 2500 * time.Millisecond, Timeout: time.Second, Seed: 2},
				Faults:   []Fault{{Service: "a", Type: typ, At: 500 * time.Millisecond, For: time.Second}},
				Interval: 500 * time.Millisecond,
			})
			require.NoError(t, err)
			during, _ := res.Phase(results.During)
			assert.Less(t, during.Availability, 0.5, "a is down (seed 2)")
			// From 2s, half a second after the restart began, every
			// request succeeds.
			assert.Zero(t, res.SeriesNamed("errors").Values[4], "a is back (seed 2)")
			assert.Positive(t, res.SeriesNamed("goodput").Values[4])
			var actions []string
			for _, e := range c.ProcessEvents() {
				assert.Empty(t, e.Err)
				actions = append(actions, e.Action)
			}
			if typ == FaultCrash {
				assert.Equal(t, []string{"kill", "restart"}, actions)
				assert.NotEqual(t, before[1], c.PIDs()[1], "a new process")
				assert.False(t, alive(before[1]))
			} else {
				assert.Equal(t, []string{"stop", "continue"}, actions)
				assert.Equal(t, before, c.PIDs())
			}
			_, err = c.Status(context.Background(), "a")
			assert.NoError(t, err)
		})
	}
}

// TestCloseEndsPausedServices: Close stops a service left paused (the
// fault never reverted) without waiting for the SIGKILL grace.
func TestCloseEndsPausedServices(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	c, err := Start(context.Background(), Config{Services: []ServiceConfig{{Name: "gateway"}}}, Options{})
	require.NoError(t, err)
	_, err = c.Inject(context.Background(), "p", Fault{Service: "gateway", Type: FaultPause, For: time.Minute})
	require.NoError(t, err)
	pid := c.PIDs()[0]
	start := time.Now()
	require.NoError(t, c.Close())
	assert.Less(t, time.Since(start), stopGrace, "SIGTERM took effect")
	assert.False(t, alive(pid))
}

// TestInstances: a service with two instances gets a process, a port and
// a proxy each; a round-robin caller splits its attempts evenly; the
// load takes the entry's instances in turn; crashing "a-1" kills and
// restarts that instance only.
func TestInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	cfg := Config{Services: []ServiceConfig{
		{Name: "gateway", Instances: 2, Calls: []CallConfig{{Target: "a", Timeout: 300 * time.Millisecond}}},
		{Name: "a", Instances: 2},
	}}
	c, err := Start(context.Background(), cfg, Options{})
	require.NoError(t, err)
	defer func() { assert.NoError(t, c.Close()) }()
	require.Len(t, c.PIDs(), 4)
	require.Len(t, c.ProxyAddrs(), 2+2, "client->gateway per gateway instance, gateway->a per a instance (shared by the callers)")
	before := c.PIDs()
	_, err = c.Run(context.Background(), RunConfig{
		Load:   LoadConfig{Rate: 40, Duration: 1500 * time.Millisecond, Seed: 6},
		Faults: []Fault{{Service: "a-1", Type: FaultCrash, At: time.Second, For: 200 * time.Millisecond}},
	})
	require.NoError(t, err)
	after := c.PIDs()
	assert.Equal(t, before[:3], after[:3], "only a-1 restarted")
	assert.NotEqual(t, before[3], after[3])
	var got []uint64
	for i := range c.Instances() {
		st, err := c.instanceStatus(context.Background(), i)
		require.NoError(t, err)
		got = append(got, st.Requests)
	}
	// Until the crash at 1s, each instance had half the requests; a-1's
	// counters start again after its restart.
	assert.InDelta(t, float64(got[0]), float64(got[1]), 1, "the load alternates gateway instances: %v", got)
	assert.Greater(t, got[2], got[3], "a-1 lost its counts in the crash: %v", got)
	sum, err := c.Status(context.Background(), "gateway")
	require.NoError(t, err)
	assert.Equal(t, got[0]+got[1], sum.Requests, "Status sums the instances")
	assert.Equal(t, []string{"kill", "restart"}, []string{c.ProcessEvents()[0].Action, c.ProcessEvents()[1].Action})
	assert.Equal(t, "a-1", c.ProcessEvents()[0].Service)
}

// TestStartFailureCleansUp: a service that cannot start is a harness
// failure, and Start leaves no process, proxy or folder behind; chainnode
// exits 2 on a bad config.
func TestStartFailureCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	_, err := Start(context.Background(), Config{Services: []ServiceConfig{{Name: "gateway", Calls: []CallConfig{{Target: "a"}}}, {Name: "a"}}},
		Options{Binary: "/bin/false", Dir: dir})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrHarness)
	assert.Contains(t, err.Error(), "exited at start-up")
	api, err := proxy.Embedded()
	require.NoError(t, err)
	p, _, err := proxy.New(api, fmt.Sprintf("chain%d-", os.Getpid()), time.Now()).Remaining(context.Background())
	require.NoError(t, err)
	assert.Zero(t, p, "proxies left by this process's chains")

	bin, err := nodeBinary(context.Background())
	require.NoError(t, err)
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: Bad Name\nlisten: 127.0.0.1:1\n"), 0o644))
	err = exec.Command(bin, "-config", bad).Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 2, exit.ExitCode())
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
	cfg := Config{Services: []ServiceConfig{
		{Name: "gateway", Calls: []CallConfig{{Target: "a", Timeout: 100 * time.Millisecond}}},
		{Name: "a"},
	}}
	c, err := Start(context.Background(), cfg, Options{Dir: t.TempDir()})
	require.NoError(t, err)
	defer func() { assert.NoError(t, c.Close()) }()
	res, err := c.Run(context.Background(), RunConfig{
		Load:     LoadConfig{Rate: 100, Duration: 3 * time.Second, Timeout: time.Second, Seed: 2},
		Faults:   []Fault{{Service: "a", Type: FaultCrash, At: 500 * time.Millisecond, For: 2 * time.Second}},
		Interval: 500 * time.Millisecond,
		Stop:     &scenarios.Stop{ErrorRate: 0.5, Over: 300 * time.Millisecond, MinRequests: 5},
	})
	require.NoError(t, err, "a stopped run is not a failed one")
	m := res.Metrics
	t.Logf("stopped=%v at %.2f s; fault %.2f..%.2f s; notes %q", m["stopped"], m["stopped_at_s"], m["real_fault1_start_s"], m["real_fault1_end_s"], res.Notes)
	require.Equal(t, 1.0, m["stopped"])
	assert.Greater(t, m["stopped_at_s"], 0.5)
	assert.Less(t, m["stopped_at_s"], 1.5, "stopped within the window after the crash")
	assert.InDelta(t, m["stopped_at_s"], m["real_fault1_end_s"], 0.5, "the crash is reverted at the stop, not at 2.5 s")
	all, _ := res.Phase(results.All)
	assert.Less(t, all.Requests, int64(200), "about 1 s of load at 100 req/s, not 3 s")
	require.NotEmpty(t, res.Notes)
	assert.Contains(t, res.Notes[0], "stopped by the stop condition")
	if runtime.GOOS == "linux" {
		assert.Greater(t, m["host_cpu_peak"], 0.0, "the machine's load is recorded")
		assert.NotNil(t, res.SeriesNamed("host_cpu"))
	}
}
