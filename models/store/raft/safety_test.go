package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// setLinks gives every replica-to-replica link cfg.
func (e *env) setLinks(cfg sim.LinkConfig) {
	nodes := e.c.Nodes()
	for a := range nodes {
		for b := range nodes {
			if a != b {
				require.NoError(e.t, e.net.SetLink(nodes[a], nodes[b], cfg))
			}
		}
	}
}

// TestSafetyThenLivenessUnderLossAndCrashes drives random ops for 20 s
// over links that lose 10% of messages and reorder them, crashing and
// restarting random replicas; then the faults stop. Safety: no term has
// two leaders (checked throughout) and committed entries agree. Liveness:
// 10 s later there is a leader and every replica holds the same state.
func TestSafetyThenLivenessUnderLossAndCrashes(t *testing.T) {
	lat, err := sim.NewUniform(0.001, 0.02)
	require.NoError(t, err)
	cfg := Config{HeartbeatTimeout: 200 * time.Millisecond, ElectionTimeout: 200 * time.Millisecond,
		LeaderLeaseTimeout: 100 * time.Millisecond, ApplyTimeout: time.Second}
	for seed := uint64(1); seed <= 30; seed++ {
		e := newEnv(t, seed, 5, cfg, 0, 0)
		e.setLinks(sim.LinkConfig{Latency: lat, Loss: 0.1})
		cl := e.newClient("client")
		rng := e.k.Stream("test/faults")
		for n := range 1000 {
			if rng.IntN(100) == 0 {
				if i := rng.IntN(5); e.c.replicas[i].down {
					e.c.Restart(i)
				} else {
					e.c.Crash(i)
				}
			}
			cl.send(rng.IntN(5), store.Op{Kind: store.OpKind(rng.IntN(3)), Key: rng.IntN(5),
				Value: int64(n + 1), Expect: int64(rng.IntN(n + 1))})
			e.run(20 * time.Millisecond)
		}
		e.checkCommittedLogsAgree()
		for i := range 5 {
			e.c.Restart(i)
		}
		e.setLinks(sim.LinkConfig{Latency: lat})
		e.run(10 * time.Second)
		e.checkCommittedLogsAgree()
		assert.GreaterOrEqual(t, e.c.Leader(), 0, "seed %d: no leader after the faults stopped", seed)
		assert.Equal(t, 0, e.c.Divergence(), "seed %d: replicas diverge after the faults stopped", seed)
	}
}
