package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// chaos runs a 5-replica cluster under a client sending random ops to
// random replicas every 20 ms for 20 s, with the leader crashed at 4 s and
// restarted at 7 s, and a partition cutting replicas {0, 1} off from 10 s
// to 13 s; then 5 quiet seconds. It returns the kernel's hash.
func chaos(t *testing.T, seed uint64) uint64 {
	e := newEnv(t, seed, 5, Config{HeartbeatTimeout: 300 * time.Millisecond, ElectionTimeout: 300 * time.Millisecond,
		LeaderLeaseTimeout: 200 * time.Millisecond, ApplyTimeout: time.Second}, 2*time.Millisecond, time.Millisecond)
	cl := e.newClient("client")
	rng := e.k.Stream("test/chaos")
	crashed := -1
	var cut sim.PartitionID
	healed := false
	for n := 0; e.k.Now() < sim.At(20*time.Second); n++ {
		now := time.Duration(e.k.Now())
		switch {
		case crashed < 0 && now >= 4*time.Second && e.c.Leader() >= 0:
			crashed = e.c.Leader()
			e.c.Crash(crashed)
		case crashed >= 0 && now >= 7*time.Second && e.c.replicas[crashed].down:
			e.c.Restart(crashed)
		case cut == 0 && !healed && now >= 10*time.Second:
			var err error
			cut, err = e.net.Cut(sim.Partition{Groups: [][]sim.NodeID{e.nodesOf([]int{0, 1}), e.nodesOf([]int{2, 3, 4})}})
			require.NoError(t, err)
		case cut != 0 && now >= 13*time.Second:
			e.net.Heal(cut)
			cut, healed = 0, true
		}
		op := store.Op{Kind: store.OpKind(rng.IntN(3)), Key: rng.IntN(5), Value: int64(n + 1), Expect: int64(rng.IntN(n + 1))}
		cl.send(rng.IntN(5), op)
		e.run(20 * time.Millisecond)
	}
	e.run(5 * time.Second)
	require.GreaterOrEqual(t, crashed, 0, "seed %d: no leader to crash", seed)
	assert.Equal(t, 0, e.c.Divergence(), "seed %d: replicas diverge after the faults stopped", seed)
	assert.NotEmpty(t, e.c.replicas[crashed].kv, "seed %d: the restarted replica did not rebuild its state", seed)
	assert.GreaterOrEqual(t, e.c.Leader(), 0, "seed %d: no leader at the end", seed)
	e.checkCommittedLogsAgree()
	return e.k.Hash()
}

// checkCommittedLogsAgree asserts State Machine Safety: wherever two
// replicas have both committed an index, they hold the same entry.
func (e *env) checkCommittedLogsAgree() {
	for i, a := range e.c.replicas {
		for j, b := range e.c.replicas[i+1:] {
			n := min(a.commit, b.commit)
			assert.Equal(e.t, a.log[:n+1], b.log[:n+1], "seed %d: replicas %d and %d disagree on committed entries", e.seed, i, i+1+j)
		}
	}
}

func TestSameSeedSameHash(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		a, b := chaos(t, seed), chaos(t, seed)
		assert.Equal(t, a, b, "seed %d: two runs differ; replay with go test -run TestSameSeedSameHash", seed)
		assert.NotEqual(t, a, chaos(t, seed+100), "seeds %d and %d give the same hash", seed, seed+100)
	}
}

func TestMetrics(t *testing.T) {
	const seed = 2
	e := newEnv(t, seed, 3, Config{}, time.Millisecond, 0)
	got := map[string]float64{}
	e.c.Metrics(func(name string, v float64) { got[name] = v })
	assert.Equal(t, map[string]float64{"leader": -1, "term": 0, "commit_index": 0}, got, "seed %d", seed)
	l := e.awaitLeader(10 * time.Second)
	require.GreaterOrEqual(t, l, 0, "seed %d", seed)
	e.run(time.Second)
	e.c.Metrics(func(name string, v float64) { got[name] = v })
	assert.Equal(t, map[string]float64{"leader": float64(l), "term": float64(e.c.Term()), "commit_index": 1}, got, "seed %d", seed)
	assert.Len(t, e.c.Elections(), 1, "seed %d", seed)
}

func TestSingleReplicaCommitsAlone(t *testing.T) {
	const seed = 9
	e := newEnv(t, seed, 1, Config{ReadMode: ReadLease}, time.Millisecond, 0)
	cl := e.newClient("client")
	require.Equal(t, 0, e.awaitLeader(10*time.Second), "seed %d", seed)
	require.Equal(t, store.StatusOK, cl.do(0, put(1, 7), time.Second).Status, "seed %d", seed)
	got := cl.do(0, get(1), time.Second)
	assert.Equal(t, store.StatusOK, got.Status, "seed %d", seed)
	assert.Equal(t, int64(7), got.Out, "seed %d", seed)
}
