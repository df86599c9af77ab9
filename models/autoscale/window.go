package autoscale

import "github.com/faultline-sim/faultline/sim"

// window averages values over the last n one-second buckets, as Knative's
// TimedFloat64Buckets does: values recorded in the same second add up; a
// window not yet full (since the first record, or since a gap of a whole
// window) is averaged over the seconds it has; seconds without a record
// inside it count as 0; if records stopped less than a window ago, the
// average is over the seconds up to the last record.
type window struct {
	buckets     []float64 // ring, indexed by second mod n
	first, last int64     // seconds of the first and last record
	has         bool
}

func newWindow(seconds int) *window { return &window{buckets: make([]float64, seconds)} }

func second(t sim.Time) int64 { return int64(t) / 1e9 }

func (w *window) n() int64 { return int64(len(w.buckets)) }

func (w *window) idx(sec int64) int { return int(sec % w.n()) }

func (w *window) record(now sim.Time, v float64) {
	sec := second(now)
	switch {
	case !w.has || sec-w.last >= w.n():
		clear(w.buckets)
		w.first, w.last, w.has = sec, sec, true
	case sec > w.last:
		for s := w.last + 1; s <= sec; s++ {
			w.buckets[w.idx(s)] = 0
		}
		w.last = sec
	case sec+w.n() <= w.last:
		return // older than the window
	default:
		w.first = min(w.first, sec)
	}
	w.buckets[w.idx(sec)] += v
}

// empty reports whether the last record is more than a window before now.
func (w *window) empty(now sim.Time) bool { return !w.has || second(now)-w.last > w.n() }

// average is 0 from a whole window after the last record.
func (w *window) average(now sim.Time) float64 {
	if !w.has || second(now)-w.last >= w.n() {
		return 0
	}
	sec := second(now)
	stale := max(sec-w.last, 0) // buckets after the last record, still holding older seconds
	var total float64
	for s := w.last - (w.n() - 1 - stale); s <= w.last; s++ {
		if s >= 0 {
			total += w.buckets[w.idx(s)]
		}
	}
	return total / float64(min(w.last-w.first+1, w.n()-stale))
}
