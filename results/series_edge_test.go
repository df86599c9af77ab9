package results

import (
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
