package results

import (
	"bufio"
	"bytes"
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
// (opentelemetry-proto, JSON mapping): one resourceSpans per service, each
// {"resource": otlpResource, "scopeSpans": [{"scope": {"name":
// "faultline"}, "spans": [otlpSpan...]}]}, which WriteOTLP writes around
// the encoded parts.
type otlpResource struct {
	Attributes []otlpKeyValue `json:"attributes"`
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
//
// The export is one JSON document, with a resourceSpans entry per service
// in the order services first appear in spans, but it is written span by
// span as it is encoded: memory does not grow with the file.
func WriteOTLP(w io.Writer, spans []Span, seed uint64, base int64) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if len(spans) == 0 {
		bw.WriteString("{\"resourceSpans\":null}\n")
		return bw.Flush()
	}
	var services []string
	bySvc := map[string][]int32{} // service -> its spans' indexes
	for i, s := range spans {
		if _, ok := bySvc[s.Service]; !ok {
			services = append(services, s.Service)
		}
		bySvc[s.Service] = append(bySvc[s.Service], int32(i))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	encode := func(v any) error {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return err
	}
	bw.WriteString(`{"resourceSpans":[`)
	for si, svc := range services {
		if si > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(`{"resource":`)
		if err := encode(otlpResource{Attributes: []otlpKeyValue{str("service.name", svc)}}); err != nil {
			return err
		}
		bw.WriteString(`,"scopeSpans":[{"scope":{"name":"faultline"},"spans":[`)
		for j, i := range bySvc[svc] {
			if j > 0 {
				bw.WriteByte(',')
			}
			if err := encode(otlpSpanOf(spans[i], seed, base)); err != nil {
				return err
			}
		}
		bw.WriteString(`]}]}`)
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// otlpSpanOf is s in OTLP's form.
func otlpSpanOf(s Span, seed uint64, base int64) otlpSpan {
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
	return sp
}
