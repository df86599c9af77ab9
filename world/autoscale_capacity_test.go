package world_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/autoscale"
	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/scenarios"
)

// TestClusterKeepsPodsPending: the HPA doubles the saturated service
// (2 -> 4 at 15 s, 4 -> 8 at 30 s, see
// TestHPAReproducesTheControllersDecisions), but the cluster has 2 nodes
// of 2 pods: 4 of the 8 pods stay Pending. The cluster autoscaler asks
// for the nodes they need within max_nodes 3: one node, ready 20 s later
// at 50 s, which takes 2 of them. Pending pods count as unready (0%) for
// the HPA, so at 45 s the 4 ready pods at 100% and the 4 pending at 0%
// make the ratio 1: no further scale-up.
func TestClusterKeepsPodsPending(t *testing.T) {
	as := &service.AutoscaleConfig{Policy: service.PolicyHPA, TargetUtilization: 50,
		HPA:     autoscale.HPAConfig{MaxReplicas: 10},
		Cluster: autoscale.ClusterConfig{Nodes: 2, PodsPerNode: 2, MaxNodes: 3, NodeStartup: 20 * time.Second}}
	r := runScaling(t, scaling(t, as))
	desired, ready := series(t, r, "desired_instances"), series(t, r, "instances")
	pending, nodes := series(t, r, "pending_pods"), series(t, r, "nodes")
	for _, c := range []struct{ at, desired, ready, pending, nodes int }{
		{10, 2, 2, 0, 2}, {20, 4, 4, 0, 2}, {35, 8, 4, 4, 2}, {48, 8, 4, 4, 2}, {52, 8, 6, 2, 3}, {59, 8, 6, 2, 3},
	} {
		got := []float64{desired[c.at], ready[c.at], pending[c.at], nodes[c.at]}
		want := []float64{float64(c.desired), float64(c.ready), float64(c.pending), float64(c.nodes)}
		assert.Equal(t, want, got, "seed %d: at %ds: desired, ready, pending, nodes", seed, c.at)
	}
	assert.Equal(t, 6.0, r.Metrics["max_instances_seen"], "seed %d", seed)
}

// TestSLOViolationMinutes: 2 instances serve 200 req/s; 100 req/s of load
// spikes to 1000 req/s from 20 s to 30 s, when the queues overflow and
// most requests are rejected. With an availability objective of 99% the
// ten intervals of the spike, and only they, break the SLO; the run
// recovers 10 s after the spike's window starts.
func TestSLOViolationMinutes(t *testing.T) {
	sc := scaling(t, &service.AutoscaleConfig{SLO: service.SLO{Availability: 0.99}})
	sc.Load[0].Open = &load.Schedule{Shape: "spike", RPS: 100, Peak: 1000, At: 20 * time.Second, Over: 10 * time.Second}
	sc.Faults = []scenarios.Fault{{At: 20 * time.Second, For: 10 * time.Second, Type: "window"}}
	require.NoError(t, sc.Validate())
	r := runScaling(t, sc)
	bad := series(t, r, "slo_violated")
	for i, b := range bad {
		want := 0.0
		if i >= 20 && i < 30 {
			want = 1
		}
		assert.Equal(t, want, b, "seed %d: interval %d", seed, i)
	}
	assert.InDelta(t, 10.0/60, r.Metrics["slo_violation_minutes"], 1e-12, "seed %d", seed)
	assert.Equal(t, 10.0, r.Metrics["time_to_recover_s"], "seed %d", seed)
}

// TestSLONeverRecovered: a service overloaded all along breaks the SLO
// in every interval; its time to recover is the rest of the run after
// the window starts, a lower bound.
func TestSLONeverRecovered(t *testing.T) {
	sc := scaling(t, &service.AutoscaleConfig{SLO: service.SLO{P99: 100 * time.Millisecond}, PricePerHour: 3.6})
	sc.Faults = []scenarios.Fault{{At: 20 * time.Second, For: 10 * time.Second, Type: "window"}}
	require.NoError(t, sc.Validate())
	r := runScaling(t, sc)
	assert.Equal(t, 1.0, r.Metrics["slo_violation_minutes"], "seed %d", seed)
	assert.Equal(t, 40.0, r.Metrics["time_to_recover_s"], "seed %d", seed)
	assert.InDelta(t, 2*60*3.6/3600, r.Metrics["cost"], 1e-9, "seed %d: 2 instances for 60 s at 3.6 per hour", seed)
}

// TestVerticalResizesUpTheLadder: the saturated service (2 instances of
// 1 worker for 1000 req/s, 10 needed) is resized up the ladder one
// restart at a time, to the ceiling of 8 workers; the number of
// instances never changes, its size never shrinks, and the bigger
// instances cost more instance-seconds than two instances of one worker.
func TestVerticalResizesUpTheLadder(t *testing.T) {
	as := &service.AutoscaleConfig{Policy: service.PolicyVertical,
		Vertical: autoscale.VerticalConfig{Sizes: []int{1, 2, 4, 8}, TargetUtilization: 50, SyncPeriod: 5 * time.Second}}
	r := runScaling(t, scaling(t, as))
	size := series(t, r, "instance_size")
	for i := 1; i < len(size); i++ {
		require.GreaterOrEqual(t, size[i], size[i-1], "seed %d: size shrank at %ds", seed, i)
	}
	assert.Equal(t, 8.0, size[len(size)-1], "seed %d: the ceiling", seed)
	assert.Equal(t, 2.0, r.Metrics["max_instances_seen"], "seed %d: resizing restarts in place", seed)
	assert.Equal(t, 0.0, r.Metrics["scaling_direction_changes"], "seed %d", seed)
	assert.Greater(t, r.Metrics["instance_seconds"], 2*60.0*2, "seed %d", seed)
	assert.Less(t, r.Metrics["instance_seconds"], 2*60.0*8, "seed %d", seed)
}
