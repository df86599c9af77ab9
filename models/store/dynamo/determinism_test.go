package dynamo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// runWorkload drives a store with two clients for 5s, with a partition
// and a crash, runs on to 10s, and returns the kernel's hash, the history
// and the store.
func runWorkload(t *testing.T, seed uint64, async bool) (uint64, store.History, store.Cluster) {
	e := newNet(t, seed, exponential(t, 2*time.Millisecond))
	var err error
	if async {
		e.c, err = NewAsync(e.k, e.net, "kv", 3, e.ops, AsyncConfig{ReplicationDelay: 5 * time.Millisecond})
	} else {
		e.c, err = New(e.k, e.net, "kv", 5, e.ops, Config{Sloppy: true, HintedHandoff: true, AntiEntropy: time.Second})
	}
	require.NoError(t, err)
	var h store.History
	for i := range 2 {
		node := e.net.AddNode("client")
		cfg := store.WorkloadConfig{Replica: i, Timeout: 2 * time.Second,
			Schedule: load.Schedule{RPS: 200}, Mix: store.Mix{Read: 0.5, Write: 0.4, CAS: 0.1, Keys: 20}}
		w, err := store.NewWorkload(e.k, e.net, node, "c"+string(rune('0'+i)), i, e.c, e.ops, cfg, &h, nil)
		require.NoError(t, err)
		w.Start(sim.Time(5 * time.Second))
	}
	n := e.c.Nodes()
	require.NoError(t, e.net.ScheduleCut(sim.Time(time.Second), time.Second,
		sim.Partition{Groups: [][]sim.NodeID{{n[0]}, {n[1], n[2]}}}))
	e.k.AtFunc(sim.Time(3*time.Second), func() { e.c.Crash(2) })
	e.k.AtFunc(sim.Time(4*time.Second), func() { e.c.Restart(2) })
	e.k.RunUntil(sim.Time(10 * time.Second))
	return e.k.Hash(), h, e.c
}

func TestDeterminism(t *testing.T) {
	for _, async := range []bool{false, true} {
		h1, hist, _ := runWorkload(t, 42, async)
		h2, _, _ := runWorkload(t, 42, async)
		h3, _, _ := runWorkload(t, 43, async)
		require.Equal(t, h1, h2, "seed 42 async=%v: same seed, different hash", async)
		require.NotEqual(t, h1, h3, "seeds 42 and 43 async=%v: same hash", async)
		require.Greater(t, len(hist), 1500, "async=%v", async)
	}
}

// TestConvergesAfterFaults: once faults and load stop, hinted handoff and
// anti-entropy (quorum) or resending (async) bring every replica to the
// same state, and most ops succeeded.
func TestConvergesAfterFaults(t *testing.T) {
	for _, async := range []bool{false, true} {
		for _, seed := range []uint64{1, 2, 3} {
			_, hist, c := runWorkload(t, seed, async)
			require.Zero(t, c.Divergence(), "seed %d async=%v", seed, async)
			ok := 0
			for _, r := range hist {
				if r.Outcome == store.OK {
					ok++
				}
			}
			require.Greater(t, ok, len(hist)*3/4, "seed %d async=%v: %d of %d ops ok", seed, async, ok, len(hist))
		}
	}
}
