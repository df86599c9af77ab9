package raft

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// The directed tests of this file build the histories of the Raft paper's
// safety arguments (Ongaro and Ousterhout, "In Search of an Understandable
// Consensus Algorithm", §5.4) out of cuts, crashes and restarts, and check
// the rule each one is about directly, not through a whole scenario.

// commits watches State Machine Safety as the run goes: the first entry
// any replica committed at an index is the only one any replica may ever
// commit there.
type commits struct {
	e     *env
	first []entry // by index; first[0] unused
	by    []int   // the replica that committed first[i] first
}

// observe records what every live replica has committed so far and fails
// the test on a committed entry that differs from an earlier one.
func (w *commits) observe() {
	for i, r := range w.e.c.replicas {
		if r.down {
			continue
		}
		for idx := uint64(1); idx <= r.commit; idx++ {
			if int(idx) >= len(w.first) {
				w.first = append(w.first, r.log[idx])
				w.by = append(w.by, i)
				continue
			}
			if r.log[idx] != w.first[idx] {
				w.e.t.Fatalf("seed %d: at %v replica %d committed %+v at index %d, where replica %d had committed %+v",
					w.e.seed, w.e.k.Now(), i, r.log[idx], idx, w.by[idx], w.first[idx])
			}
		}
	}
}

// run advances the clock by d, observing commits after every event.
func (w *commits) run(d time.Duration) { w.runWhile(d, func() bool { return true }) }

// runWhile runs while cond holds, at most for d, observing commits after
// every event; it reports whether cond still held when it stopped.
func (w *commits) runWhile(d time.Duration, cond func() bool) bool {
	k := w.e.k
	deadline := k.Now().Add(d)
	for {
		w.observe()
		if !cond() {
			return false
		}
		if next, ok := k.NextAt(); !ok || next > deadline {
			k.RunUntil(deadline)
			return true
		}
		k.Step()
	}
}

// leaderLog notes every election, and calls then (if set) at the moment
// a replica wins, before it sends its first AppendEntries.
func (e *env) leaderLog(then func(replica int, term uint64)) *[]string {
	var won []string
	e.c.OnLeaderChange = func(r int, term uint64, leader bool) {
		e.checkLeader(r, term, leader)
		if leader {
			won = append(won, fmt.Sprintf("%d@%d", r, term))
			if then != nil {
				then(r, term)
			}
		}
	}
	return &won
}

func (e *env) isolate(i int) sim.PartitionID {
	n := e.c.Nodes()[i]
	id, err := e.net.Cut(sim.Partition{Isolate: &n})
	require.NoError(e.t, err)
	return id
}

// TestVoterWithLongerLogRefusesShorterCandidate is the election
// restriction of §5.4.1: of three replicas, kv-0 (leader) and kv-1 commit
// two writes while kv-2 is cut off, so kv-1's log is longer than kv-2's
// with the same last term. Then kv-0 and kv-1 crash; the cut heals; kv-1
// restarts just after one of kv-2's campaigns, so that kv-2 asks kv-1 for
// its vote (or pre-vote) half a timeout before kv-1's own timer fires.
// kv-1 must refuse: kv-2 never leads (its no-op would overwrite both
// acknowledged writes on kv-1), and kv-1, whose timer fires next, wins and
// still serves both writes. Timeouts are exact (no jitter) so the order is
// the same on every seed; with and without pre-vote, which asks the same
// question before the vote.
func TestVoterWithLongerLogRefusesShorterCandidate(t *testing.T) {
	const T = 100 * time.Millisecond
	for _, preVoteDisabled := range []bool{false, true} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("pre_vote_disabled=%v/seed=%d", preVoteDisabled, seed), func(t *testing.T) {
				cfg := Config{HeartbeatTimeout: T, ElectionTimeout: T, LeaderLeaseTimeout: T / 2,
					ApplyTimeout: 10 * time.Second, NoJitter: true, PreVoteDisabled: preVoteDisabled}
				electionRestriction(t, seed, cfg)
			})
		}
	}
}

func electionRestriction(t *testing.T, seed uint64, cfg Config) {
	e := newEnv(t, seed, 3, cfg, time.Millisecond, 0)
	won := e.leaderLog(nil)
	w := &commits{e: e}
	cl := e.newClient("client")
	e.c.StartWithLeader(0)
	w.run(3 * cfg.HeartbeatTimeout)
	nodes := e.c.Nodes()
	cut, err := e.net.Cut(sim.Partition{Groups: [][]sim.NodeID{{nodes[0], nodes[1], cl.node}, {nodes[2]}}})
	require.NoError(t, err)
	require.Equal(t, store.StatusOK, cl.do(0, put(1, 7), time.Second).Status, "seed %d", seed)
	require.Equal(t, store.StatusOK, cl.do(0, put(2, 8), time.Second).Status, "seed %d", seed)
	w.run(cfg.HeartbeatTimeout)
	kv1, kv2 := e.c.replicas[1], e.c.replicas[2]
	require.Equal(t, uint64(3), kv1.lastIndex(), "seed %d: kv-1 holds the no-op and both writes", seed)
	require.Equal(t, uint64(1), kv2.lastIndex(), "seed %d: kv-2 holds the no-op only", seed)
	require.Equal(t, kv1.log[3].term, kv2.log[1].term, "seed %d: same last term, so length decides", seed)

	e.c.Crash(0)
	e.c.Crash(1)
	e.net.Heal(cut)
	round := kv2.round
	require.False(t, w.runWhile(5*cfg.ElectionTimeout, func() bool { return kv2.round == round }), "seed %d: kv-2 does not campaign", seed)
	w.run(cfg.HeartbeatTimeout / 2)
	e.c.Restart(1)
	// kv-2 campaigns again T/2 from now, kv-1 T from now.
	round, term := kv2.round, kv2.term
	require.False(t, w.runWhile(cfg.HeartbeatTimeout, func() bool { return kv2.round == round }), "seed %d", seed)
	w.run(5 * time.Millisecond) // kv-2's request and kv-1's answer cross the 1 ms links
	assert.NotEqual(t, leader, kv2.role, "seed %d: kv-1 granted the shorter log its vote", seed)
	assert.Equal(t, 1, kv2.votes, "seed %d: kv-2 counts only its own vote", seed)
	if !cfg.PreVoteDisabled {
		// The pre-vote asks the same question: refused, kv-2 stays in
		// its term and does not disturb kv-1's.
		assert.Equal(t, term, kv2.term, "seed %d: kv-1 granted the shorter log its pre-vote", seed)
		assert.True(t, kv2.preVote, "seed %d: kv-2 went past its pre-vote", seed)
	}

	// Without jitter the two time out in lockstep, and without pre-vote
	// each of kv-2's campaigns (a term ahead) re-arms kv-1's timer, which
	// then fires 1 ms after kv-2's next one: a livelock of exact
	// timeouts, not of the rule. Restarting kv-2 re-arms its timer a full
	// timeout from now, so kv-1's fires first.
	e.c.Crash(2)
	e.c.Restart(2)
	w.run(3 * cfg.HeartbeatTimeout)
	for _, s := range *won {
		assert.NotEqual(t, "2@", s[:2], "seed %d: kv-2, with the shorter log, led (elections %v)", seed, *won)
	}
	require.Equal(t, 1, e.c.Leader(), "seed %d: kv-1 should lead (elections %v)", seed, *won)
	assert.Equal(t, int64(7), cl.do(1, get(1), time.Second).Out, "seed %d: acknowledged write lost", seed)
	assert.Equal(t, int64(8), cl.do(2, get(2), time.Second).Out, "seed %d: acknowledged write lost", seed)
	e.c.Restart(0)
	w.run(time.Second)
	assert.Equal(t, 0, e.c.Divergence(), "seed %d", seed)
}

// TestFigure8LeaderCommitsOlderTermOnlyWithItsOwn is the history of the
// Raft paper's Figure 8 (§5.4.2) on five replicas, the roles taken by
// whichever replicas the elections pick:
//
//	(a) kv-0 leads term 1 and, cut off with kv-1, appends 70 writes that
//	    reach kv-1 only (a write to another key was committed before).
//	(b) the other three elect X, which is cut off the moment it wins, so
//	    its no-op of term t_X (index 3) reaches nobody; X crashes.
//	(c) kv-1 crashes, the cut heals, kv-0 wins a term t_L > t_X with the
//	    two others, Y and Z, and sends them its log: the first batch (64
//	    entries, as hashicorp/raft's MaxAppendEntries) puts term-1 entries
//	    3..66 on kv-0, Y and Z, a majority, while its own no-op is on kv-0
//	    alone. Counting replicas would commit them; §5.4.2 forbids it.
//
// Then, as the paper's (e), kv-0 stays up: the next heartbeat puts its
// no-op on the majority and everything up to it commits at once. Or, as
// (d), kv-0 crashes before that: X restarts and, its last term t_X being
// above Y's and Z's, wins and overwrites their entries 3..66, which is
// safe only because none was committed. Throughout, no replica ever
// commits an entry other than the one first committed at its index, and
// the acknowledged write survives.
func TestFigure8LeaderCommitsOlderTermOnlyWithItsOwn(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		for _, end := range []string{"e: the leader stays", "d: the leader crashes"} {
			t.Run(fmt.Sprintf("seed=%d/%s", seed, end), func(t *testing.T) { figure8(t, seed, end[0] == 'd') })
		}
	}
}

func figure8(t *testing.T, seed uint64, crash bool) {
	const T = 100 * time.Millisecond
	cfg := Config{HeartbeatTimeout: T, ElectionTimeout: T, LeaderLeaseTimeout: T / 2, ApplyTimeout: 10 * time.Second}
	e := newEnv(t, seed, 5, cfg, time.Millisecond, 0)
	w := &commits{e: e}
	x, xTerm := -1, uint64(0)
	l, lTerm := -1, uint64(0)
	var isolated sim.PartitionID
	won := e.leaderLog(func(r int, term uint64) {
		switch {
		case x < 0 && r >= 2:
			x, xTerm = r, term
			isolated = e.isolate(r) // before its first AppendEntries leaves
		case l < 0 && x >= 0 && r == 0 && term > xTerm:
			l, lTerm = r, term
		}
	})
	cl := e.newClient("client")
	e.c.StartWithLeader(0)
	w.run(3 * T)
	acked := cl.do(0, put(1, 1), time.Second)
	require.Equal(t, store.StatusOK, acked.Status, "seed %d", seed)
	w.run(T)

	// (a) and (b).
	nodes := e.c.Nodes()
	cut, err := e.net.Cut(sim.Partition{Groups: [][]sim.NodeID{{nodes[0], nodes[1], cl.node}, {nodes[2], nodes[3], nodes[4]}}})
	require.NoError(t, err)
	var old []int32
	for n := range 70 {
		old = append(old, cl.send(0, put(2, int64(100+n))))
	}
	w.run(2 * time.Second)
	require.GreaterOrEqual(t, x, 2, "seed %d: the majority side elected nobody (elections %v)", seed, *won)
	require.Equal(t, uint64(72), e.c.replicas[1].lastIndex(), "seed %d: kv-1 holds the 70 writes", seed)
	require.Equal(t, uint64(3), e.c.replicas[x].lastIndex(), "seed %d: X holds its no-op at index 3", seed)
	require.Equal(t, xTerm, e.c.replicas[x].log[3].term, "seed %d", seed)
	require.Equal(t, -1, e.c.Leader(), "seed %d: nobody can lead now (elections %v)", seed, *won)
	e.c.Crash(x)
	e.net.Heal(isolated)

	// (c).
	e.c.Crash(1)
	e.net.Heal(cut)
	kv0 := e.c.replicas[0]
	require.False(t, w.runWhile(5*time.Second, func() bool { return l < 0 }), "seed %d: kv-0 was not elected (elections %v)", seed, *won)
	yz := others(5, 0, 1, x)
	require.False(t, w.runWhile(T, func() bool { return kv0.replicatedOn(66) < 3 }), "seed %d: the first batch never reached Y and Z", seed)
	noop := kv0.termStart
	require.Equal(t, uint64(73), noop, "seed %d", seed)
	require.Equal(t, lTerm, kv0.log[noop].term, "seed %d", seed)
	require.Less(t, kv0.replicatedOn(noop), 3, "seed %d: the no-op must not be on a majority yet for this to be Figure 8", seed)
	for _, j := range yz {
		require.Equal(t, uint64(66), e.c.replicas[j].lastIndex(), "seed %d: replica %d has the first batch", seed, j)
	}
	assert.Equal(t, uint64(2), kv0.commit, "seed %d: term-1 entries on a majority were committed by counting replicas (§5.4.2)", seed)

	if !crash {
		// (e): the next heartbeat carries the rest and the no-op; all
		// of it commits together.
		require.False(t, w.runWhile(T, func() bool { return kv0.replicatedOn(noop) < 3 }), "seed %d", seed)
		assert.Equal(t, noop, kv0.commit, "seed %d: the no-op is on a majority: it and every entry before it commit", seed)
		w.run(T)
		for _, j := range yz {
			assert.Equal(t, noop, e.c.replicas[j].commit, "seed %d: replica %d", seed, j)
		}
		assert.Equal(t, int64(169), cl.do(0, get(2), time.Second).Out, "seed %d: the last of the term-1 writes is the value", seed)
	} else {
		// (d): kv-0 crashes first; X is the only replica Y and Z can
		// elect, and it overwrites their entries from index 3.
		e.c.Crash(0)
		e.c.Restart(x)
		require.False(t, w.runWhile(5*time.Second, func() bool { return e.c.Leader() != x }), "seed %d: X was not elected (elections %v)", seed, *won)
		w.run(T)
		for _, j := range yz {
			assert.Equal(t, xTerm, e.c.replicas[j].log[3].term, "seed %d: X's entry replaced the term-1 one on replica %d", seed, j)
		}
		assert.Equal(t, int64(0), cl.do(x, get(2), time.Second).Out, "seed %d: none of the 70 writes committed", seed)
	}
	for _, i := range old {
		assert.NotEqual(t, store.StatusOK, e.ops.At(i).Status, "seed %d: a write that was never committed by its leader was acknowledged", seed)
	}
	for i := range 5 {
		e.c.Restart(i)
	}
	w.run(3 * time.Second)
	l = e.c.Leader()
	require.GreaterOrEqual(t, l, 0, "seed %d", seed)
	assert.Equal(t, int64(1), cl.do(l, get(1), time.Second).Out, "seed %d: the acknowledged write was overwritten", seed)
	w.run(time.Second)
	assert.Equal(t, 0, e.c.Divergence(), "seed %d", seed)
	e.checkCommittedLogsAgree()
}
