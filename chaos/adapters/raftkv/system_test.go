package raftkv

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/chaos/timeline"
	"github.com/faultline-sim/faultline/chaos/timeline/timelinetest"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
)

// runReal runs case c on seed for real with opt; started, if set, is
// called once the store is up.
func runReal(ctx context.Context, c scenarios.Case, seed uint64, opt timeline.Options, started func(*System)) (results.Run, *timelinetest.Run[*System], error) {
	w := timelinetest.Execute(ctx, opt, c, seed, New, started)
	return w.Result, w, w.Err
}

// partition3 is a small version of scenarios/partition.yaml: three
// replicas, raft with 150 ms timeouts, a client on each side, a cut of
// kv-2 and its client from the rest, then the leader isolated.
const partition3 = `
name: real-partition
duration: 10s
seeds: 1
topology:
  stores:
    - name: kv
      replicas: 3
      settle: 2s
      raft: {heartbeat_timeout: 150ms, election_timeout: 150ms, leader_lease_timeout: 100ms, read_mode: log}
load:
  - {name: majority, target: kv, via: kv-0, timeout: 500ms, open: {rps: 50}, ops: {read: 0.6, write: 0.3, cas: 0.1, keys: 10}}
  - {name: minority, target: kv, via: kv-2, timeout: 500ms, open: {rps: 50}, ops: {read: 0.6, write: 0.3, cas: 0.1, keys: 10}}
faults:
  - {at: 2s, for: 3s, type: partition, groups: [[kv-0, kv-1, majority], [kv-2, minority]]}
  - {at: 6s, for: 2s, type: partition, isolate: kv.leader}
`

// TestPartitionReal runs the partition for real: reads through the log
// stay linearizable, the minority side loses availability during the cut,
// the majority keeps it, and a new leader appears soon after the old one
// is isolated.
func TestPartitionReal(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes: skipped with -short")
	}
	const seed = 1
	run, _, err := runReal(context.Background(), parseCase(t, partition3), seed, timeline.Options{Dir: t.TempDir()}, nil)
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	m := run.Metrics
	t.Logf("seed %d: linearizable=%v unknown_ops=%v stale_reads=%v lost_writes=%v divergence_at_end=%v convergence_ms=%v",
		seed, m["linearizable"], m["unknown_ops"], m["stale_reads"], m["lost_writes"], m["divergence_at_end"], m["convergence_ms"])
	t.Logf("availability fault1: majority=%.3f minority=%.3f; fault2: majority=%.3f minority=%.3f; before: majority=%.3f minority=%.3f",
		m["availability_fault1_majority"], m["availability_fault1_minority"], m["availability_fault2_majority"], m["availability_fault2_minority"],
		m["availability_before_majority"], m["availability_before_minority"])
	t.Logf("failover after the cut: %.0f ms; after isolating the leader: %.0f ms; leader changes: %v",
		m["failover_ms_fault1"], m["failover_ms_fault2"], m["leader_changes"])
	if m["linearizable"] == 0 {
		t.Errorf("seed %d: reads through the log were not linearizable (%v keys)", seed, m["nonlinearizable_keys"])
	}
	if v := m["availability_fault1_minority"]; v > 0.05 {
		t.Errorf("seed %d: minority availability during the cut = %.3f, want <= 0.05", seed, v)
	}
	if v := m["availability_fault1_majority"]; v < 0.7 {
		t.Errorf("seed %d: majority availability during the cut = %.3f, want >= 0.7", seed, v)
	}
	if v := m["failover_ms_fault2"]; v < 0 || v > 2500 {
		t.Errorf("seed %d: new leader %.0f ms after isolating the old one, want within 2.5 s (-1: none)", seed, v)
	}
	if m["lost_writes"] != 0 || m["divergence_at_end"] != 0 {
		t.Errorf("seed %d: lost_writes=%v divergence_at_end=%v, want 0", seed, m["lost_writes"], m["divergence_at_end"])
	}
	if len(run.Files) != 2 {
		t.Errorf("files = %+v, want the fault log and porcupine's page", run.Files)
	}
}

// inFlight3 is partition3 with a pause of kv-1 and a crash of kv-2 at
// the same time as its first fault.
const inFlight3 = partition3 + `  - {at: 2s, for: 3s, type: pause, target: kv-1}
  - {at: 2s, for: 3s, type: crash, target: kv-2}
`

// TestCancelDuringFaultCleansUp stops a run, by cancelling its context or
// by SIGTERM, while a partition, a pause and a crash are in place:
// afterwards no node process (started or restarted) is alive, none is
// left stopped, no port the run opened is listening, no proxy or toxic
// of the run remains and its temporary folder is gone.
func TestCancelDuringFaultCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes: skipped with -short")
	}
	for _, how := range []string{"cancel", "SIGTERM"} {
		t.Run(how, func(t *testing.T) { cancelDuringFaults(t, how) })
	}
}

func cancelDuringFaults(t *testing.T, how string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := cancel
	if how == "SIGTERM" {
		// Run turns SIGTERM into a cancellation while it runs.
		stop = func() { _ = syscall.Kill(os.Getpid(), syscall.SIGTERM) }
	}
	var addrs []string
	var applied atomic.Int32
	opt := timeline.Options{Hooks: timeline.Hooks{FaultApplied: func(int) {
		if applied.Add(1) == 3 {
			time.AfterFunc(300*time.Millisecond, stop)
		}
	}}}
	_, w, err := runReal(ctx, parseCase(t, inFlight3), 1, opt, func(s *System) {
		addrs = append(addrs, s.addrs...)
		for _, cfg := range s.cfgs {
			addrs = append(addrs, cfg.RaftBind, cfg.HTTPBind)
			for _, p := range cfg.Peers {
				addrs = append(addrs, p.Raft, p.HTTP)
			}
		}
	})
	require.ErrorIs(t, err, context.Canceled, "Run stopped by %s", how)
	require.NotEmpty(t, addrs, "the run never started")
	require.EqualValues(t, 3, applied.Load(), "the stop did not happen while the 3 faults were in place")
	pids := w.System.procs.Started()
	require.Len(t, pids, 3, "processes started: the crashed node must not be restarted by a stopping run")
	for _, pid := range pids {
		err := syscall.Kill(pid, 0)
		assert.ErrorIs(t, err, syscall.ESRCH, "node pid %d (possibly paused) still exists after the run", pid)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, 200*time.Millisecond); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after the run", a)
		}
	}
	_, err = os.Stat(w.Env.Work)
	assert.ErrorIs(t, err, os.ErrNotExist, "the run's temporary folder (logs, raft data) %s is left", w.Env.Work)
	proxies, toxics, err := w.Proxies.Remaining(context.Background())
	require.NoError(t, err)
	assert.Zero(t, proxies, "proxies of the run left")
	assert.Zero(t, toxics, "toxics of the run left")
	var adds int
	for _, ev := range w.Proxies.Events() {
		if ev.Action == "add" {
			adds++
		}
	}
	assert.NotZero(t, adds, "no toxic was ever added: the stop did not happen during the partition")
}

// TestNoRealCounterpart: designs without a real implementation say so.
func TestNoRealCounterpart(t *testing.T) {
	data, err := os.ReadFile("../../../scenarios/partition.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Parse("partition.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"quorum", "one", "async-followers"} {
		c, err := sc.Case(v)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = runReal(context.Background(), c, 1, timeline.Options{}, nil)
		if !errors.Is(err, timeline.ErrNoRealCounterpart) {
			t.Errorf("%s: err = %v, want ErrNoRealCounterpart", v, err)
		}
		t.Logf("%s: %v", v, err)
	}
}

// TestStopConditionStopsTheRun: with a stop condition of 30% errors over
// 1 s, cutting off the minority (half of the load) stops the run soon
// after the cut: no operation is sent after the stop, the cut is reverted
// then, and the run still settles and is checked (linearizable, no lost
// writes) and is recorded as stopped, not failed.
func TestStopConditionStopsTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes: skipped with -short")
	}
	const seed = 3
	c := parseCase(t, partition3+"stop: {error_rate: 0.3, over: 1s}\n")
	run, _, err := runReal(context.Background(), c, seed, timeline.Options{Dir: t.TempDir()}, nil)
	require.NoError(t, err, "seed %d: a stopped run is not a failed one", seed)
	m := run.Metrics
	t.Logf("seed %d: stopped=%v at %.2f s; fault1 %.2f..%.2f s; notes %q", seed, m["stopped"], m["stopped_at_s"], m["real_fault1_start_s"], m["real_fault1_end_s"], run.Notes)
	require.Equal(t, 1.0, m["stopped"], "seed %d", seed)
	at := m["stopped_at_s"]
	assert.Greater(t, at, m["real_fault1_start_s"], "seed %d: stops after the cut", seed)
	assert.Less(t, at, m["real_fault1_start_s"]+2.5, "seed %d: within the window and a timeout of the cut", seed)
	assert.InDelta(t, at, m["real_fault1_end_s"], 0.3, "seed %d: the cut is reverted at the stop", seed)
	_, has := m["real_fault2_start_s"]
	assert.False(t, has, "seed %d: the second fault never starts", seed)
	all, _ := run.Phase("all")
	assert.Less(t, all.Requests, int64(400), "seed %d: about 3 s of load at 100 req/s, not 10 s (1000)", seed)
	assert.Equal(t, 1.0, m["linearizable"], "seed %d", seed)
	assert.Equal(t, 0.0, m["lost_writes"], "seed %d", seed)
	assert.Contains(t, strings.Join(run.Notes, "\n"), "stopped by the stop condition", "seed %d", seed)
}
