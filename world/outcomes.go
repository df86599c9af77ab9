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

// outcomes is the part that counts the load's requests per phase (before,
// during and after the fault window, by the request's start) for the
// metrics a hypothesis can name: per service client when there are
// several (the summary mixes them), and per endpoint of the services they
// call.
type outcomes struct {
	phases    results.PhaseWindows // the run's, as the recorder's
	clients   []*clientStats
	endpoints endpointStats
}

func newOutcomes(e *env) *outcomes {
	return &outcomes{phases: e.phases, endpoints: endpointStats{phases: e.phases}}
}

// observer is what a load client calls with each request's outcome.
type observer = func(start, end sim.Time, o results.Outcome)

// perClient counts the outcomes of the client called name, then passes
// them to next.
func (oc *outcomes) perClient(name string, next observer) observer {
	cs := &clientStats{name: strings.ReplaceAll(name, "-", "_"), phaseStats: newPhaseStats(oc.phases)}
	oc.clients = append(oc.clients, cs)
	return func(start, end sim.Time, o results.Outcome) {
		cs.observe(start, end, o)
		next(start, end, o)
	}
}

// perEndpoint makes client c, which calls target, count its requests per
// endpoint; a target without endpoints adds nothing.
func (oc *outcomes) perEndpoint(c *load.Client, target *service.Service) {
	oc.endpoints.watch(c, target)
}

// report adds availability_<phase>_<client> and p99_ms_<phase>_<client>
// for every client counted and phase with requests (the names a store's
// clients use), then the endpoints' metrics.
func (oc *outcomes) report(run *results.Run) {
	for _, cs := range oc.clients {
		cs.metrics(run, cs.name)
	}
	oc.endpoints.metrics(run)
}

// clientStats is one service client's own outcomes per phase.
type clientStats struct {
	name string // metric suffix: the client's name with underscores
	*phaseStats
}

var clientPhases = [3]results.Phase{results.Before, results.During, results.After}

// phaseStats counts requests' outcomes and latencies per phase (before,
// during and after the fault window, by the request's start).
type phaseStats struct {
	ok, n  [3]int64
	hist   [3]*hdrhistogram.Histogram
	phases results.PhaseWindows // the run's, as the recorder's
}

func newPhaseStats(phases results.PhaseWindows) *phaseStats {
	ps := &phaseStats{phases: phases}
	for i := range ps.hist {
		ps.hist[i] = hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)
	}
	return ps
}

// observe counts one request.
func (ps *phaseStats) observe(start, end sim.Time, o results.Outcome) {
	p := 2
	switch ps.phases.Of(time.Duration(start)) {
	case results.Before:
		p = 0
	case results.During:
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
		run.Metrics["availability_"+string(phase)+"_"+name] = float64(ps.ok[p]) / float64(ps.n[p])
		run.Metrics["p99_ms_"+string(phase)+"_"+name] = float64(ps.hist[p].ValueAtQuantile(99)) / 1000
	}
}

// endpointStats counts the load clients' requests per endpoint name, over
// the run and per phase, summed over clients and the services they call.
type endpointStats struct {
	names    []string // metric suffixes, in the order endpoints were first seen
	ok, n    []int64
	hist     []*hdrhistogram.Histogram
	perPhase []*phaseStats
	phases   results.PhaseWindows // the run's, for perPhase
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
	es.perPhase = append(es.perPhase, newPhaseStats(es.phases))
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
		es.perPhase[s].observe(start, end, o)
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
		es.perPhase[i].metrics(run, name)
	}
}
