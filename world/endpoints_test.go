package world

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/scenarios"
)

// endpointsWorld: a gateway whose browse endpoint (weight 3) calls the
// catalog and whose checkout endpoint (weight 1) calls payments, which
// takes 2 s, beyond the call's 100 ms timeout. Constant times and 1 ms
// links: a browse request takes exactly 1 + 2 + 1 + 5 + 1 + 1 = 11 ms.
const endpointsWorld = `
name: endpoints-world
duration: 20s
seeds: 1
topology:
  services:
    - name: gateway
      workers: 200
      service_time: 2ms
      endpoints:
        - name: browse
          weight: 3
          calls: [{service: catalog}]
        - name: check-out
          service_time: 4ms
          calls: [{service: payments, timeout: 100ms}]
    - name: catalog
      workers: 200
      service_time: 5ms
    - name: payments
      workers: 200
      service_time: 2s
  links:
    - from: "*"
      to: "*"
      latency: 1ms
load:
  target: gateway
  timeout: 1s
  open: {shape: constant, rps: 100}
`

// TestEndpointMetrics: the world reports each endpoint's availability and
// p99 from the load clients' requests, and its endpoint calls' metrics;
// the share of requests per endpoint follows the weights.
func TestEndpointMetrics(t *testing.T) {
	const seed = 3
	sc, err := scenarios.Parse("endpoints.yaml", []byte(endpointsWorld))
	require.NoError(t, err)
	c, err := sc.Case(scenarios.BaseVariant)
	require.NoError(t, err)
	r, err := Engine{}.Run(context.Background(), c, seed)
	require.NoError(t, err, "seed %d", seed)
	m := r.Metrics
	assert.Equal(t, 1.0, m["availability_browse"], "seed %d", seed)
	assert.InDelta(t, 11.0, m["p99_ms_browse"], 0.02, "seed %d: 4 hops, 2 ms + 5 ms of work (the histogram keeps 3 digits)", seed)
	assert.Equal(t, 0.0, m["availability_check_out"], "seed %d: payments never answers in time", seed)
	assert.InDelta(t, 1+4+100+1, m["p99_ms_check_out"], 0.2, "seed %d: its own 4 ms, the call's timeout, then the error", seed)
	calls := m["call_gateway_check_out_to_payments_attempts"]
	browse := m["call_gateway_browse_to_catalog_attempts"]
	all, _ := r.Phase("all")
	require.Equal(t, float64(all.Requests), calls+browse, "seed %d: each request made its endpoint's one call", seed)
	assert.Equal(t, calls, m["call_gateway_check_out_to_payments_failed"], "seed %d", seed)
	n, p := float64(all.Requests), 0.25
	assert.InDelta(t, n*p, calls, 5*math.Sqrt(n*p*(1-p)), "seed %d: check-out has weight 1 of 4", seed)
	// Without faults every request is in the before phase.
	assert.Equal(t, m["availability_browse"], m["availability_before_browse"], "seed %d", seed)
	assert.Equal(t, m["p99_ms_check_out"], m["p99_ms_before_check_out"], "seed %d", seed)
	_, has := m["availability_during_browse"]
	assert.False(t, has, "seed %d: no during phase without faults", seed)
}

// TestEndpointMetricsPerPhase: in the endpoints scenario without
// protection, checkout's dependency slows down during the fault, so
// checkout fails during it and recovers after; both endpoints are whole
// before.
func TestEndpointMetricsPerPhase(t *testing.T) {
	const seed = 1
	sc, err := scenarios.Load("endpoints")
	require.NoError(t, err)
	c, err := sc.Case("no-protection")
	require.NoError(t, err)
	r, err := Engine{}.Run(context.Background(), c, seed)
	require.NoError(t, err)
	m := r.Metrics
	t.Logf("seed %d: checkout before/during/after %.3f/%.3f/%.3f; browse %.3f/%.3f/%.3f", seed,
		m["availability_before_checkout"], m["availability_during_checkout"], m["availability_after_checkout"],
		m["availability_before_browse"], m["availability_during_browse"], m["availability_after_browse"])
	assert.Greater(t, m["availability_before_checkout"], 0.99, "seed %d", seed)
	assert.Less(t, m["availability_during_checkout"], m["availability_before_checkout"]-0.1, "seed %d", seed)
	assert.Greater(t, m["availability_after_checkout"], m["availability_during_checkout"], "seed %d", seed)
	assert.Greater(t, m["p99_ms_during_checkout"], m["p99_ms_before_checkout"], "seed %d", seed)
}
