package autoscale

import (
	"testing"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// TestWindowRestartsAfterAWholeWindowWithoutRecords: as Knative's
// TimedFloat64Buckets (Record resets when now - lastWrite >= window), a
// record exactly one window after the last starts a fresh window, which
// is averaged over the seconds it has (one), not over a full window of
// mostly empty seconds; one second sooner, the gap counts as zeros.
func TestWindowRestartsAfterAWholeWindowWithoutRecords(t *testing.T) {
	at := func(s int) sim.Time { return sim.At(time.Duration(s) * time.Second) }
	w := newWindow(3)
	w.record(at(0), 5)
	w.record(at(3), 6)
	if got := w.average(at(3)); got != 6 {
		t.Errorf("a record a whole window after the last: average %v, want 6 (a fresh window of one second)", got)
	}
	w = newWindow(3)
	w.record(at(0), 6)
	w.record(at(2), 3)
	if got := w.average(at(2)); got != 3 {
		t.Errorf("a record two seconds after the last: average %v, want (6+0+3)/3 = 3", got)
	}
}
