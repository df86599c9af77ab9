package results

import (
	"math"
	"time"

	"github.com/faultline-sim/faultline/field"
)

// Window is a stretch of a run, [Start, End) in time since the run's
// start.
type Window struct {
	Start, End time.Duration
}

// PhaseWindows are the phases of one run, the one definition both engines
// and the report use: Before is [0, During.Start), During is During, After
// is [During.End, Load), and All is [0, Load). A request belongs to the
// phase its intended start falls in.
type PhaseWindows struct {
	// Load is how long the load runs: the end of the run's last phase.
	Load time.Duration
	// During spans the faults, within [0, Load]; empty at Load when there
	// are none, so that the whole run is Before.
	During Window
}

// PhasesOf returns the phase windows of a run whose load lasts load, under
// faults: During goes from the first fault's start to the last one's end
// (gaps between faults included), clipped to the load, so a fault that
// starts before the load or outlasts it counts only while there is load
// to see it. Without faults, During is [load, load).
func PhasesOf(load time.Duration, faults []Window) PhaseWindows {
	w := PhaseWindows{Load: load, During: Window{Start: load, End: load}}
	if len(faults) == 0 {
		return w
	}
	start, end := faults[0].Start, faults[0].End
	for _, f := range faults[1:] {
		start, end = min(start, f.Start), max(end, f.End)
	}
	start = min(max(start, 0), load)
	w.During = Window{Start: start, End: min(max(end, start), load)}
	return w
}

// Validate reports whether the windows are well formed: a load > 0 and
// 0 <= During.Start <= During.End <= Load.
func (w PhaseWindows) Validate() error {
	switch {
	case w.Load <= 0:
		return field.Errorf("load", "must be > 0, got %v", w.Load)
	case w.During.Start < 0 || w.During.Start > w.During.End || w.During.End > w.Load:
		return field.Errorf("during", "[%v, %v] must lie in [0, load %v] with start <= end", w.During.Start, w.During.End, w.Load)
	}
	return nil
}

// Of returns the phase of a request meant to start at start: Before,
// During or After (never All).
func (w PhaseWindows) Of(start time.Duration) Phase {
	switch {
	case start < w.During.Start:
		return Before
	case start < w.During.End:
		return During
	}
	return After
}

// Window returns phase p's stretch of the run.
func (w PhaseWindows) Window(p Phase) Window {
	switch p {
	case Before:
		return Window{0, w.During.Start}
	case During:
		return w.During
	case After:
		return Window{w.During.End, w.Load}
	}
	return Window{0, w.Load}
}

// Len returns how long phase p lasts.
func (w PhaseWindows) Len(p Phase) time.Duration {
	win := w.Window(p)
	return win.End - win.Start
}

// PhaseWindows returns the report's phase windows, from its duration and
// fault windows (those with finite times) by the engines' definition.
// A report without a duration is taken to end with its last fault.
func (r *Report) PhaseWindows() PhaseWindows {
	var faults []Window
	for _, f := range r.Faults {
		if isFinite(f.Start) && isFinite(f.End) {
			faults = append(faults, Window{Start: fromSeconds(f.Start), End: fromSeconds(f.End)})
		}
	}
	load := fromSeconds(r.Duration)
	if !(r.Duration > 0 && isFinite(r.Duration)) {
		load = 0
		for _, f := range faults {
			load = max(load, f.End)
		}
	}
	return PhasesOf(load, faults)
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// fromSeconds converts seconds to a Duration, rounded to the nanosecond.
func fromSeconds(x float64) time.Duration { return time.Duration(math.Round(x * 1e9)) }
