package results

import (
	"encoding/json"
	"fmt"
	"io"
)

// Span is one timed operation of a traced request, in a run's own time
// (nanoseconds since the start of the run).
type Span struct {
	Trace    int    `json:"trace"`
	ID       int    `json:"id"`
	Parent   int    `json:"parent,omitempty"`
	Kind     string `json:"kind"` // request (a client's, over its attempts), server, client
	Name     string `json:"name"`
	Service  string `json:"service"`
	Instance string `json:"instance,omitempty"`
	Attempt  int    `json:"attempt,omitempty"`
	StartNs  int64  `json:"start_ns"`
	EndNs    int64  `json:"end_ns"`
	QueuedNs int64  `json:"queued_ns,omitempty"` // server: when a worker took it (-1: never)
	Status   string `json:"status"`
}

// otlp* mirror the OTLP/JSON encoding of an ExportTraceServiceRequest
// (opentelemetry-proto, JSON mapping): one resourceSpans per service.
type otlpRequest struct {
	ResourceSpans []otlpResourceSpans `json:"resourceSpans"`
}

type otlpResourceSpans struct {
	Resource   otlpResource     `json:"resource"`
	ScopeSpans []otlpScopeSpans `json:"scopeSpans"`
}

type otlpResource struct {
	Attributes []otlpKeyValue `json:"attributes"`
}

type otlpScopeSpans struct {
	Scope otlpScope  `json:"scope"`
	Spans []otlpSpan `json:"spans"`
}

type otlpScope struct {
	Name string `json:"name"`
}

type otlpSpan struct {
	TraceID           string         `json:"traceId"`
	SpanID            string         `json:"spanId"`
	ParentSpanID      string         `json:"parentSpanId,omitempty"`
	Name              string         `json:"name"`
	Kind              int            `json:"kind"`
	StartTimeUnixNano string         `json:"startTimeUnixNano"`
	EndTimeUnixNano   string         `json:"endTimeUnixNano"`
	Attributes        []otlpKeyValue `json:"attributes,omitempty"`
	Status            otlpStatus     `json:"status"`
}

type otlpKeyValue struct {
	Key   string    `json:"key"`
	Value otlpValue `json:"value"`
}

type otlpValue struct {
	StringValue *string `json:"stringValue,omitempty"`
	IntValue    *string `json:"intValue,omitempty"`
}

type otlpStatus struct {
	Code    int    `json:"code"` // 1 ok, 2 error
	Message string `json:"message,omitempty"`
}

var otlpKinds = map[string]int{"request": 1, "server": 2, "client": 3}

func str(k, v string) otlpKeyValue { return otlpKeyValue{Key: k, Value: otlpValue{StringValue: &v}} }

func integer(k string, v int64) otlpKeyValue {
	s := fmt.Sprint(v)
	return otlpKeyValue{Key: k, Value: otlpValue{IntValue: &s}}
}

// WriteOTLP writes spans as an OTLP/JSON trace export that tracing tools
// (Jaeger, Grafana Tempo, the OpenTelemetry collector's file receiver)
// read. Times are the run's virtual nanoseconds counted from base
// (nanoseconds since the Unix epoch), so that tools show them as dates;
// trace IDs combine the run's seed and the trace's number, so traces of
// different runs never collide.
func WriteOTLP(w io.Writer, spans []Span, seed uint64, base int64) error {
	byService := map[string]int{}
	var req otlpRequest
	for _, s := range spans {
		i, ok := byService[s.Service]
		if !ok {
			i = len(req.ResourceSpans)
			byService[s.Service] = i
			req.ResourceSpans = append(req.ResourceSpans, otlpResourceSpans{
				Resource:   otlpResource{Attributes: []otlpKeyValue{str("service.name", s.Service)}},
				ScopeSpans: []otlpScopeSpans{{Scope: otlpScope{Name: "faultline"}}},
			})
		}
		sp := otlpSpan{
			TraceID:           fmt.Sprintf("%016x%016x", seed, s.Trace),
			SpanID:            fmt.Sprintf("%016x", s.ID),
			Name:              s.Name,
			Kind:              otlpKinds[s.Kind],
			StartTimeUnixNano: fmt.Sprint(base + s.StartNs),
			EndTimeUnixNano:   fmt.Sprint(base + s.EndNs),
			Status:            otlpStatus{Code: 1},
			Attributes:        []otlpKeyValue{str("faultline.status", s.Status)},
		}
		if s.Parent != 0 {
			sp.ParentSpanID = fmt.Sprintf("%016x", s.Parent)
		}
		if s.Status != "ok" {
			sp.Status = otlpStatus{Code: 2, Message: s.Status}
		}
		if s.Instance != "" {
			sp.Attributes = append(sp.Attributes, str("service.instance.id", s.Instance))
		}
		if s.Attempt > 0 {
			sp.Attributes = append(sp.Attributes, integer("faultline.attempt", int64(s.Attempt)))
		}
		if s.QueuedNs > 0 {
			sp.Attributes = append(sp.Attributes, integer("faultline.queue_ns", s.QueuedNs-s.StartNs))
		}
		ss := &req.ResourceSpans[i].ScopeSpans[0]
		ss.Spans = append(ss.Spans, sp)
	}
	enc := json.NewEncoder(w)
	return enc.Encode(req)
}
