package raft

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// paperConfig is the Raft paper's §9.3 setup: timeouts of 150ms, so
// followers time out in [150, 300) ms.
func paperConfig(noJitter bool) Config {
	return Config{HeartbeatTimeout: 150 * time.Millisecond, ElectionTimeout: 150 * time.Millisecond,
		LeaderLeaseTimeout: 100 * time.Millisecond, NoJitter: noJitter}
}

// measureElections crashes the leader of a 5-server cluster trials times
// and returns how long each election took, from the crash to a new
// leader (capped at limit). Between trials the old leader restarts and
// the cluster settles for a while whose length shifts the crash across
// the heartbeat period.
func measureElections(t *testing.T, seed uint64, cfg Config, linkJitter time.Duration, trials int, limit time.Duration) []time.Duration {
	e := newEnv(t, seed, 5, cfg, 7500*time.Microsecond, linkJitter)
	rng := e.k.Stream("test/settle")
	// Without jitter, servers that start together time out together for
	// ever; start replica 0 first so that it wins the first election.
	for i := 1; i < 5; i++ {
		e.c.Crash(i)
	}
	e.run(10 * time.Millisecond)
	for i := 1; i < 5; i++ {
		e.c.Restart(i)
	}
	var out []time.Duration
	for range trials {
		if e.awaitLeader(limit) < 0 {
			out = append(out, limit)
			continue
		}
		e.run(500*time.Millisecond + time.Duration(rng.Int64N(int64(15*time.Millisecond))))
		l := e.c.Leader()
		if l < 0 {
			continue
		}
		n := len(e.c.Elections())
		start := e.k.Now()
		e.c.Crash(l)
		if e.awaitLeader(limit) < 0 {
			out = append(out, limit)
		} else {
			d := e.k.Now().Sub(start)
			require.Equal(t, d, e.c.Elections()[n], "seed %d: Elections() disagrees with the measured time", seed)
			out = append(out, d)
		}
		e.c.Restart(l)
	}
	return out
}

type quantiles struct{ median, p99, max time.Duration }

func quantilesOf(ds []time.Duration) quantiles {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return quantiles{at(0.5), at(0.99), s[len(s)-1]}
}

// TestElectionTimesMatchRaftPaper repeats the Raft paper's §9.3
// experiment: with randomized timeouts elections end quickly, without
// them split votes go on for ever. The times are longer than the paper's
// textbook Raft (median 317 ms rather than about 200): as hashicorp/raft,
// followers check for contact on a periodic timer and refuse votes while
// they know a leader, so an election waits for a majority to notice.
func TestElectionTimesMatchRaftPaper(t *testing.T) {
	const seed = 1
	random := quantilesOf(measureElections(t, seed, paperConfig(false), 0, 200, 10*time.Second))
	t.Logf("seed %d, timeouts in [150, 300) ms: median %v, p99 %v, max %v", seed, random.median, random.p99, random.max)
	assert.Less(t, random.median, 400*time.Millisecond, "seed %d", seed)
	assert.Less(t, random.p99, time.Second, "seed %d", seed)
	assert.Less(t, random.max, time.Second, "seed %d", seed)
	// Without randomness the followers, reset by the same heartbeat,
	// time out within a few ms of each other, all become candidates, and
	// split the vote again every 150 ms: the paper saw elections "longer
	// than 10 seconds"; with a constant link latency none ends at all, so
	// each trial stops at 10 s.
	fixed := quantilesOf(measureElections(t, seed, paperConfig(true), 0, 20, 10*time.Second))
	t.Logf("seed %d, timeouts all 150 ms: median %v, p99 %v, max %v (capped at 10s)", seed, fixed.median, fixed.p99, fixed.max)
	assert.Greater(t, fixed.median, 10*random.median, "seed %d: split votes should slow elections down", seed)
}

// TestFollowersCheckContactPeriodically: as in hashicorp/raft's follower
// loop, a follower's timer fires every [T, 2T) whatever it hears, and
// starts an election only when its last contact is T old or more; contact
// does not re-arm it. With a heartbeat every T/10 and timers re-armed by
// each heartbeat (textbook Raft), every election would start within 2T of
// the leader's crash; here a follower whose timer fired just before the
// contact was T old waits a whole further cycle, so with two followers
// about one crash in nine takes longer than 2T (up to 3T).
func TestFollowersCheckContactPeriodically(t *testing.T) {
	const T = 150 * time.Millisecond
	cfg := paperConfig(false)
	e := newEnv(t, 3, 3, cfg, time.Millisecond, 0)
	rng := e.k.Stream("test/settle")
	var times []time.Duration
	for range 60 {
		require.GreaterOrEqual(t, e.awaitLeader(10*time.Second), 0)
		e.run(time.Second + time.Duration(rng.Int64N(int64(T))))
		l := e.c.Leader()
		start := e.k.Now()
		e.c.Crash(l)
		require.GreaterOrEqual(t, e.awaitLeader(10*time.Second), 0)
		times = append(times, e.k.Now().Sub(start))
		e.c.Restart(l)
	}
	slices.Sort(times)
	t.Logf("3 replicas, T = %v: time to a new leader: min %v, median %v, max %v", T, times[0], times[len(times)/2], times[len(times)-1])
	assert.GreaterOrEqual(t, times[0], T-T/10, "never before the last contact is T old")
	assert.Greater(t, times[len(times)-1], 2*T, "some elections wait a further timer cycle")
	assert.Less(t, times[len(times)-1], 3*T+50*time.Millisecond)
}

// failoverTimes isolates the leader of a 3-replica cluster trials times
// (a partition, as the chaos engine's "isolate: kv.leader") and returns
// how long each took until another replica led.
func failoverTimes(t *testing.T, seed uint64, cfg Config, trials int) []time.Duration {
	e := newEnv(t, seed, 3, cfg, time.Millisecond, 0)
	rng := e.k.Stream("test/settle")
	var times []time.Duration
	for range trials {
		require.GreaterOrEqual(t, e.awaitLeader(60*time.Second), 0, "seed %d", seed)
		e.run(3*cfg.HeartbeatTimeout + time.Duration(rng.Int64N(int64(cfg.HeartbeatTimeout))))
		old := e.c.Leader()
		node := e.c.Nodes()[old]
		cut, err := e.net.Cut(sim.Partition{Isolate: &node})
		require.NoError(t, err)
		start := e.k.Now()
		e.k.RunWhile(func() bool {
			l := e.c.Leader()
			return (l < 0 || l == old) && e.k.Now() < start.Add(60*time.Second)
		})
		times = append(times, e.k.Now().Sub(start))
		e.net.Heal(cut)
		e.run(cfg.HeartbeatTimeout)
	}
	return times
}

// TestFailoverMatchesHashicorpRaft: measured on real hashicorp/raft v1.8.0
// (3 nodes on loopback, leader cut off by Toxiproxy), a new leader
// appears about 2.3 s after the cut with the default 1 s timeouts and
// about 0.34 s with 150 ms ones. The model should predict both medians
// within ±30%. Two hashicorp behaviours set these times, beside the
// follower's periodic contact check: a replica that knows a leader
// refuses votes and pre-votes, so the election waits until a majority
// has noticed the loss, not just the first follower.
func TestFailoverMatchesHashicorpRaft(t *testing.T) {
	for _, c := range []struct {
		timeout time.Duration
		real    time.Duration
	}{{time.Second, 2300 * time.Millisecond}, {150 * time.Millisecond, 340 * time.Millisecond}} {
		cfg := Config{HeartbeatTimeout: c.timeout, ElectionTimeout: c.timeout, LeaderLeaseTimeout: c.timeout / 2}
		cfg.SetDefaults()
		q := quantilesOf(failoverTimes(t, 7, cfg, 100))
		t.Logf("timeouts %v: failover median %v, p99 %v, max %v (real: about %v)", c.timeout, q.median, q.p99, q.max, c.real)
		assert.InEpsilon(t, float64(c.real), float64(q.median), 0.3, "timeouts %v: median failover %v, real about %v", c.timeout, q.median, c.real)
	}
}

// TestStickyLeaderAndPreVote cuts one follower off from the leader only
// (it still reaches the other follower) for 5 s. The other follower knows
// the leader and refuses its votes, so the leader keeps leading; with
// pre-vote the cut-off follower's term never moves, so nothing changes
// when the cut heals, while without pre-vote its term runs ahead and its
// return deposes the leader (the disruption pre-vote exists to stop).
func TestStickyLeaderAndPreVote(t *testing.T) {
	for _, preVote := range []bool{true, false} {
		cfg := paperConfig(false)
		cfg.PreVoteDisabled = !preVote
		e := newEnv(t, 5, 3, cfg, time.Millisecond, 0)
		l := e.awaitLeader(10 * time.Second)
		require.GreaterOrEqual(t, l, 0)
		e.run(time.Second)
		term := e.c.Term()
		f := others(3, l)[0]
		cut, err := e.net.Cut(sim.Partition{Groups: [][]sim.NodeID{e.nodesOf([]int{f}), e.nodesOf([]int{l})}})
		require.NoError(t, err)
		e.run(5 * time.Second)
		assert.Equal(t, l, e.c.Leader(), "pre-vote %v: the leader keeps leading during the cut", preVote)
		assert.Equal(t, term, e.c.replicas[l].term, "pre-vote %v: the leader's term", preVote)
		if preVote {
			assert.Equal(t, term, e.c.replicas[f].term, "the cut-off follower's term stays put")
		} else {
			assert.Greater(t, e.c.replicas[f].term, term+5, "without pre-vote the cut-off follower's term runs ahead")
		}
		e.net.Heal(cut)
		e.run(2 * time.Second)
		if preVote {
			assert.Equal(t, term, e.c.Term(), "no election after the heal")
			assert.Equal(t, l, e.c.Leader())
		} else {
			assert.Greater(t, e.c.Term(), term+5, "the returning follower's term deposes the leader")
		}
	}
}

// TestStartWithLeader: a cluster started with a leader serves at once,
// keeps that leader while nothing fails, and elects another when it
// crashes.
func TestStartWithLeader(t *testing.T) {
	e := newEnv(t, 11, 3, paperConfig(false), time.Millisecond, 0)
	e.c.StartWithLeader(2)
	cl := e.newClient("c")
	assert.Equal(t, store.StatusOK, cl.do(0, put(1, 7), 100*time.Millisecond).Status, "a write through a follower at once")
	e.run(5 * time.Second)
	assert.Equal(t, 2, e.c.Leader())
	assert.Equal(t, uint64(1), e.c.Term(), "no election while the leader is in service")
	e.c.Crash(2)
	require.GreaterOrEqual(t, e.awaitLeader(2*time.Second), 0)
	assert.Equal(t, uint64(2), e.c.Term())
}
