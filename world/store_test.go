package world_test

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
	"github.com/faultline-sim/faultline/world"
)

// TestStoreScenario is scenarios/partition.yaml made small: 3 Raft
// replicas, one client, the leader isolated for 2s.
func TestStoreScenario(t *testing.T) {
	const s = 3
	sc := &scenarios.Scenario{
		Name: "store", Duration: 6 * time.Second, Seeds: 1,
		Topology: scenarios.Topology{
			Stores: []scenarios.Store{{Name: "kv", Replicas: 3, Design: scenarios.DesignRaft, Settle: 2 * time.Second}},
			Links:  []scenarios.Link{{From: "kv", To: "kv", Latency: sim.DistSpec{Kind: "constant", Value: 0.0005}}, {From: "client", To: "kv", Latency: sim.DistSpec{Kind: "constant", Value: 0.0005}}},
		},
		Load: []scenarios.Client{{Config: load.Config{Target: "kv", Timeout: 500 * time.Millisecond, Open: &load.Schedule{RPS: 50}},
			Ops: &store.Mix{Read: 0.6, Write: 0.4, Keys: 5}}},
		Faults: []scenarios.Fault{{At: 2 * time.Second, For: 2 * time.Second, Type: "partition", Isolate: "kv.leader"}},
	}
	sc.Topology.Stores[0].Raft.HeartbeatTimeout = 150 * time.Millisecond
	sc.Topology.Stores[0].Raft.ElectionTimeout = 150 * time.Millisecond
	sc.Topology.Stores[0].Raft.LeaderLeaseTimeout = 100 * time.Millisecond
	sc.SetDefaults()
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	c, err := sc.Case(scenarios.BaseVariant)
	if err != nil {
		t.Fatal(err)
	}
	r, err := world.Engine{}.Run(context.Background(), c, s)
	if err != nil {
		t.Fatalf("seed %d: %v", s, err)
	}
	for _, m := range []string{"linearizable", "stale_reads", "convergence_ms", "availability_fault1_client", "lost_writes", "divergence_at_end"} {
		if _, ok := r.Metrics[m]; !ok {
			t.Fatalf("seed %d: no metric %s in %v", s, m, r.Metrics)
		}
	}
	if r.Metrics["convergence_ms"] < 0 {
		t.Fatalf("seed %d: convergence_ms %v, want >= 0 after the heal", s, r.Metrics["convergence_ms"])
	}
	if r.Metrics["linearizable"] != 1 {
		t.Fatalf("seed %d: Raft with log reads: linearizable %v, want 1", s, r.Metrics["linearizable"])
	}
	t.Logf("seed %d: %v", s, r.Metrics)
}
