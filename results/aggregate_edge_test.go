package results

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSeriesMeanIsOverTheRunsThatHaveIt: a run without a series (or with
// one of another length, as a real run a stop condition ended early) is
// left out of that series' mean rather than counted as zeros.
func TestSeriesMeanIsOverTheRunsThatHaveIt(t *testing.T) {
	series := func(vs ...float64) []Series { return []Series{{Name: "rps", Step: 1, Values: vs}} }
	runs := []Run{
		{Variant: "v", Seed: 1, Series: series(2, 4)},
		{Variant: "v", Seed: 2, Series: series(4, 8)},
		{Variant: "v", Seed: 3},                      // no series at all
		{Variant: "v", Seed: 4, Series: series(100)}, // stopped early: shorter
	}
	v := Aggregate(runs)
	require.Len(t, v.Series, 1)
	assert.Equal(t, []float64{3, 6}, v.Series[0].Values)
}

// TestStatRangeIsTheSeedsMinAndMax: a metric's range over seeds, which
// the calibration's "in range" judges real runs against, is the lowest
// and the highest seed's value, whatever their order.
func TestStatRangeIsTheSeedsMinAndMax(t *testing.T) {
	for _, xs := range [][]float64{{3, 1, 2}, {1, 2, 3}, {3, 2, 1}, {2, 2, 2}} {
		st := NewStat(xs)
		assert.Equal(t, slices.Min(xs), st.Min, "%v", xs)
		assert.Equal(t, slices.Max(xs), st.Max, "%v", xs)
		assert.Equal(t, len(xs), st.N, "%v", xs)
	}
}
