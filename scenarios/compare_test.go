package scenarios_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/world"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errNoCounterpart = errors.New("no counterpart")

// fakeReal stands in for the real engine: it reruns the simulator on the
// scenario's schedule at half length (a time scale of 0.5) and has no
// counterpart for one variant.
type fakeReal struct{}

func (fakeReal) Name() string { return "real" }

func (fakeReal) Run(ctx context.Context, c scenarios.Case, seed uint64) (results.Run, error) {
	if c.Variant == "round-robin" {
		return results.Run{}, errNoCounterpart
	}
	sc, err := c.Scenario.Scaled(0.5)
	if err != nil {
		return results.Run{}, err
	}
	c.Scenario = sc
	r, err := world.Engine{}.Run(ctx, c, seed)
	r.Metrics["time_scale"] = 0.5
	return r, err
}

func TestCompareAddsTheSecondEngineAndCalibrates(t *testing.T) {
	sc, err := scenarios.Load("balancer")
	require.NoError(t, err)
	rep, err := scenarios.Execute(context.Background(), sc, world.Engine{}, scenarios.Options{Seeds: 1})
	require.NoError(t, err)
	skipped, err := scenarios.Compare(context.Background(), rep, sc, fakeReal{}, world.Engine{}, scenarios.Options{Seeds: 1},
		func(err error) bool { return errors.Is(err, errNoCounterpart) })
	require.NoError(t, err)
	assert.Equal(t, []string{"round-robin: no counterpart"}, skipped)
	n := len(sc.VariantNames())
	require.Len(t, rep.Variants, 2*n-1, "every variant simulated, all but round-robin real")
	real := rep.Variant("random (real)")
	require.NotNil(t, real)
	assert.Equal(t, "real", real.Engine)
	assert.Equal(t, 2.0, real.Series[0].Step, "a run at time scale 0.5 is stretched to the scenario's time")
	require.NotEmpty(t, rep.Calibration)
	c := rep.Calibration[0]
	assert.Equal(t, "random", c.Variant)
	assert.Equal(t, "availability", c.Metric)
	assert.Equal(t, 0.5, c.TimeScale)
	assert.InDelta(t, 0, c.Diff, 1e-12, "the same simulator on the same seed and schedule must agree exactly")
	assert.Equal(t, "±0.05", c.Target)
	require.NotNil(t, c.Within)
	assert.True(t, *c.Within)
}

// TestCompareWithoutReferenceUsesTheReport: with no reference engine the
// rows compare the run at half length with the report's full-length
// runs, which differ.
func TestCompareWithoutReferenceUsesTheReport(t *testing.T) {
	sc, err := scenarios.Load("balancer")
	require.NoError(t, err)
	rep, err := scenarios.Execute(context.Background(), sc, world.Engine{}, scenarios.Options{Seeds: 1})
	require.NoError(t, err)
	_, err = scenarios.Compare(context.Background(), rep, sc, fakeReal{}, nil, scenarios.Options{Seeds: 1},
		func(err error) bool { return errors.Is(err, errNoCounterpart) })
	require.NoError(t, err)
	diff := 0.0
	for _, c := range rep.Calibration {
		diff += math.Abs(c.Diff)
	}
	assert.Greater(t, diff, 0.0, "a half-length run should not match the full-length one exactly")
}

// stoppedReal is fakeReal whose runs its stop condition ended early.
type stoppedReal struct{ fakeReal }

func (e stoppedReal) Run(ctx context.Context, c scenarios.Case, seed uint64) (results.Run, error) {
	r, err := e.fakeReal.Run(ctx, c, seed)
	if err == nil {
		r.Metrics["stopped"] = 1
	}
	return r, err
}

// TestCompareJudgesNoStoppedRun: rows of a run stopped early keep their
// numbers but have no verdict.
func TestCompareJudgesNoStoppedRun(t *testing.T) {
	sc, err := scenarios.Load("balancer")
	require.NoError(t, err)
	rep, err := scenarios.Execute(context.Background(), sc, world.Engine{}, scenarios.Options{Seeds: 1})
	require.NoError(t, err)
	_, err = scenarios.Compare(context.Background(), rep, sc, stoppedReal{}, world.Engine{}, scenarios.Options{Seeds: 1},
		func(err error) bool { return errors.Is(err, errNoCounterpart) })
	require.NoError(t, err)
	require.NotEmpty(t, rep.Calibration)
	for _, c := range rep.Calibration {
		assert.Nil(t, c.Within, "%s %s", c.Variant, c.Metric)
		if c.Metric == "availability" {
			assert.Equal(t, "none: stopped early", c.Target)
		}
	}
}

func TestScaled(t *testing.T) {
	sc, err := scenarios.Load("partition")
	require.NoError(t, err)
	half, err := sc.Scaled(0.5)
	require.NoError(t, err)
	assert.Equal(t, sc.Duration/2, half.Duration)
	for i := range sc.Faults {
		assert.Equal(t, sc.Faults[i].At/2, half.Faults[i].At, "faults[%d].at", i)
		assert.Equal(t, sc.Faults[i].For/2, half.Faults[i].For, "faults[%d].for", i)
	}
	assert.Equal(t, sc.Topology.Stores[0].Settle/2, half.Topology.Stores[0].Settle)
	assert.Equal(t, sc.Topology.Stores[0].Raft, half.Topology.Stores[0].Raft, "Raft's timers are the system's, not the schedule's")
	assert.Equal(t, sc.Load[0].Timeout, half.Load[0].Timeout)
	assert.Equal(t, sc.Topology.Stores[0].Settle, 10*time.Second, "the original is untouched")
	for _, f := range []float64{0, -1, 101, math.NaN()} {
		_, err := sc.Scaled(f)
		assert.ErrorContains(t, err, "time scale: must be in (0, 100]", "factor %v", f)
	}
}
