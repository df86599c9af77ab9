package world

import (
	"fmt"
	"io"
	"sort"
	"time"

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

// buildTracer turns tracing on when the scenario samples requests and has
// services to trace.
func (w *World) buildTracer() error {
	if w.sc.TraceSample == nil || *w.sc.TraceSample == 0 || len(w.services) == 0 {
		return nil
	}
	w.tracer = service.NewTracer(maxTraces)
	for _, s := range w.services {
		s.UseTracer(w.tracer)
	}
	return nil
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

// traceResults puts the slowest traces in run and, for the scenario's first
// seed, every span as an OTLP/JSON artifact (the caller writes it, or not).
func (w *World) traceResults(run *results.Run) error {
	if w.tracer == nil {
		return nil
	}
	for _, t := range w.tracer.Slowest(slowestTraces) {
		sort.SliceStable(t, func(i, j int) bool { return t[i].Start < t[j].Start })
		run.Traces = append(run.Traces, toResultSpans(t[:min(len(t), storedSpans)]))
	}
	if w.k.Seed() != w.sc.Seed {
		return nil // files for the first seed only: they are large
	}
	tracer, seed := w.tracer, w.k.Seed()
	run.Artifacts = append(run.Artifacts, results.Artifact{
		Name:  fmt.Sprintf("traces-%s-seed%d.otlp.json", w.caseName, seed),
		Label: "traces (OTLP/JSON)",
		Write: func(out io.Writer) error {
			return results.WriteOTLP(out, toResultSpans(tracer.Spans()), seed, otlpBase)
		},
	})
	return nil
}
