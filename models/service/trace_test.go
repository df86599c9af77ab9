package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/sim"
)

// TestTraceFollowsTheCallGraph: a traced request to a, which calls b and
// then c; b takes 50 ms and a's call times out after 30 ms, twice. The
// trace has one span per instance visit and per attempt, each under the
// right parent, with the times the run took; b's spans show that it
// served both attempts after a gave up.
func TestTraceFollowsTheCallGraph(t *testing.T) {
	retry := &resilience.RetryConfig{MaxAttempts: 2, Backoff: resilience.Backoff{Kind: "constant", Base: 10 * time.Millisecond, Jitter: "none"}}
	b := constService("b", 0.050)
	b.Workers = 2
	g := newGraph(t, 1, calling(constService("a", 0.001), Call{Service: "b", Timeout: 30 * time.Millisecond, Retry: retry}, Call{Service: "c"}), b, constService("c", 0.002))
	tr := NewTracer(10)
	for _, s := range g.svc {
		s.UseTracer(tr)
	}
	var root, attempt int
	g.k.AtFunc(0, func() {
		root = tr.StartTrace("client", 0)
		attempt = tr.StartClient(root, g.c.id, 1, "client", "a", 1, 0)
		g.c.send(g.svc["a"].Instance(0), 1)
	})
	g.k.Run()
	rep := g.c.reply(1)
	tr.End(attempt, rep.at, rep.status.String())
	tr.End(root, rep.at, rep.status.String())
	spans := tr.Spans()
	byName := map[string][]Span{}
	for _, s := range spans {
		byName[s.Name] = append(byName[s.Name], s)
	}
	require.Len(t, byName["a"], 1, "one server span at a")
	a := byName["a"][0]
	assert.Equal(t, attempt, a.Parent)
	assert.Equal(t, "a-0", a.Instance)
	require.Len(t, byName["a -> b"], 2, "two attempts to b")
	for i, s := range byName["a -> b"] {
		assert.Equal(t, a.ID, s.Parent)
		assert.Equal(t, i+1, s.Attempt)
		assert.Equal(t, "timeout", s.Status)
		assert.Equal(t, 30*time.Millisecond, s.End.Sub(s.Start))
	}
	require.Len(t, byName["b"], 2, "b served both attempts, after their callers gave up")
	assert.Equal(t, "ok", byName["b"][0].Status)
	assert.Empty(t, byName["a -> c"], "sequential: c is not called after b failed")
	assert.Equal(t, "error", a.Status)
	for _, s := range spans {
		assert.Equal(t, 1, s.Trace)
		assert.GreaterOrEqual(t, s.End, s.Start, "span %s", s.Name)
	}
	assert.Equal(t, sim.At(1*time.Millisecond+30*time.Millisecond+10*time.Millisecond+30*time.Millisecond), a.End)
}

// TestUntracedRequestsLeaveNoSpans: without a root span nothing is
// recorded, and a full tracer starts no new trace.
func TestUntracedRequestsLeaveNoSpans(t *testing.T) {
	g := newGraph(t, 1, calling(constService("a", 0.001), Call{Service: "b"}), constService("b", 0.001))
	tr := NewTracer(1)
	for _, s := range g.svc {
		s.UseTracer(tr)
	}
	g.c.sendAt(0, g.svc["a"].Instance(0), 1)
	g.k.Run()
	assert.Empty(t, tr.Spans())
	assert.NotZero(t, tr.StartTrace("x", 0))
	assert.Zero(t, tr.StartTrace("y", 0), "the limit is one trace")
}
