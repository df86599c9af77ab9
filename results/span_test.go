package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteOTLP: the export is OTLP/JSON as tools read it: spans grouped
// by service.name, 32-hex trace IDs, 16-hex span IDs, parents, kinds,
// times as decimal strings of Unix nanoseconds, error status on failure.
func TestWriteOTLP(t *testing.T) {
	spans := []Span{
		{Trace: 1, ID: 1, Kind: "request", Name: "client", Service: "client", StartNs: 0, EndNs: 5e6, Status: "ok"},
		{Trace: 1, ID: 2, Parent: 1, Kind: "server", Name: "api", Service: "api", Instance: "api-0", StartNs: 1e6, EndNs: 4e6, QueuedNs: 2e6, Status: "ok"},
		{Trace: 1, ID: 3, Parent: 2, Kind: "client", Name: "api -> db", Service: "api", Attempt: 2, StartNs: 2e6, EndNs: 3e6, Status: "timeout"},
	}
	var buf bytes.Buffer
	require.NoError(t, WriteOTLP(&buf, spans, 7, 1_000))
	var doc struct {
		ResourceSpans []struct {
			Resource struct {
				Attributes []struct {
					Key   string
					Value struct{ StringValue string }
				}
			}
			ScopeSpans []struct {
				Spans []struct {
					TraceID, SpanID, ParentSpanID, Name string
					Kind                                int
					StartTimeUnixNano, EndTimeUnixNano  string
					Status                              struct{ Code int }
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	require.Len(t, doc.ResourceSpans, 2, "one resource per service: client, api")
	assert.Equal(t, "service.name", doc.ResourceSpans[1].Resource.Attributes[0].Key)
	assert.Equal(t, "api", doc.ResourceSpans[1].Resource.Attributes[0].Value.StringValue)
	api := doc.ResourceSpans[1].ScopeSpans[0].Spans
	require.Len(t, api, 2)
	assert.Equal(t, "00000000000000070000000000000001", api[0].TraceID)
	assert.Equal(t, "0000000000000002", api[0].SpanID)
	assert.Equal(t, "0000000000000001", api[0].ParentSpanID)
	assert.Equal(t, 2, api[0].Kind, "server")
	assert.Equal(t, "1001000", api[0].StartTimeUnixNano)
	assert.Equal(t, 1, api[0].Status.Code)
	assert.Equal(t, 3, api[1].Kind, "client")
	assert.Equal(t, 2, api[1].Status.Code, "a timed-out attempt is an error")
}

// The whole document, as WriteOTLP wrote it before it streamed: the
// reference its output must equal byte for byte.
type otlpRequest struct {
	ResourceSpans []otlpResourceSpans `json:"resourceSpans"`
}

type otlpResourceSpans struct {
	Resource   otlpResource     `json:"resource"`
	ScopeSpans []otlpScopeSpans `json:"scopeSpans"`
}

type otlpScopeSpans struct {
	Scope struct {
		Name string `json:"name"`
	} `json:"scope"`
	Spans []otlpSpan `json:"spans"`
}

func otlpDocument(spans []Span, seed uint64, base int64) []byte {
	var req otlpRequest
	byService := map[string]int{}
	for _, s := range spans {
		i, ok := byService[s.Service]
		if !ok {
			i = len(req.ResourceSpans)
			byService[s.Service] = i
			rs := otlpResourceSpans{Resource: otlpResource{Attributes: []otlpKeyValue{str("service.name", s.Service)}},
				ScopeSpans: []otlpScopeSpans{{}}}
			rs.ScopeSpans[0].Scope.Name = "faultline"
			req.ResourceSpans = append(req.ResourceSpans, rs)
		}
		ss := &req.ResourceSpans[i].ScopeSpans[0]
		ss.Spans = append(ss.Spans, otlpSpanOf(s, seed, base))
	}
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(req)
	return buf.Bytes()
}

// TestWriteOTLPIsTheWholeDocument: written span by span, the export is
// byte for byte the document encoded at once, services interleaved,
// escaping, every optional field, and no spans at all included.
func TestWriteOTLPIsTheWholeDocument(t *testing.T) {
	var spans []Span
	services := []string{"gateway", "api", "db<&>", "api"}
	for i := range 500 {
		s := Span{Trace: i / 7, ID: i + 1, Parent: i / 2, Kind: []string{"request", "server", "client"}[i%3],
			Name: fmt.Sprintf("call %d -> next", i), Service: services[i%len(services)], StartNs: int64(i) * 1000,
			EndNs: int64(i)*1000 + 500, Status: []string{"ok", "timeout", "ok", "error \"5xx\""}[i%4]}
		if i%5 == 0 {
			s.Instance, s.Attempt, s.QueuedNs = fmt.Sprintf("api-%d", i%3), i%3, s.StartNs+int64(i%2)*100
		}
		spans = append(spans, s)
	}
	for _, n := range []int{0, 1, len(spans)} {
		var buf bytes.Buffer
		require.NoError(t, WriteOTLP(&buf, spans[:n], 42, 1_700_000_000_000_000_000))
		assert.Equal(t, string(otlpDocument(spans[:n], 42, 1_700_000_000_000_000_000)), buf.String(), "%d spans", n)
	}
}

// BenchmarkWriteOTLP exports 100 000 spans of 50 services, as a large
// traced run's file: the allocations per export stay far below the
// file's size, since it is written span by span.
func BenchmarkWriteOTLP(b *testing.B) {
	spans := make([]Span, 100_000)
	for i := range spans {
		spans[i] = Span{Trace: i / 20, ID: i + 1, Parent: i, Kind: "server", Name: "call", Service: fmt.Sprintf("svc-%d", i%50),
			Instance: "svc-0", StartNs: int64(i) * 1000, EndNs: int64(i)*1000 + 500, Status: "ok"}
	}
	var n countingWriter
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteOTLP(&n, spans, 1, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/float64(b.N)/1e6, "MB/file")
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
