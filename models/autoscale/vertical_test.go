package autoscale

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/faultline-sim/faultline/field"
)

// TestVerticalRecommend: one row per sync, each from the size the
// previous one returned, on the ladder 1, 2, 4, 8 with a 50% target.
func TestVerticalRecommend(t *testing.T) {
	type step struct {
		At   int     // seconds
		Util float64 // percent of the current size
		Want int
	}
	tests := []struct {
		name   string
		window time.Duration
		start  int
		steps  []step
	}{
		{"within 10% of the target nothing changes", 0, 2, []step{{0, 54, 2}, {60, 46, 2}}},
		{"saturated: size × 100/50 per sync, up the ladder to the ceiling", 0, 1,
			[]step{{0, 100, 2}, {60, 100, 4}, {120, 100, 8}, {180, 100, 8}}},
		{"the smallest size that fits: 4 × 80/50 = 6.4 workers -> 8", 0, 4, []step{{0, 80, 8}}},
		{"scale-down waits for the down window (300 s)", 0, 8,
			[]step{{0, 50, 8}, {60, 10, 8}, {120, 10, 8}, {299, 10, 8}, {300, 10, 2}}},
		{"down window 1ns: scale-down at once", time.Nanosecond, 8, []step{{0, 10, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVertical(VerticalConfig{Sizes: []int{1, 2, 4, 8}, TargetUtilization: 50, DownWindow: tt.window})
			require.NoError(t, err)
			size := tt.start
			for _, s := range tt.steps {
				got, why := v.Recommend(at(s.At), size, s.Util)
				require.Equal(t, s.Want, got, "t=%ds size=%d util=%g%%: %s", s.At, size, s.Util, why)
				size = got
			}
		})
	}
}

// TestVerticalLadderProperty: a recommendation is always a size of the
// ladder (or the current size), and never below what the load needs
// unless the ceiling is reached.
func TestVerticalLadderProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sizes := []int{1, 2, 3, 6, 12}
		v, err := NewVertical(VerticalConfig{Sizes: sizes, DownWindow: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		size := rapid.SampledFrom(sizes).Draw(t, "size")
		util := rapid.Float64Range(0, 100).Draw(t, "util")
		got, why := v.Recommend(at(0), size, util)
		assert.Contains(t, sizes, got, why)
		need := float64(size) * util / v.Config().TargetUtilization
		if got < 12 && float64(got) < need*(1-DefaultTolerance)-1e-9 {
			t.Fatalf("size %d at %.2f%% needs %.2f workers, got %d (%s)", size, util, need, got, why)
		}
	})
}

func TestVerticalConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   VerticalConfig
		field string
	}{
		{"no sizes", VerticalConfig{}, "sizes"},
		{"not increasing", VerticalConfig{Sizes: []int{2, 2}}, "sizes[1]"},
		{"zero size", VerticalConfig{Sizes: []int{0, 2}}, "sizes[0]"},
		{"target above 100", VerticalConfig{Sizes: []int{1}, TargetUtilization: 120}, "target_utilization"},
		{"window above 1h", VerticalConfig{Sizes: []int{1}, DownWindow: 2 * time.Hour}, "down_window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVertical(tt.cfg)
			require.Error(t, err)
			var fe *field.Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Path, "the error names the field: %v", err)
		})
	}
}
