package results

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// Phase names a part of a run relative to its faults: before the first
// fault starts, during (from the first start to the last end, within the
// load), and after; PhaseWindows holds one run's.
type Phase string

// The phases of a run; All is the whole run.
const (
	All    Phase = "all"
	Before Phase = "before"
	During Phase = "during"
	After  Phase = "after"
)

// Phases lists the phases in the order reports show them.
func Phases() []Phase { return []Phase{All, Before, During, After} }

// Latency summarises a latency distribution in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// Summary describes the requests of one phase of one run. Latency is what
// the client experienced for the requests that succeeded, measured from the
// request's intended start: the headline, as k6 reports expected responses,
// because a request refused at once is not a fast request. LatencyAll is
// the same over every request that ended (timeouts at their deadline,
// refusals at once), and FastFailures the share of requests refused at
// once (rejected or shed). A phase in which no request succeeded has an
// undefined (NaN) Latency.
type Summary struct {
	Phase        Phase   `json:"phase"`
	Seconds      float64 `json:"seconds"`
	Requests     int64   `json:"requests"`
	OK           int64   `json:"ok"`
	Errors       int64   `json:"errors"`
	Timeouts     int64   `json:"timeouts"`
	Rejected     int64   `json:"rejected"`
	Shed         int64   `json:"shed"`
	Availability float64 `json:"availability"`  // OK / Requests; 1 when there were none
	ErrorRate    float64 `json:"error_rate"`    // 1 - Availability
	Goodput      float64 `json:"goodput"`       // OK per second
	Throughput   float64 `json:"throughput"`    // requests ended per second
	FastFailures float64 `json:"fast_failures"` // (Rejected + Shed) / Requests
	Latency      Latency `json:"latency"`       // of the successful requests
	LatencyAll   Latency `json:"latency_all"`   // of every request that ended
}

// Series is one quantity sampled per interval.
type Series struct {
	Name   string    `json:"name"`
	Unit   string    `json:"unit"`
	Step   float64   `json:"step_s"` // seconds between points; point i covers [i*Step, (i+1)*Step)
	Values []float64 `json:"values"`
}

// Quantile is one point of a latency CDF.
type Quantile struct {
	Q  float64 `json:"q"`  // in [0, 1]
	Ms float64 `json:"ms"` // latency at that quantile
}

// Run is the result of one variant on one seed, from either engine.
type Run struct {
	Engine    string             `json:"engine"` // "sim" or "real"
	Variant   string             `json:"variant"`
	Seed      uint64             `json:"seed"`
	TraceHash string             `json:"trace_hash,omitempty"` // sim only
	Events    uint64             `json:"events,omitempty"`     // sim only
	Phases    []Summary          `json:"phases"`               // All, Before, During, After
	Metrics   map[string]float64 `json:"metrics,omitempty"`    // model-specific, e.g. stale_reads
	Series    []Series           `json:"series"`
	CDF       []Quantile         `json:"cdf"`
	Files     []File             `json:"files,omitempty"`          // per-run artefacts on disk, e.g. a history's visualisation
	Traces    [][]Span           `json:"slowest_traces,omitempty"` // the slowest traced requests, spans in order
	// Notes say what a reader of the run must know: a real run stopped
	// by its stop condition, settings the real engine could not apply as
	// simulated.
	Notes []string `json:"notes,omitempty"`
	// Artifacts are the per-run files an engine produced but did not
	// write: engines never write files themselves; the caller's writer
	// (reports.ArtifactWriter) puts them beside the report and lists them
	// in Files. The experiment runner drops them after each run.
	Artifacts []Artifact `json:"-"`
}

// Artifact is one per-run file, written on demand.
type Artifact struct {
	Name  string // a file name (no folders), unique within a report
	Label string // what a reader sees as the link's text
	// Check is set on an artifact that shows the outcome of a check of
	// its run (porcupine's view of a history): CheckPassed or
	// CheckFailed. A writer may keep such views only where they matter
	// (reports.KeepChecks: the failing ones, and the first seed's).
	Check CheckOutcome
	// Write writes the file's content.
	Write func(io.Writer) error
}

// CheckOutcome is how the check an artifact shows came out; empty for an
// artifact that shows no check.
type CheckOutcome string

// The outcomes of a check an artifact shows.
const (
	CheckPassed CheckOutcome = "passed"
	CheckFailed CheckOutcome = "failed"
)

// File is a per-run artefact written beside the report.
type File struct {
	Label string `json:"label"`
	Path  string `json:"path"` // relative to the report folder
}

// Phase returns the summary of phase p, and whether the run has it.
func (r *Run) Phase(p Phase) (Summary, bool) {
	for _, s := range r.Phases {
		if s.Phase == p {
			return s, true
		}
	}
	return Summary{}, false
}

// SeriesNamed returns the series with that name, or nil.
func (r *Run) SeriesNamed(name string) *Series {
	for i := range r.Series {
		if r.Series[i].Name == name {
			return &r.Series[i]
		}
	}
	return nil
}

// summaryMetrics are the metric names a Summary answers to, with units.
var summaryMetrics = []struct {
	name, unit string
	get        func(*Summary) float64
}{
	{"requests", "", func(s *Summary) float64 { return float64(s.Requests) }},
	{"ok", "", func(s *Summary) float64 { return float64(s.OK) }},
	{"errors", "", func(s *Summary) float64 { return float64(s.Errors) }},
	{"timeouts", "", func(s *Summary) float64 { return float64(s.Timeouts) }},
	{"rejected", "", func(s *Summary) float64 { return float64(s.Rejected) }},
	{"shed", "", func(s *Summary) float64 { return float64(s.Shed) }},
	{"availability", "", func(s *Summary) float64 { return s.Availability }},
	{"error_rate", "", func(s *Summary) float64 { return s.ErrorRate }},
	{"goodput", "req/s", func(s *Summary) float64 { return s.Goodput }},
	{"throughput", "req/s", func(s *Summary) float64 { return s.Throughput }},
	{"fast_failures", "", func(s *Summary) float64 { return s.FastFailures }},
	{"p50", "ms", func(s *Summary) float64 { return s.Latency.P50 }},
	{"p95", "ms", func(s *Summary) float64 { return s.Latency.P95 }},
	{"p99", "ms", func(s *Summary) float64 { return s.Latency.P99 }},
	{"max", "ms", func(s *Summary) float64 { return s.Latency.Max }},
	{"mean", "ms", func(s *Summary) float64 { return s.Latency.Mean }},
	{"p50_all", "ms", func(s *Summary) float64 { return s.LatencyAll.P50 }},
	{"p95_all", "ms", func(s *Summary) float64 { return s.LatencyAll.P95 }},
	{"p99_all", "ms", func(s *Summary) float64 { return s.LatencyAll.P99 }},
	{"max_all", "ms", func(s *Summary) float64 { return s.LatencyAll.Max }},
	{"mean_all", "ms", func(s *Summary) float64 { return s.LatencyAll.Mean }},
}

// IsRatio reports whether a summary metric is a share in [0, 1].
func IsRatio(name string) bool {
	return name == "availability" || name == "error_rate" || name == "fast_failures"
}

// SummaryMetrics returns the names of the metrics every run has, in order.
func SummaryMetrics() []string {
	out := make([]string, len(summaryMetrics))
	for i, m := range summaryMetrics {
		out[i] = m.name
	}
	return out
}

// MetricUnit returns the unit of a summary metric ("ms", "req/s" or "").
func MetricUnit(name string) string {
	for _, m := range summaryMetrics {
		if m.name == name {
			return m.unit
		}
	}
	return ""
}

// Value returns metric name in phase p: a summary metric (p99, availability,
// ...) or, for phase All, a model-specific metric.
func (r *Run) Value(name string, p Phase) (float64, error) {
	for _, m := range summaryMetrics {
		if m.name != name {
			continue
		}
		s, ok := r.Phase(p)
		if !ok {
			return 0, fmt.Errorf("run %s/seed %d has no phase %q", r.Variant, r.Seed, p)
		}
		return m.get(&s), nil
	}
	if v, ok := r.Metrics[name]; ok {
		if p != All {
			return 0, fmt.Errorf("metric %q is per run; it has no phase %q", name, p)
		}
		return v, nil
	}
	return 0, fmt.Errorf("unknown metric %q (known: %v)", name, r.MetricNames())
}

// MetricNames returns every metric name r answers to, sorted within groups.
func (r *Run) MetricNames() []string {
	names := SummaryMetrics()
	extra := make([]string, 0, len(r.Metrics))
	for k := range r.Metrics {
		extra = append(extra, k)
	}
	sort.Strings(extra)
	return append(names, extra...)
}

// seconds is a helper for durations in the schema.
func seconds(d time.Duration) float64 { return d.Seconds() }
