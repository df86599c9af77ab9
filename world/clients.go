package world

import (
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

var clientPhases = [3]string{"before", "during", "after"}

// phaseStats counts requests' outcomes and latencies per phase (before,
// during and after the fault window, by the request's start), for the
// metrics a hypothesis can name per client or per endpoint.
type phaseStats struct {
	ok, n  [3]int64
	hist   [3]*hdrhistogram.Histogram
	before time.Duration // the fault window, as the recorder's
	end    time.Duration
}

func newPhaseStats(faultStart, faultEnd time.Duration) *phaseStats {
	ps := &phaseStats{before: faultStart, end: faultEnd}
	for i := range ps.hist {
		ps.hist[i] = hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)
	}
	return ps
}

// observe counts one request.
func (ps *phaseStats) observe(start, end sim.Time, o results.Outcome) {
	p := 2
	switch s := time.Duration(start); {
	case s < ps.before:
		p = 0
	case s < ps.end:
		p = 1
	}
	ps.n[p]++
	if o == results.OK {
		ps.ok[p]++
	}
	_ = ps.hist[p].RecordValue(max(int64(end.Sub(start)/time.Microsecond), 1))
}

// metrics adds availability_<phase>_<name> and p99_ms_<phase>_<name> for
// every phase with requests.
func (ps *phaseStats) metrics(run *results.Run, name string) {
	for p, phase := range clientPhases {
		if ps.n[p] == 0 {
			continue
		}
		run.Metrics["availability_"+phase+"_"+name] = float64(ps.ok[p]) / float64(ps.n[p])
		run.Metrics["p99_ms_"+phase+"_"+name] = float64(ps.hist[p].ValueAtQuantile(99)) / 1000
	}
}

// clientStats is one service client's own outcomes per phase, kept when a
// scenario has several clients so that hypotheses can speak of each (the
// summary mixes them).
type clientStats struct {
	name string // metric suffix: the client's name with underscores
	*phaseStats
}

func newClientStats(name string, faultStart, faultEnd time.Duration) *clientStats {
	return &clientStats{name: strings.ReplaceAll(name, "-", "_"), phaseStats: newPhaseStats(faultStart, faultEnd)}
}

// observer wraps the world's observer to count the client's own outcomes.
func (cs *clientStats) observer(next func(start, end sim.Time, o results.Outcome)) func(start, end sim.Time, o results.Outcome) {
	return func(start, end sim.Time, o results.Outcome) {
		cs.observe(start, end, o)
		next(start, end, o)
	}
}

// metrics adds availability_<phase>_<client> and p99_ms_<phase>_<client>
// for every phase with requests (the names a store's clients use).
func (cs *clientStats) metrics(run *results.Run) { cs.phaseStats.metrics(run, cs.name) }
