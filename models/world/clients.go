package world

import (
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"faultline/reports/results"
	"faultline/sim"
)

// clientStats is one service client's own outcomes per phase, kept when a
// scenario has several clients so that hypotheses can speak of each (the
// summary mixes them).
type clientStats struct {
	name   string // metric prefix: the client's name with underscores
	ok, n  [3]int64
	hist   [3]*hdrhistogram.Histogram
	before time.Duration // the fault window, as the recorder's
	end    time.Duration
}

var clientPhases = [3]string{"before", "during", "after"}

func newClientStats(name string, faultStart, faultEnd time.Duration) *clientStats {
	cs := &clientStats{name: strings.ReplaceAll(name, "-", "_"), before: faultStart, end: faultEnd}
	for i := range cs.hist {
		cs.hist[i] = hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)
	}
	return cs
}

// observer wraps the world's observer to count the client's own outcomes.
func (cs *clientStats) observer(next func(start, end sim.Time, o results.Outcome)) func(start, end sim.Time, o results.Outcome) {
	return func(start, end sim.Time, o results.Outcome) {
		p := 2
		switch s := time.Duration(start); {
		case s < cs.before:
			p = 0
		case s < cs.end:
			p = 1
		}
		cs.n[p]++
		if o == results.OK {
			cs.ok[p]++
		}
		_ = cs.hist[p].RecordValue(max(int64(end.Sub(start)/time.Microsecond), 1))
		next(start, end, o)
	}
}

// metrics adds availability_<phase>_<client> and p99_ms_<phase>_<client>
// for every phase with requests (the names a store's clients use).
func (cs *clientStats) metrics(run *results.Run) {
	for p, phase := range clientPhases {
		if cs.n[p] == 0 {
			continue
		}
		run.Metrics["availability_"+phase+"_"+cs.name] = float64(cs.ok[p]) / float64(cs.n[p])
		run.Metrics["p99_ms_"+phase+"_"+cs.name] = float64(cs.hist[p].ValueAtQuantile(99)) / 1000
	}
}
