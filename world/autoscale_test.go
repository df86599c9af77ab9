package world_test

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/autoscale"
	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
	"github.com/faultline-sim/faultline/world"
)

// scaling is a service whose instances saturate: one worker each, a
// constant 10 ms per request (100 req/s per instance), 1000 req/s of
// load; every instance is busy all the time until there are 10.
func scaling(t *testing.T, as *service.AutoscaleConfig) *scenarios.Scenario {
	t.Helper()
	sc := &scenarios.Scenario{
		Name: "scaling", Duration: 60 * time.Second, Seeds: 1,
		Topology: scenarios.Topology{Services: []service.Config{{Name: "api", Instances: 2, QueueLimit: 20,
			ServiceTime: sim.DistSpec{Kind: "constant", Value: 0.010}, Autoscale: as}}},
		Load: []scenarios.Client{{Config: load.Config{Target: "api", Timeout: deadline,
			Open: &load.Schedule{Shape: "constant", RPS: 1000}}}},
	}
	sc.SetDefaults()
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	return sc
}

// runScaling builds and runs the world straight from sc, without a trace.
func runScaling(t *testing.T, sc *scenarios.Scenario) results.Run {
	t.Helper()
	w, err := world.Build(sc, seed)
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	r, err := w.Run(context.Background())
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	return r
}

func series(t *testing.T, r results.Run, name string) []float64 {
	t.Helper()
	for _, s := range r.Series {
		if s.Name == name {
			return s.Values
		}
	}
	t.Fatalf("seed %d: no series %q", seed, name)
	return nil
}

// TestHPAReproducesTheControllersDecisions: at 100% utilisation against
// a 50% target the ratio is 2 at every sync, so the HPA doubles the pods
// (the default scale-up policy allows max(+100%, +4 pods) per 15 s):
// 2 -> 4 at 15 s, 4 -> 8 at 30 s, then 16 capped by max_replicas to 10 at
// 45 s. Startup is 0, so new pods are ready at once and trusted after one
// whole window (15 s) of readiness, in time for the next sync.
func TestHPAReproducesTheControllersDecisions(t *testing.T) {
	as := &service.AutoscaleConfig{Policy: service.PolicyHPA, TargetUtilization: 50,
		HPA: autoscale.HPAConfig{MaxReplicas: 10}}
	r := runScaling(t, scaling(t, as))
	desired, ready := series(t, r, "desired_instances"), series(t, r, "instances")
	// A decision at exactly 15 s runs before that second's sample, so it
	// shows in the interval [14 s, 15 s): the checks stay clear of it.
	for _, c := range []struct{ at, want int }{{5, 2}, {13, 2}, {16, 4}, {28, 4}, {31, 8}, {43, 8}, {46, 10}, {59, 10}} {
		if desired[c.at] != float64(c.want) || ready[c.at] != float64(c.want) {
			t.Errorf("seed %d: at %ds: desired %v, ready %v; want %d", seed, c.at, desired[c.at], ready[c.at], c.want)
		}
	}
	if u := series(t, r, "utilization"); u[10] < 99 {
		t.Errorf("seed %d: utilisation at 10s = %v%%, want 100%%", seed, u[10])
	}
	want := map[string]float64{"instance_seconds": 2*15 + 4*15 + 8*15 + 10*15, "scaling_direction_changes": 0, "max_instances_seen": 10}
	for name, v := range want {
		if r.Metrics[name] != v {
			t.Errorf("seed %d: %s = %v, want %v", seed, name, r.Metrics[name], v)
		}
	}
}

// TestKPAPanicsAndIsDeterministic: the KPA sees the queues (concurrency
// far over its target of 1 per pod), panics and scales to max_scale
// within a few seconds; the same seed gives the same trace.
func TestKPAPanicsAndIsDeterministic(t *testing.T) {
	as := &service.AutoscaleConfig{Policy: service.PolicyKPA,
		KPA: autoscale.KPAConfig{ContainerConcurrencyTarget: 1, TargetUtilizationPercentage: 100, MaxScale: 12}}
	a, b := runScaling(t, scaling(t, as)), runScaling(t, scaling(t, as))
	if a.TraceHash != b.TraceHash {
		t.Fatalf("seed %d: same seed, hashes %q and %q", seed, a.TraceHash, b.TraceHash)
	}
	if d := series(t, a, "desired_instances"); d[4] != 12 {
		t.Errorf("seed %d: desired at 4s = %v, want max_scale 12", seed, d[4])
	}
	if a.Metrics["max_instances_seen"] != 12 {
		t.Errorf("seed %d: max_instances_seen = %v, want 12", seed, a.Metrics["max_instances_seen"])
	}
}
