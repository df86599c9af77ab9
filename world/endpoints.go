package world

import (
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// endpointStats counts the load clients' requests per endpoint name, over
// the run and per phase, summed over clients and the services they call.
type endpointStats struct {
	names  []string // metric suffixes, in the order endpoints were first seen
	ok, n  []int64
	hist   []*hdrhistogram.Histogram
	phases []*phaseStats
	// The fault window, for the phases; set before the first watch.
	faultStart, faultEnd time.Duration
}

// slot returns the index of the endpoint called name, adding it.
func (es *endpointStats) slot(name string) int {
	name = strings.ReplaceAll(name, "-", "_")
	for i, n := range es.names {
		if n == name {
			return i
		}
	}
	es.names = append(es.names, name)
	es.ok, es.n = append(es.ok, 0), append(es.n, 0)
	es.hist = append(es.hist, hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3))
	es.phases = append(es.phases, newPhaseStats(es.faultStart, es.faultEnd))
	return len(es.names) - 1
}

// watch makes client c, which calls target, count its requests per
// endpoint; a target without endpoints adds nothing.
func (es *endpointStats) watch(c *load.Client, target *service.Service) {
	eps := target.Endpoints()
	if len(eps) == 0 {
		return
	}
	slots := make([]int, len(eps))
	for i, e := range eps {
		slots[i] = es.slot(e.Name)
	}
	c.ObserveEndpoints(func(ep int, start, end sim.Time, o results.Outcome) {
		s := slots[ep]
		es.n[s]++
		if o == results.OK {
			es.ok[s]++
		}
		_ = es.hist[s].RecordValue(max(int64(end.Sub(start)/time.Microsecond), 1))
		es.phases[s].observe(start, end, o)
	})
}

// metrics adds availability_<endpoint> and p99_ms_<endpoint> for every
// endpoint that had requests, and availability_<phase>_<endpoint> and
// p99_ms_<phase>_<endpoint> for every phase in which it had some.
func (es *endpointStats) metrics(run *results.Run) {
	for i, name := range es.names {
		if es.n[i] == 0 {
			continue
		}
		run.Metrics["availability_"+name] = float64(es.ok[i]) / float64(es.n[i])
		run.Metrics["p99_ms_"+name] = float64(es.hist[i].ValueAtQuantile(99)) / 1000
		es.phases[i].metrics(run, name)
	}
}
