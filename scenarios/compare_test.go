package scenarios_test

import (
	"context"
	"errors"
	"testing"

	"faultline/models/world"
	"faultline/reports/results"
	"faultline/scenarios"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errNoCounterpart = errors.New("no counterpart")

// fakeReal stands in for the real engine: it reruns the simulator, halves
// time (a time scale) and has no counterpart for one variant.
type fakeReal struct{}

func (fakeReal) Name() string { return "real" }

func (fakeReal) Run(ctx context.Context, c scenarios.Case, seed uint64) (results.Run, error) {
	if c.Variant == "round-robin" {
		return results.Run{}, errNoCounterpart
	}
	r, err := world.Engine{}.Run(ctx, c, seed)
	r.Metrics["time_scale"] = 0.5
	return r, err
}

func TestCompareAddsTheSecondEngineAndCalibrates(t *testing.T) {
	sc, err := scenarios.Load("balancer")
	require.NoError(t, err)
	rep, err := scenarios.Execute(context.Background(), sc, world.Engine{}, scenarios.Options{Seeds: 1})
	require.NoError(t, err)
	skipped, err := scenarios.Compare(context.Background(), rep, sc, fakeReal{}, scenarios.Options{Seeds: 1},
		func(err error) bool { return errors.Is(err, errNoCounterpart) })
	require.NoError(t, err)
	assert.Equal(t, []string{"round-robin: no counterpart"}, skipped)
	require.Len(t, rep.Variants, 5)
	assert.Equal(t, "random (real)", rep.Variants[3].Variant)
	assert.Equal(t, "real", rep.Variants[3].Engine)
	assert.Equal(t, 2.0, rep.Variants[3].Series[0].Step, "a run at time scale 0.5 is stretched to the scenario's time")
	require.NotEmpty(t, rep.Calibration)
	c := rep.Calibration[0]
	assert.Equal(t, "random", c.Variant)
	assert.Equal(t, "availability", c.Metric)
	assert.InDelta(t, 0, c.Diff, 1e-12, "the same simulator on the same seed must agree exactly")
}
