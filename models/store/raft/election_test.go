package raft

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
