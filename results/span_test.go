package results

import (
	"bytes"
	"encoding/json"
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
