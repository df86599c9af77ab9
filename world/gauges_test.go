package world

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/scenarios"
)

// TestGaugesAreTimeAveragesThatObeyLittlesLaw: an M/M/1 queue at 50%
// load has, on average, rho = 0.5 requests in service, rho^2/(1-rho) = 0.5
// waiting and rho/(1-rho) = 1 in the system. End-of-interval snapshots
// would only sample that; the time averages must match it, interval by
// interval on the mean and over the run.
func TestGaugesAreTimeAveragesThatObeyLittlesLaw(t *testing.T) {
	sc, err := scenarios.Parse("mm1.yaml", []byte(`
name: mm1
duration: 2000s
interval: 10s
seeds: 1
topology:
  services:
    - {name: api, workers: 1, service_time: {kind: exponential, mean: 10ms}}
load:
  target: api
  timeout: 60s
  open: {rps: 50}
expect:
  - "in_system_mean within 1 ± 10%"
`))
	require.NoError(t, err)
	c, err := sc.Case(scenarios.BaseVariant)
	require.NoError(t, err)
	run, err := Engine{}.Run(context.Background(), c, 7)
	require.NoError(t, err)
	assert.InDelta(t, 0.5, run.Metrics["in_service_mean"], 0.025, "seed 7")
	assert.InDelta(t, 0.5, run.Metrics["queue_depth_mean"], 0.05, "seed 7")
	assert.InDelta(t, 1.0, run.Metrics["in_system_mean"], 0.07, "seed 7")
	mean := func(name string) float64 {
		s := run.SeriesNamed(name)
		require.NotNil(t, s, name)
		sum := 0.0
		for _, v := range s.Values {
			sum += v
		}
		return sum / float64(len(s.Values))
	}
	assert.InDelta(t, run.Metrics["in_service_mean"], mean("in_service"), 1e-6, "the series' mean is the run's time average")
	assert.InDelta(t, run.Metrics["queue_depth_mean"], mean("queue_depth"), 0.01)
}
