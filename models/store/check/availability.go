package check

import (
	"slices"

	"github.com/faultline-sim/faultline/models/store"
)

// Window is a span of time [Start, End) in nanoseconds since the start of
// the run, e.g. the time a partition lasted.
type Window struct{ Start, End int64 }

// Contains reports whether t falls in w.
func (w Window) Contains(t int64) bool { return w.Start <= t && t < w.End }

// Availability counts the ops of the clients selected by client (by
// Record.Client) that were invoked during w and are of one of the given
// kinds (of any kind if none are given): total of them, ok of them with
// Outcome OK. For example, the availability of the minority side of a
// partition during it, for writes only.
func Availability(h store.History, client func(int) bool, w Window, kind ...store.OpKind) (ok, total int) {
	for _, r := range h {
		if !client(r.Client) || !w.Contains(int64(r.Invoke)) {
			continue
		}
		if len(kind) > 0 && !slices.Contains(kind, r.Kind) {
			continue
		}
		total++
		if r.Outcome == store.OK {
			ok++
		}
	}
	return ok, total
}
