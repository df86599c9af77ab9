package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/sim"
)

// sagaGraph is an orchestrator calling pay, hold and ship in a saga, with
// refund and release undoing pay and hold.
func sagaGraph(t *testing.T, ship Call) (*graph, *Ledger) {
	t.Helper()
	orch := calling(constService("checkout", 0),
		Call{Service: "pay", Compensate: "refund", Timeout: 100 * time.Millisecond},
		Call{Service: "hold", Compensate: "release", Timeout: 100 * time.Millisecond},
		ship)
	orch.CallMode = Saga
	cfgs := []Config{orch, constService("pay", 0.010), constService("hold", 0.010), constService("ship", 0.010),
		constService("refund", 0.005), constService("release", 0.005)}
	k := sim.New(1)
	g := &graph{k: k, net: newNet(t, k), svc: map[string]*Service{}}
	l := NewLedger()
	for _, cfg := range cfgs {
		s, err := New(k, g.net, cfg)
		require.NoError(t, err)
		s.UseLedger(l)
		g.svc[cfg.Name] = s
	}
	for _, cfg := range cfgs {
		require.NoError(t, g.svc[cfg.Name].Connect(func(n string) *Service { return g.svc[n] }, nil))
	}
	g.c = &testCaller{t: t, k: k, net: g.net, node: g.net.AddNode("client")}
	g.c.id = k.Register("testCaller", g.c)
	return g, l
}

// TestSagaCompletes: three steps of 10 ms each; the inconsistency window
// runs from the first step's success to the last one's: 20 ms.
func TestSagaCompletes(t *testing.T) {
	g, l := sagaGraph(t, Call{Service: "ship", Timeout: 100 * time.Millisecond})
	g.c.sendAt(0, g.svc["checkout"].Instance(0), 1)
	g.k.Run()
	assert.Equal(t, StatusOK, g.c.reply(1).status)
	st := l.Stats(g.k.Now())
	assert.Equal(t, SagaStats{Started: 1, Completed: 1, Windows: []time.Duration{20 * time.Millisecond}}, st)
}

// TestSagaCompensatesInReverse: ship is down, so hold's release runs,
// then pay's refund, newest first; the request fails and the saga ends
// compensated, consistent.
func TestSagaCompensatesInReverse(t *testing.T) {
	g, l := sagaGraph(t, Call{Service: "ship", Timeout: 100 * time.Millisecond})
	g.svc["ship"].Crash(0)
	g.c.sendAt(0, g.svc["checkout"].Instance(0), 1)
	g.k.Run()
	rep := g.c.reply(1)
	assert.Equal(t, StatusError, rep.status)
	assert.Equal(t, sim.At(30*time.Millisecond), rep.at, "pay 10 + hold 10 + ship reset at once + release 5 + refund 5")
	assert.Equal(t, int64(1), g.svc["release"].Stats().Served)
	assert.Equal(t, int64(1), g.svc["refund"].Stats().Served)
	st := l.Stats(g.k.Now())
	assert.Equal(t, int64(1), st.Compensated)
	assert.Zero(t, st.OrphanedEffects)
	assert.Equal(t, []time.Duration{20 * time.Millisecond}, st.Windows)
}

// TestSagaLostAnswersDuplicateAndOrphan: ship's answers never reach the
// orchestrator (a one-way cut), but ship does the work. Retried 3 times
// without an idempotency key, ship applies the step 3 times (2
// duplicates); the orchestrator believes it failed and compensates the
// others, so ship's effect is orphaned. With an idempotency key the
// duplicates go, the orphan stays.
func TestSagaLostAnswersDuplicateAndOrphan(t *testing.T) {
	retry := &resilience.RetryConfig{MaxAttempts: 3, Backoff: resilience.Backoff{Kind: "constant", Base: 10 * time.Millisecond, Jitter: "none"}}
	for _, idem := range []bool{false, true} {
		g, l := sagaGraph(t, Call{Service: "ship", Timeout: 50 * time.Millisecond, Retry: retry, Idempotent: idem})
		_, err := g.net.Cut(sim.Partition{Groups: [][]sim.NodeID{g.svc["ship"].Nodes(), g.svc["checkout"].Nodes()}, OneWay: true, Mode: sim.BlackHole})
		require.NoError(t, err)
		g.c.sendAt(0, g.svc["checkout"].Instance(0), 1)
		g.k.Run()
		assert.Equal(t, StatusError, g.c.reply(1).status)
		st := l.Stats(g.k.Now())
		assert.Equal(t, int64(1), st.Compensated)
		assert.Equal(t, int64(1), st.OrphanedEffects)
		want := int64(2)
		if idem {
			want = 0
		}
		assert.Equal(t, want, st.DuplicateEffects, "idempotent %v", idem)
	}
}

// TestSagaStuck: the refund service is down, so the saga cannot undo pay
// after hold fails: it is stuck, inconsistent until the end.
func TestSagaStuck(t *testing.T) {
	g, l := sagaGraph(t, Call{Service: "ship", Timeout: 100 * time.Millisecond})
	g.svc["hold"].Crash(0)
	g.svc["refund"].Crash(0)
	g.c.sendAt(0, g.svc["checkout"].Instance(0), 1)
	g.k.AtFunc(sim.At(time.Second), func() {})
	g.k.Run()
	assert.Equal(t, StatusError, g.c.reply(1).status)
	st := l.Stats(sim.At(time.Second))
	assert.Equal(t, int64(1), st.Stuck)
	assert.Equal(t, []time.Duration{990 * time.Millisecond}, st.Windows, "from pay's success at 10 ms to the end")
}

// TestSagaCompensatesAStepThatTimedOut: with a cancel for the booking,
// the orchestrator undoes the timed-out step too: nothing is orphaned.
func TestSagaCompensatesAStepThatTimedOut(t *testing.T) {
	g, l := sagaGraph(t, Call{Service: "ship", Timeout: 50 * time.Millisecond, Compensate: "refund"})
	_, err := g.net.Cut(sim.Partition{Groups: [][]sim.NodeID{g.svc["ship"].Nodes(), g.svc["checkout"].Nodes()}, OneWay: true, Mode: sim.BlackHole})
	require.NoError(t, err)
	g.c.sendAt(0, g.svc["checkout"].Instance(0), 1)
	g.k.Run()
	assert.Equal(t, StatusError, g.c.reply(1).status)
	st := l.Stats(g.k.Now())
	assert.Zero(t, st.OrphanedEffects)
	assert.Equal(t, int64(2), g.svc["refund"].Stats().Served, "the booking's cancel and the payment's refund")
}
