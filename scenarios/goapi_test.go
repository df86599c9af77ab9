package scenarios_test

import (
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"

	"github.com/stretchr/testify/require"
)

// buildBalancerInGo is scenarios/balancer.yaml written with the Go API.
func buildBalancerInGo(t *testing.T) *scenarios.Scenario {
	t.Helper()
	rr, err := scenarios.Set("load.balancer", "round_robin")
	require.NoError(t, err)
	lor, err := scenarios.Set("load.balancer", "least_outstanding")
	require.NoError(t, err)
	sc := &scenarios.Scenario{
		Name:     "balancer",
		Duration: 120 * time.Second,
		Seeds:    3,
		Topology: scenarios.Topology{
			Services: []service.Config{{
				Name: "api", Instances: 4, Workers: 1, QueueLimit: 100,
				ServiceTime: sim.DistSpec{Kind: "exponential", Mean: 0.010},
			}},
			Links: []scenarios.Link{{From: "client", To: "api", Latency: sim.DistSpec{Kind: "constant", Value: 0.0005}}},
		},
		Load: []scenarios.Client{{Config: load.Config{
			Target: "api", Balancer: "random", Timeout: time.Second,
			Open: &load.Schedule{Shape: "constant", RPS: 320},
		}}},
		Faults: []scenarios.Fault{
			{At: 30 * time.Second, For: 20 * time.Second, Type: "latency", To: "api-1", TwoWay: true, Latency: 100 * time.Millisecond},
			{At: 70 * time.Second, For: 20 * time.Second, Type: "partition", Isolate: "api-2", Mode: "black-hole"},
		},
		Variants: []scenarios.Variant{
			{Name: "random"},
			{Name: "round-robin", Set: scenarios.Overrides{rr}},
			{Name: "least-outstanding", Set: scenarios.Overrides{lor}},
		},
	}
	sc.SetDefaults()
	require.NoError(t, sc.Validate())
	return sc
}
