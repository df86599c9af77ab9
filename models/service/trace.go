package service

import (
	"sort"

	"github.com/faultline-sim/faultline/sim"
)

// SpanKind says which side of a call a span records, as in OpenTelemetry.
type SpanKind uint8

// Span kinds, with OpenTelemetry's numbering.
const (
	SpanInternal SpanKind = 1 // a client's logical request, over its attempts
	SpanServer   SpanKind = 2 // an instance serving a request
	SpanClient   SpanKind = 3 // one attempt of a call
)

// Span is one timed operation of a sampled request. IDs are indexes into
// the tracer's spans plus one (0: none); Trace is the index of the trace.
type Span struct {
	Trace    int
	ID       int
	Parent   int
	Kind     SpanKind
	Name     string // "client", "gateway" (server), "gateway -> tier1" (client)
	Service  string // where it ran: a service, or a load client
	Instance string // the instance, for server spans
	Attempt  int    // for client spans: 1 for the first
	Start    sim.Time
	End      sim.Time
	Status   string // ok, error, timeout, rejected, reset, refused, expired
	Queued   sim.Time
}

// Tracer records the spans of sampled requests: a client decides to
// sample a request and opens its root span; the context (which span is
// the parent) travels with each message as deadlines do, in a table keyed
// by the caller's handler and request ID; instances and callers add their
// spans. A nil *Tracer records nothing. It never schedules events, so
// tracing does not change a run.
type Tracer struct {
	spans  []Span
	ctx    map[deadlineKey]int // request in flight -> its client span
	server map[deadlineKey]int // request at an instance -> its server span
	traces int
	limit  int
}

// NewTracer returns a tracer that keeps at most limit traces.
func NewTracer(limit int) *Tracer {
	return &Tracer{ctx: map[deadlineKey]int{}, server: map[deadlineKey]int{}, limit: limit}
}

// StartTrace opens the root span of a new trace for a client's request,
// or returns 0 when the tracer is full (or nil).
func (t *Tracer) StartTrace(client string, now sim.Time) int {
	if t == nil || t.traces >= t.limit {
		return 0
	}
	t.traces++
	return t.add(Span{Trace: t.traces, Kind: SpanInternal, Name: client, Service: client, Start: now})
}

// StartClient opens the span of one attempt of a call made within span
// parent (0: untraced, and so is the attempt) and leaves it as the
// context of caller's request id.
func (t *Tracer) StartClient(parent int, caller sim.HandlerID, id int64, from, to string, attempt int, now sim.Time) int {
	if t == nil || parent == 0 {
		return 0
	}
	p := &t.spans[parent-1]
	s := t.add(Span{Trace: p.Trace, Parent: parent, Kind: SpanClient, Name: from + " -> " + to, Service: from, Attempt: attempt, Start: now})
	t.ctx[deadlineKey{caller, id}] = s
	return s
}

// End closes span id (0 does nothing) with status.
func (t *Tracer) End(id int, now sim.Time, status string) {
	if t == nil || id == 0 {
		return
	}
	s := &t.spans[id-1]
	s.End, s.Status = now, status
}

// arrive opens the server span of request r at instance in, if its
// caller traced it.
func (t *Tracer) arrive(r Request, service, endpoint, instance string, now sim.Time) {
	if t == nil {
		return
	}
	parent, ok := t.ctx[deadlineKey{r.Caller, r.ID}]
	if !ok {
		return
	}
	name := service
	if endpoint != "" {
		name += "/" + endpoint
	}
	p := &t.spans[parent-1]
	t.server[deadlineKey{r.Caller, r.ID}] = t.add(Span{Trace: p.Trace, Parent: parent, Kind: SpanServer,
		Name: name, Service: service, Instance: instance, Start: now, Queued: -1})
}

// started marks when a worker took request r.
func (t *Tracer) started(r Request, now sim.Time) {
	if s := t.serverSpan(r); s != 0 {
		t.spans[s-1].Queued = now
	}
}

// serverSpan returns the server span of request r at its instance, or 0.
func (t *Tracer) serverSpan(r Request) int {
	if t == nil {
		return 0
	}
	return t.server[deadlineKey{r.Caller, r.ID}]
}

// answered closes the server span of request r.
func (t *Tracer) answered(r Request, st Status, now sim.Time) {
	if t == nil {
		return
	}
	k := deadlineKey{r.Caller, r.ID}
	delete(t.ctx, k) // as with deadlines: only requests lost on the way leave theirs
	if s, ok := t.server[k]; ok {
		t.End(s, now, st.String())
		delete(t.server, k)
	}
}

func (t *Tracer) add(s Span) int {
	s.ID = len(t.spans) + 1
	t.spans = append(t.spans, s)
	return s.ID
}

// Spans returns every span recorded, in the order they were opened.
func (t *Tracer) Spans() []Span {
	if t == nil {
		return nil
	}
	return t.spans
}

// Slowest returns the spans of the n slowest finished traces (by their
// root span's duration, ties by trace number), trace by trace.
func (t *Tracer) Slowest(n int) [][]Span {
	if t == nil {
		return nil
	}
	var roots []Span
	for _, s := range t.spans {
		if s.Kind == SpanInternal && s.End > 0 {
			roots = append(roots, s)
		}
	}
	sort.SliceStable(roots, func(i, j int) bool {
		di, dj := roots[i].End.Sub(roots[i].Start), roots[j].End.Sub(roots[j].Start)
		return di > dj || di == dj && roots[i].Trace < roots[j].Trace
	})
	if len(roots) > n {
		roots = roots[:n]
	}
	out := make([][]Span, len(roots))
	index := map[int]int{}
	for i, r := range roots {
		index[r.Trace] = i
	}
	for _, s := range t.spans {
		if i, ok := index[s.Trace]; ok {
			out[i] = append(out[i], s)
		}
	}
	return out
}
