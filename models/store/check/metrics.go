package check

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/store"

	"github.com/anishathalye/porcupine"
)

// Metrics checks a history and returns the results under the names both
// engines report: linearizable (1 yes, 0 no, -1 undecided: no key is
// illegal but the search ran out of steps on some), nonlinearizable_keys,
// undecided_keys (keys the search ran out of steps on, whatever the other
// keys' verdicts), unknown_ops, stale_reads, stale_read_ratio,
// max_k_staleness and max_t_visibility_ms. It returns the linearizability
// check too, for WritePage.
func (c Checker) Metrics(h store.History) (map[string]float64, Linearizability) {
	lin := c.Linearizable(h)
	m := map[string]float64{}
	switch lin.Verdict {
	case VerdictLinearizable:
		m["linearizable"] = 1
	case VerdictIllegal:
		m["linearizable"] = 0
	default:
		m["linearizable"] = -1
	}
	m["nonlinearizable_keys"] = float64(len(lin.IllegalKeys))
	m["undecided_keys"] = float64(len(lin.UnknownKeys))
	m["unknown_ops"] = float64(lin.UnknownOps)
	st := Stale(h)
	m["stale_reads"] = float64(st.StaleReads)
	m["stale_read_ratio"] = ratio(st.StaleReads, st.Reads)
	m["max_k_staleness"] = float64(st.MaxK)
	m["max_t_visibility_ms"] = float64(st.MaxTVisibility) / 1e6
	return m, lin
}

// Metrics is Checker{}.Metrics(h), with an empty info.
//
// Deprecated: use Checker.Metrics. timeout is not used: the search is
// bounded by DefaultSteps per key, so that a verdict does not depend on
// the machine's load. Kept for chaos/ until it moves over.
func Metrics(h store.History, timeout time.Duration) (map[string]float64, porcupine.LinearizationInfo) {
	m, _ := Checker{}.Metrics(h)
	return m, porcupine.LinearizationInfo{}
}

// SideAvailability returns each client's availability, so a report can
// split it by side of a partition: availability_<window>_<client>, for
// the windows before (until the first fault starts), during (inside any
// fault), after (from the last fault's end to duration) and fault<i> (the
// i-th fault, from 1). Clients are named by their index in the history;
// dashes in names become underscores. Windows without operations are left
// out.
func SideAvailability(h store.History, clients []string, faults []Window, duration int64) map[string]float64 {
	type window struct {
		name string
		ws   []Window
	}
	start, end := duration, duration
	if len(faults) > 0 {
		start, end = faults[0].Start, faults[0].End
		for _, f := range faults[1:] {
			start, end = min(start, f.Start), max(end, f.End)
		}
	}
	windows := []window{
		{"before", []Window{{Start: 0, End: start}}},
		{"during", union(faults)},
		{"after", []Window{{Start: end, End: duration}}},
	}
	for i, f := range faults {
		windows = append(windows, window{fmt.Sprintf("fault%d", i+1), []Window{f}})
	}
	out := map[string]float64{}
	for ci, name := range clients {
		mine := func(c int) bool { return c == ci }
		for _, win := range windows {
			ok, total := 0, 0
			for _, w := range win.ws {
				if w.End > w.Start {
					o, t := Availability(h, mine, w)
					ok, total = ok+o, total+t
				}
			}
			if total > 0 {
				out[fmt.Sprintf("availability_%s_%s", win.name, strings.ReplaceAll(name, "-", "_"))] = ratio(ok, total)
			}
		}
	}
	return out
}

// union returns the times inside at least one window, as disjoint windows
// in order.
func union(ws []Window) []Window {
	sorted := append([]Window(nil), ws...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Start < sorted[j].Start })
	var out []Window
	for _, w := range sorted {
		if n := len(out); n > 0 && w.Start <= out[n-1].End {
			out[n-1].End = max(out[n-1].End, w.End)
			continue
		}
		out = append(out, w)
	}
	return out
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
