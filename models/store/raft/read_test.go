package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// readAfterDeposal writes 1, cuts the leader off with a client, waits for
// the majority to elect a new leader and commit 2, then has the client
// read from the old leader. It returns that read, with when the old leader
// stepped down (0 if never) and when the new one was elected.
func readAfterDeposal(t *testing.T, seed uint64, mode string) (read store.Op, steppedDown, elected sim.Time) {
	cfg := Config{ReadMode: mode}
	cfg.SetDefaults()
	e := newEnv(t, seed, 5, cfg, time.Millisecond, 0)
	near, far := e.newClient("near"), e.newClient("far")
	old := e.awaitLeader(10 * time.Second)
	require.GreaterOrEqual(t, old, 0, "seed %d", seed)
	require.Equal(t, store.StatusOK, far.do(old, put(1, 1), time.Second).Status, "seed %d", seed)
	e.run(time.Second) // every follower applies 1
	e.c.OnLeaderChange = func(r int, term uint64, leader bool) {
		e.checkLeader(r, term, leader)
		if r == old && !leader {
			steppedDown = e.k.Now()
		}
		if leader && r != old && elected == 0 {
			elected = e.k.Now()
		}
	}
	rest := others(5, old)
	_, err := e.net.Cut(sim.Partition{Groups: [][]sim.NodeID{
		e.nodesOf([]int{old}, near.node), e.nodesOf(rest, far.node)}})
	require.NoError(t, err)
	e.k.RunWhile(func() bool { return elected == 0 && e.k.Now() < sim.At(time.Minute) })
	require.NotZero(t, elected, "seed %d: the majority elected no leader", seed)
	require.Equal(t, store.StatusOK, far.do(rest[0], put(1, 2), time.Second).Status, "seed %d", seed)
	return near.do(old, get(1), time.Second), steppedDown, elected
}

func TestLocalReadsFromDeposedLeaderAreStale(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		read, steppedDown, _ := readAfterDeposal(t, seed, ReadLocal)
		assert.Zero(t, steppedDown, "seed %d: without a lease the old leader should not step down", seed)
		assert.Equal(t, store.StatusOK, read.Status, "seed %d", seed)
		assert.Equal(t, int64(1), read.Out, "seed %d: the deposed leader should answer the stale value", seed)
	}
}

// TestLeaseReadsRefusedAfterLeaseExpires: the lease (500ms) runs out
// before any follower can time out (>= 1s), so the old leader has
// stepped down, and refuses reads, before a new leader can commit.
func TestLeaseReadsRefusedAfterLeaseExpires(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		read, steppedDown, elected := readAfterDeposal(t, seed, ReadLease)
		assert.NotZero(t, steppedDown, "seed %d: the old leader should step down when its lease runs out", seed)
		assert.Less(t, steppedDown, elected, "seed %d: a new leader was elected while the old lease held", seed)
		assert.Equal(t, store.StatusUnavailable, read.Status, "seed %d: the deposed leader must not answer", seed)
	}
}

func TestLeaseReadsServedWhileLeaseHolds(t *testing.T) {
	const seed = 4
	cfg := Config{ReadMode: ReadLease}
	e := newEnv(t, seed, 3, cfg, time.Millisecond, 0)
	cl := e.newClient("client")
	l := e.awaitLeader(10 * time.Second)
	require.GreaterOrEqual(t, l, 0, "seed %d", seed)
	require.Equal(t, store.StatusOK, cl.do(l, put(5, 50), time.Second).Status, "seed %d", seed)
	got := cl.do(l, get(5), time.Second)
	assert.Equal(t, store.StatusOK, got.Status, "seed %d", seed)
	assert.Equal(t, int64(50), got.Out, "seed %d", seed)
}

// TestLogReadsSeeAcknowledgedWrites runs a sequential history against
// random replicas (followers forward): every read returns the last
// acknowledged write, and every CAS is decided against it.
func TestLogReadsSeeAcknowledgedWrites(t *testing.T) {
	const seed = 11
	e := newEnv(t, seed, 5, Config{}, 2*time.Millisecond, time.Millisecond)
	cl := e.newClient("client")
	require.GreaterOrEqual(t, e.awaitLeader(10*time.Second), 0, "seed %d", seed)
	e.run(100 * time.Millisecond) // the followers learn of the leader
	rng := e.k.Stream("test/ops")
	last := map[int]int64{}
	for n := range 200 {
		key, replica := rng.IntN(3), rng.IntN(5)
		switch rng.IntN(3) {
		case 0:
			got := cl.do(replica, get(key), time.Second)
			require.Equal(t, store.StatusOK, got.Status, "seed %d op %d", seed, n)
			require.Equal(t, last[key], got.Out, "seed %d op %d: stale read of key %d", seed, n, key)
		case 1:
			v := int64(n + 1)
			require.Equal(t, store.StatusOK, cl.do(replica, put(key, v), time.Second).Status, "seed %d op %d", seed, n)
			last[key] = v
		default:
			expect := last[key]
			if rng.IntN(2) == 0 {
				expect++ // a CAS that must fail
			}
			got := cl.do(replica, store.Op{Kind: store.CAS, Key: key, Value: int64(n + 1), Expect: expect}, time.Second)
			require.Equal(t, store.StatusOK, got.Status, "seed %d op %d", seed, n)
			if expect == last[key] {
				require.Equal(t, int64(1), got.Out, "seed %d op %d: CAS should swap", seed, n)
				last[key] = int64(n + 1)
			} else {
				require.Equal(t, int64(0), got.Out, "seed %d op %d: CAS should not swap", seed, n)
			}
		}
	}
	e.run(time.Second)
	assert.Equal(t, 0, e.c.Divergence(), "seed %d", seed)
}

func TestFollowerWithoutLeaderAnswersUnavailable(t *testing.T) {
	const seed = 5
	e := newEnv(t, seed, 3, Config{}, time.Millisecond, 0)
	cl := e.newClient("client")
	got := cl.do(0, put(1, 1), 100*time.Millisecond) // before any election
	assert.Equal(t, store.StatusUnavailable, got.Status, "seed %d", seed)
}

// TestStaleReadsFromAFollowerCutOff: in "stale" mode a follower cut off
// from the leader still answers reads, from what it had applied: after
// the majority has written a newer value, the follower's answer is the
// old one.
func TestStaleReadsFromAFollowerCutOff(t *testing.T) {
	cfg := paperConfig(false)
	cfg.ReadMode = ReadStale
	e := newEnv(t, 2, 3, cfg, time.Millisecond, 0)
	e.c.StartWithLeader(0)
	cl := e.newClient("c")
	require.Equal(t, store.StatusOK, cl.do(1, put(1, 1), time.Second).Status)
	e.run(100 * time.Millisecond)
	cut, err := e.net.Cut(sim.Partition{Groups: [][]sim.NodeID{e.nodesOf([]int{2}), e.nodesOf([]int{0, 1}, cl.node)}, OneWay: false})
	require.NoError(t, err)
	require.Equal(t, store.StatusOK, cl.do(1, put(1, 2), time.Second).Status, "the majority writes")
	e.net.Heal(cut)
	cut, err = e.net.Cut(sim.Partition{Groups: [][]sim.NodeID{e.nodesOf([]int{2}, cl.node), e.nodesOf([]int{0, 1})}})
	require.NoError(t, err)
	got := cl.do(2, get(1), time.Second)
	assert.Equal(t, store.StatusOK, got.Status, "the cut-off follower answers")
	assert.Equal(t, int64(1), got.Out, "with the value it had")
	e.net.Heal(cut)
	e.run(time.Second)
	got = cl.do(2, get(1), time.Second)
	assert.Equal(t, int64(2), got.Out, "and the newer one once it has caught up")
}
