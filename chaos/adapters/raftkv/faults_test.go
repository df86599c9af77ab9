package raftkv

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/chaos/kv"
	"github.com/faultline-sim/faultline/chaos/timeline"
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/scenarios"
)

// window summarises client ci's operations invoked in [from, to).
type window struct {
	n, ok, unknown int
	p50            time.Duration // of the successful ones
}

func (w window) availability() float64 {
	if w.n == 0 {
		return -1
	}
	return float64(w.ok) / float64(w.n)
}

func summarise(h store.History, ci int, from, to time.Duration) window {
	var w window
	var lat []time.Duration
	for _, rec := range h {
		at := time.Duration(rec.Invoke)
		if rec.Client != ci || at < from || at >= to {
			continue
		}
		w.n++
		switch rec.Outcome {
		case store.OK:
			w.ok++
			lat = append(lat, time.Duration(rec.Return-rec.Invoke))
		case store.Unknown:
			w.unknown++
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		w.p50 = lat[len(lat)/2]
	}
	return w
}

// longestOutage is the longest time, among the ops of clients other than
// skip invoked in [from, to), between two successive successful
// invocations.
func longestOutage(h store.History, skip int, from, to time.Duration) time.Duration {
	var oks []time.Duration
	for _, rec := range h {
		at := time.Duration(rec.Invoke)
		if rec.Client != skip && rec.Outcome == store.OK && at >= from && at < to {
			oks = append(oks, at)
		}
	}
	sort.Slice(oks, func(i, j int) bool { return oks[i] < oks[j] })
	var gap time.Duration
	for i := 1; i < len(oks); i++ {
		gap = max(gap, oks[i]-oks[i-1])
	}
	return gap
}

func parseCase(t *testing.T, yaml string) scenarios.Case {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(yaml))
	require.NoError(t, err)
	c, err := sc.Case(scenarios.BaseVariant)
	require.NoError(t, err)
	return c
}

// linkFaults3 exercises every link fault on the client links of two
// clients, in windows apart, with a permanent 30 ms topology link on c1's.
const linkFaults3 = `
name: real-link-faults
duration: 10s
topology:
  stores:
    - name: kv
      replicas: 3
      settle: 1s
      raft: {heartbeat_timeout: 150ms, election_timeout: 150ms, leader_lease_timeout: 100ms, read_mode: log}
  links:
    - {from: c1, to: kv-1, latency: 30ms}
load:
  - {name: c0, target: kv, via: kv-0, timeout: 500ms, open: {rps: 40}, ops: {read: 0.6, write: 0.3, cas: 0.1, keys: 10}}
  - {name: c1, target: kv, via: kv-1, timeout: 500ms, open: {rps: 40}, ops: {read: 0.6, write: 0.3, cas: 0.1, keys: 10}}
faults:
  - {at: 1s, for: 2s, type: latency, from: kv-0, to: c0, latency: 100ms}
  - {at: 1s, for: 2s, type: bandwidth, from: kv-1, to: c1, bytes_per_s: 1000}
  - {at: 4s, for: 1500ms, type: reset_peer, from: c0, to: kv-0}
  - {at: 4s, for: 1500ms, type: loss, from: kv-1, to: c1, probability: 1}
  - {at: 6500ms, for: 1500ms, type: timeout, from: c0, to: kv-0, timeout: 100ms}
  - {at: 6500ms, for: 1500ms, type: slow_close, from: kv-1, to: c1, delay: 300ms}
`

// TestLinkFaultsReal runs every link fault for real, each on one client's
// link: latency and bandwidth raise that client's latency by about what
// they add, reset_peer, loss (probability 1) and timeout make its
// operations fail, slow_close changes no outcome (as in the simulator);
// the topology link adds its latency both ways; the store stays
// linearizable and every client recovers after the faults.
func TestLinkFaultsReal(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes: skipped with -short")
	}
	const seed = 1
	run, w, err := runReal(context.Background(), parseCase(t, linkFaults3), seed, timeline.Options{Dir: t.TempDir()}, nil)
	require.NoError(t, err, "seed %d", seed)
	h := w.System.historyNow()
	require.Len(t, w.Faults, 6)
	for _, f := range w.Faults {
		assert.Empty(t, f.Err, "seed %d: fault %d (%s)", seed, f.Index, f.Label)
		assert.NotZero(t, f.Actions, "seed %d: fault %d (%s) changed nothing", seed, f.Index, f.Label)
	}
	ms := time.Millisecond
	before0, before1 := summarise(h, 0, 200*ms, 900*ms), summarise(h, 1, 200*ms, 900*ms)
	lat0, bw1 := summarise(h, 0, 1200*ms, 2900*ms), summarise(h, 1, 1200*ms, 2900*ms)
	reset0, loss1 := summarise(h, 0, 4100*ms, 5300*ms), summarise(h, 1, 4100*ms, 5300*ms)
	to0, slow1 := summarise(h, 0, 6600*ms, 7800*ms), summarise(h, 1, 6600*ms, 7800*ms)
	after0, after1 := summarise(h, 0, 8500*ms, 10*time.Second), summarise(h, 1, 8500*ms, 10*time.Second)
	t.Logf("seed %d: before p50 c0 %v c1 %v; latency fault c0 p50 %v; bandwidth fault c1 p50 %v avail %.2f",
		seed, before0.p50, before1.p50, lat0.p50, bw1.p50, bw1.availability())
	t.Logf("seed %d: availability reset_peer c0 %.2f, loss c1 %.2f (unknown %d/%d), timeout c0 %.2f, slow_close c1 %.2f, after c0 %.2f c1 %.2f",
		seed, reset0.availability(), loss1.availability(), loss1.unknown, loss1.n, to0.availability(), slow1.availability(),
		after0.availability(), after1.availability())

	assert.InDelta(t, 100, float64(lat0.p50-before0.p50)/1e6, 30, "seed %d: latency 100ms on kv-0->c0 raised c0's p50 by", seed)
	assert.GreaterOrEqual(t, before1.p50-before0.p50, 50*ms, "seed %d: 30 ms each way on c1's topology link", seed)
	assert.GreaterOrEqual(t, bw1.p50-before1.p50, 80*ms, "seed %d: 1 KB/s on kv-1->c1 delays each ~120-byte answer", seed)
	assert.Less(t, reset0.availability(), 0.2, "seed %d: reset_peer on c0->kv-0", seed)
	assert.Less(t, loss1.availability(), 0.2, "seed %d: loss 1 on kv-1->c1", seed)
	assert.Greater(t, loss1.unknown, loss1.n/2, "seed %d: a black hole times out (unknown), it does not refuse", seed)
	assert.Less(t, to0.availability(), 0.2, "seed %d: timeout on c0->kv-0", seed)
	assert.Greater(t, slow1.availability(), 0.9, "seed %d: slow_close changes no outcome", seed)
	assert.Greater(t, after0.availability(), 0.9, "seed %d: c0 recovers", seed)
	assert.Greater(t, after1.availability(), 0.9, "seed %d: c1 recovers", seed)
	assert.Equal(t, 1.0, run.Metrics["linearizable"], "seed %d: reads through the log stay linearizable", seed)
	assert.Zero(t, run.Metrics["lost_writes"], "seed %d", seed)
}

// slicerLimit3 slices kv-0's answers to c0 into 8-byte slices 4 ms apart
// and closes kv-1's connections to c1 after 64 bytes, from 1 s to 3 s.
const slicerLimit3 = `
name: real-slicer-limit
duration: 4s
seeds: 1
topology:
  stores:
    - name: kv
      replicas: 3
      settle: 1s
      raft: {heartbeat_timeout: 150ms, election_timeout: 150ms, leader_lease_timeout: 100ms, read_mode: log}
load:
  - {name: c0, target: kv, via: kv-0, timeout: 1s, open: {rps: 30}, ops: {read: 0.6, write: 0.3, cas: 0.1, keys: 10}}
  - {name: c1, target: kv, via: kv-1, timeout: 1s, open: {rps: 30}, ops: {read: 0.6, write: 0.3, cas: 0.1, keys: 10}}
faults:
  - {at: 1s, for: 2s, type: slicer, from: kv-0, to: c0, average_size: 8, delay: 4ms}
  - {at: 1s, for: 2s, type: limit_data, from: kv-1, to: c1, bytes: 64}
`

// TestSlicerAndLimitDataReal: slicing an answer of a hundred-odd bytes
// into 8-byte slices 4 ms apart delays it by tens of ms (16 slices: 60
// ms); closing a connection after 64 bytes, fewer than an answer, fails
// c1's operations; both recover after.
func TestSlicerAndLimitDataReal(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes: skipped with -short")
	}
	const seed = 1
	_, w, err := runReal(context.Background(), parseCase(t, slicerLimit3), seed, timeline.Options{Dir: t.TempDir()}, nil)
	require.NoError(t, err, "seed %d", seed)
	h := w.System.historyNow()
	ms := time.Millisecond
	before0 := summarise(h, 0, 200*ms, 900*ms)
	sliced0, limited1 := summarise(h, 0, 1200*ms, 2800*ms), summarise(h, 1, 1200*ms, 2800*ms)
	after0, after1 := summarise(h, 0, 3300*ms, 4*time.Second), summarise(h, 1, 3300*ms, 4*time.Second)
	t.Logf("seed %d: c0 p50 before %v, sliced %v; c1 availability limited %.2f; after c0 %.2f c1 %.2f",
		seed, before0.p50, sliced0.p50, limited1.availability(), after0.availability(), after1.availability())
	assert.GreaterOrEqual(t, sliced0.p50-before0.p50, 30*ms, "seed %d: sliced answers arrive late", seed)
	assert.Greater(t, sliced0.availability(), 0.9, "seed %d: but they arrive", seed)
	assert.Less(t, limited1.availability(), 0.2, "seed %d: a connection closed before the answer is whole", seed)
	assert.Greater(t, after0.availability(), 0.9, "seed %d", seed)
	assert.Greater(t, after1.availability(), 0.9, "seed %d", seed)
}

// processFaults3 crashes a follower, pauses the leader and crashes the
// leader; the test picks the follower once a leader is known.
const processFaults3 = `
name: real-process-faults
duration: 13s
topology:
  stores:
    - name: kv
      replicas: 3
      settle: 2s
      raft: {heartbeat_timeout: 150ms, election_timeout: 150ms, leader_lease_timeout: 100ms, read_mode: log}
load:
  - {name: c0, target: kv, via: kv-0, timeout: 500ms, open: {rps: 30}, ops: {read: 0.6, write: 0.3, cas: 0.1, keys: 10}}
  - {name: c1, target: kv, via: kv-1, timeout: 500ms, open: {rps: 30}, ops: {read: 0.6, write: 0.3, cas: 0.1, keys: 10}}
  - {name: c2, target: kv, via: kv-2, timeout: 500ms, open: {rps: 30}, ops: {read: 0.6, write: 0.3, cas: 0.1, keys: 10}}
faults:
  - {at: 1s, for: 2s, type: crash, target: kv-0}
  - {at: 4500ms, for: 1500ms, type: pause, target: kv-0}
  - {at: 8s, for: 2s, type: crash, target: kv-0}
`

// TestProcessFaultsReal crashes a follower (the others stay available, it
// restarts and catches up), pauses the leader (a new leader is elected
// after a window of unavailability, the paused node's client gets
// nothing) and crashes the leader (likewise); the store stays
// linearizable and every replica ends with the same state.
func TestProcessFaultsReal(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes: skipped with -short")
	}
	const seed = 1
	follower := -1
	c := parseCase(t, processFaults3)
	run, w, err := runReal(context.Background(), c, seed, timeline.Options{Dir: t.TempDir()}, func(s *System) {
		l, err := s.Role(context.Background(), "kv"+scenarios.LeaderSuffix)
		require.NoError(t, err)
		follower = (l + 1) % 3
		s.env.Scenario.Faults[0].Target = s.ids[follower]
		s.env.Scenario.Faults[1].Target = "kv" + scenarios.LeaderSuffix
		s.env.Scenario.Faults[2].Target = "kv" + scenarios.LeaderSuffix
	})
	require.NoError(t, err, "seed %d", seed)
	h, faults := w.System.historyNow(), w.Faults
	var last []kv.Status
	if n := len(w.System.samples); n > 0 {
		last = w.System.samples[n-1].sts
	}
	require.Len(t, faults, 3)
	for _, f := range faults {
		require.Empty(t, f.Err, "seed %d: fault %d (%s)", seed, f.Index, f.Label)
	}
	m := run.Metrics
	idx := func(name string) int { return int(name[len(name)-1] - '0') }
	paused, crashed := idx(faults[1].Target), idx(faults[2].Target)
	ms := time.Millisecond
	t.Logf("seed %d: follower crashed kv-%d, leader paused %s, leader crashed %s; failover ms %.0f / %.0f / %.0f; leader changes %v",
		seed, follower, faults[1].Target, faults[2].Target, m["failover_ms_fault1"], m["failover_ms_fault2"], m["failover_ms_fault3"], m["leader_changes"])

	for ci := range 3 {
		w := summarise(h, ci, 1100*ms, 2900*ms)
		t.Logf("seed %d: c%d availability while kv-%d is down: %.2f", seed, ci, follower, w.availability())
		if ci != follower {
			assert.Greater(t, w.availability(), 0.9, "seed %d: c%d while follower kv-%d is down", seed, ci, follower)
		} else {
			assert.Less(t, w.availability(), 0.1, "seed %d: c%d's replica is down", seed, ci)
		}
	}
	assert.InDelta(t, 0, m["failover_ms_fault1"], 100, "seed %d: the leader keeps leading when a follower crashes", seed)

	// Operations sent to the paused node in its last 500 ms (the client
	// timeout) are answered after SIGCONT.
	pw := summarise(h, paused, 4600*ms, 5400*ms)
	gap := longestOutage(h, paused, 4400*ms, 6*time.Second)
	t.Logf("seed %d: paused leader's client availability %.2f; longest outage of the others %v", seed, pw.availability(), gap)
	assert.Less(t, pw.availability(), 0.1, "seed %d: the paused replica answers nothing", seed)
	assert.Greater(t, m["failover_ms_fault2"], 100.0, "seed %d: a new leader needs an election timeout", seed)
	assert.Less(t, m["failover_ms_fault2"], 1500.0, "seed %d: new leader after pausing the old one", seed)
	assert.GreaterOrEqual(t, gap, 100*ms, "seed %d: the others see a window of unavailability", seed)

	gap = longestOutage(h, crashed, 7900*ms, 9500*ms)
	t.Logf("seed %d: longest outage of the others after the leader crash %v", seed, gap)
	assert.Greater(t, m["failover_ms_fault3"], 100.0, "seed %d", seed)
	assert.Less(t, m["failover_ms_fault3"], 1500.0, "seed %d: new leader after crashing the old one", seed)
	assert.GreaterOrEqual(t, gap, 100*ms, "seed %d", seed)
	assert.GreaterOrEqual(t, m["leader_changes"], 2.0, "seed %d", seed)

	require.Len(t, last, 3)
	l := leader(last)
	require.GreaterOrEqual(t, l, 0, "seed %d: a leader at the end", seed)
	for i, st := range last {
		assert.Equal(t, last[l].ID, st.Leader, "seed %d: kv-%d rejoined and follows the leader", seed, i)
		assert.InDelta(t, float64(last[l].Applied), float64(st.Applied), 5, "seed %d: kv-%d caught up", seed, i)
	}
	assert.Equal(t, 1.0, m["linearizable"], "seed %d", seed)
	assert.Zero(t, m["lost_writes"], "seed %d", seed)
	assert.Zero(t, m["divergence_at_end"], "seed %d: restarted replicas hold the same state", seed)
}
