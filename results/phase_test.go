package results

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPhasesOf is the definition of the phases, case by case: During runs
// from the first fault's start to the last one's end, gaps included, and
// is clipped to the load; without faults the whole run is Before.
func TestPhasesOf(t *testing.T) {
	cases := []struct {
		name   string
		load   time.Duration
		faults []Window
		want   Window
	}{
		{"no faults: all before", 60 * s, nil, Window{60 * s, 60 * s}},
		{"one fault", 60 * s, []Window{{20 * s, 35 * s}}, Window{20 * s, 35 * s}},
		{"first start to last end, gap included", 60 * s, []Window{{40 * s, 45 * s}, {20 * s, 35 * s}}, Window{20 * s, 45 * s}},
		{"nested faults", 60 * s, []Window{{10 * s, 50 * s}, {20 * s, 30 * s}}, Window{10 * s, 50 * s}},
		{"a fault outlasting the load ends with it", 30 * s, []Window{{20 * s, 45 * s}}, Window{20 * s, 30 * s}},
		{"a fault after the load is empty at its end", 30 * s, []Window{{40 * s, 45 * s}}, Window{30 * s, 30 * s}},
		{"a fault before the start begins at 0", 30 * s, []Window{{-5 * s, 10 * s}}, Window{0, 10 * s}},
		{"a fault over the whole load", 30 * s, []Window{{0, 30 * s}}, Window{0, 30 * s}},
	}
	for _, c := range cases {
		w := PhasesOf(c.load, c.faults)
		assert.Equal(t, PhaseWindows{Load: c.load, During: c.want}, w, c.name)
		require.NoError(t, w.Validate(), c.name)
		assert.Equal(t, c.load, w.Len(Before)+w.Len(During)+w.Len(After), "%s: the phases tile the load", c.name)
		assert.Equal(t, c.load, w.Len(All), c.name)
	}
}

// TestPhaseOfARequest: a request belongs to the phase its intended start
// falls in, each window closed at its start and open at its end.
func TestPhaseOfARequest(t *testing.T) {
	w := PhasesOf(10*s, []Window{{4 * s, 6 * s}})
	for at, want := range map[time.Duration]Phase{0: Before, 4*s - 1: Before, 4 * s: During, 6*s - 1: During, 6 * s: After, 10 * s: After} {
		assert.Equal(t, want, w.Of(at), "start %v", at)
	}
	assert.Equal(t, Before, PhasesOf(10*s, nil).Of(9*s), "no faults: all before")
	assert.Equal(t, Window{6 * s, 10 * s}, w.Window(After))
}

// TestReportPhaseWindows: the report derives the same windows from its
// seconds, skipping a fault window that has no finite time, and a report
// without a duration ends with its last fault.
func TestReportPhaseWindows(t *testing.T) {
	r := &Report{Duration: 60, Faults: []FaultWindow{{Start: 20, End: 35}, {Start: 40, End: 45.5}, {Start: math.NaN(), End: 50}}}
	assert.Equal(t, PhasesOf(60*s, []Window{{20 * s, 35 * s}, {40 * s, 45500 * ms}}), r.PhaseWindows())
	r.Duration = 0
	assert.Equal(t, PhaseWindows{Load: 45500 * ms, During: Window{20 * s, 45500 * ms}}, r.PhaseWindows())
	assert.Equal(t, PhaseWindows{Load: 30 * s, During: Window{30 * s, 30 * s}}, (&Report{Duration: 30}).PhaseWindows())
}
