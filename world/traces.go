package world

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
)

// Tracing keeps at most maxTraces traces per run, and puts the
// slowestTraces slowest in the run for the report's waterfalls.
const (
	maxTraces     = 300
	slowestTraces = 3
	// storedSpans caps the spans of a trace kept in the run (the first
	// ones, by start): a retry storm can give a trace hundreds.
	storedSpans = 40
)

// otlpBase is when a run starts on the clock of the OTLP files (2026-01-01
// UTC), so that tracing tools show plausible dates; any fixed value keeps
// the files identical across runs.
var otlpBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

var spanKinds = map[service.SpanKind]string{service.SpanInternal: "request", service.SpanServer: "server", service.SpanClient: "client"}

// tracing is the part that traces the share of requests the scenario
// samples (trace_sample) through every service and call. It reports the
// slowest traces and, for the scenario's first seed, every span as an
// OTLP/JSON artifact.
type tracing struct {
	e      *env
	tracer *service.Tracer // nil when nothing is traced
}

// buildTracing turns tracing on when the scenario samples requests and
// has services to trace.
func buildTracing(e *env, svcs *services) *tracing {
	t := &tracing{e: e}
	if e.sc.TraceSample == nil || *e.sc.TraceSample == 0 || len(svcs.list) == 0 {
		return t
	}
	t.tracer = service.NewTracer(maxTraces)
	for _, s := range svcs.list {
		s.UseTracer(t.tracer)
	}
	return t
}

// trace makes client c start traces at the scenario's sample rate.
func (t *tracing) trace(c *load.Client) {
	if t.tracer != nil {
		c.UseTracer(t.tracer, *t.e.sc.TraceSample)
	}
}

func toResultSpans(spans []service.Span) []results.Span {
	out := make([]results.Span, len(spans))
	for i, s := range spans {
		out[i] = results.Span{Trace: s.Trace, ID: s.ID, Parent: s.Parent, Kind: spanKinds[s.Kind], Name: s.Name,
			Service: s.Service, Instance: s.Instance, Attempt: s.Attempt,
			StartNs: int64(s.Start), EndNs: int64(s.End), QueuedNs: int64(s.Queued), Status: s.Status}
	}
	return out
}

// report puts the slowest traces in run and, for the scenario's first
// seed, every span as an OTLP/JSON artifact (the caller writes it, or not).
func (t *tracing) report(run *results.Run) {
	if t.tracer == nil {
		return
	}
	for _, tr := range t.tracer.Slowest(slowestTraces) {
		sort.SliceStable(tr, func(i, j int) bool { return tr[i].Start < tr[j].Start })
		run.Traces = append(run.Traces, toResultSpans(tr[:min(len(tr), storedSpans)]))
	}
	if t.e.k.Seed() != t.e.sc.Seed {
		return // files for the first seed only: they are large
	}
	tracer, seed := t.tracer, t.e.k.Seed()
	run.Artifacts = append(run.Artifacts, results.Artifact{
		Name:  fmt.Sprintf("traces-%s-seed%d.otlp.json", t.e.caseName, seed),
		Label: "traces (OTLP/JSON)",
		Write: func(out io.Writer) error {
			return results.WriteOTLP(out, toResultSpans(tracer.Spans()), seed, otlpBase)
		},
	})
}
