package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// others returns the replicas of n other than skip, in order.
func others(n int, skip ...int) []int {
	var out []int
	for i := range n {
		skipped := false
		for _, s := range skip {
			skipped = skipped || i == s
		}
		if !skipped {
			out = append(out, i)
		}
	}
	return out
}

func (e *env) nodesOf(replicas []int, extra ...sim.NodeID) []sim.NodeID {
	var out []sim.NodeID
	for _, i := range replicas {
		out = append(out, e.c.Nodes()[i])
	}
	return append(out, extra...)
}

// TestPartitionedLeaderWithMinorityCommitsNothing isolates the leader and
// one follower from the other three for 10 s while clients on both sides
// write, then heals: the minority commits nothing, the majority elects a
// leader within a few election timeouts, the old leader steps down after
// its lease, and after the heal every replica converges.
func TestPartitionedLeaderWithMinorityCommitsNothing(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		partitionLeaderWithMinority(t, seed)
	}
}

func partitionLeaderWithMinority(t *testing.T, seed uint64) {
	cfg := Config{}
	cfg.SetDefaults()
	e := newEnv(t, seed, 5, cfg, time.Millisecond, 0)
	minorityClient, majorityClient := e.newClient("client-a"), e.newClient("client-b")
	old := e.awaitLeader(10 * time.Second)
	require.GreaterOrEqual(t, old, 0, "seed %d: no first leader", seed)
	rest := others(5, old)
	minority, majority := []int{old, rest[0]}, rest[1:]
	require.Equal(t, store.StatusOK, majorityClient.do(majority[0], put(1, 1), time.Second).Status, "seed %d", seed)
	e.run(time.Second)

	var steppedDown, elected sim.Time
	oldTerm := e.c.replicas[old].term
	e.c.OnLeaderChange = func(r int, term uint64, leader bool) {
		e.checkLeader(r, term, leader)
		switch {
		case r == old && !leader && steppedDown == 0:
			steppedDown = e.k.Now()
		case leader && term > oldTerm && elected == 0:
			elected = e.k.Now()
		}
	}
	cutAt := e.k.Now()
	commitAtCut := e.c.replicas[old].commit
	cut, err := e.net.Cut(sim.Partition{Groups: [][]sim.NodeID{
		e.nodesOf(minority, minorityClient.node), e.nodesOf(majority, majorityClient.node)}})
	require.NoError(t, err)

	var minorityOps, majorityOps []int32
	value := int64(100)
	for n := 0; e.k.Now() < cutAt.Add(10*time.Second); n++ {
		value++
		minorityOps = append(minorityOps, minorityClient.send(minority[n%2], put(1+n%3, value)))
		value++
		majorityOps = append(majorityOps, majorityClient.send(majority[n%3], put(1+n%3, value)))
		e.run(250 * time.Millisecond)
	}
	for _, r := range minority {
		assert.Equal(t, commitAtCut, e.c.replicas[r].commit, "seed %d: minority replica %d committed during the partition", seed, r)
	}
	e.net.Heal(cut)
	e.run(10 * time.Second)

	for _, i := range minorityOps {
		assert.NotEqual(t, store.StatusOK, e.ops.At(i).Status, "seed %d: minority op %d succeeded", seed, i)
	}
	ok := 0
	for _, i := range majorityOps {
		if e.ops.At(i).Status == store.StatusOK {
			ok++
		}
	}
	statuses := map[store.Status]int{}
	for _, i := range minorityOps {
		statuses[e.ops.At(i).Status]++
	}
	t.Logf("seed %d: new leader %v after the cut, old one stepped down after %v; majority writes ok %d/%d; minority outcomes %v",
		seed, elected.Sub(cutAt), steppedDown.Sub(cutAt), ok, len(majorityOps), statuses)
	assert.Greater(t, ok, len(majorityOps)/2, "seed %d: the majority side should serve most writes", seed)
	assert.Greater(t, elected, cutAt, "seed %d: the majority elected no leader", seed)
	assert.Less(t, elected.Sub(cutAt), 5*cfg.ElectionTimeout, "seed %d: election too slow", seed)
	assert.Greater(t, steppedDown, cutAt, "seed %d: the old leader did not step down", seed)
	assert.LessOrEqual(t, steppedDown.Sub(cutAt), cfg.LeaderLeaseTimeout+cfg.HeartbeatTimeout/10,
		"seed %d: the old leader should step down when its lease runs out", seed)
	assert.GreaterOrEqual(t, steppedDown.Sub(cutAt), cfg.LeaderLeaseTimeout-cfg.HeartbeatTimeout/10, "seed %d", seed)
	assert.Equal(t, 0, e.c.Divergence(), "seed %d: replicas diverge after the heal", seed)
	l := e.c.Leader()
	require.GreaterOrEqual(t, l, 0, "seed %d", seed)
	for i, r := range e.c.replicas {
		assert.Equal(t, e.c.replicas[l].commit, r.commit, "seed %d: replica %d's commit index", seed, i)
		if i != l {
			assert.Equal(t, follower, r.role, "seed %d: replica %d", seed, i)
		}
	}
}
