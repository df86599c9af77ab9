package sim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a handler that remembers what it saw.
type recorder struct {
	k    *Kernel
	seen []Event
	at   []Time
}

func (r *recorder) HandleEvent(ev Event) {
	r.seen = append(r.seen, ev)
	r.at = append(r.at, r.k.Now())
}

func (r *recorder) kinds() []uint32 {
	out := make([]uint32, len(r.seen))
	for i, ev := range r.seen {
		out[i] = ev.Kind
	}
	return out
}

func newRecorder(k *Kernel) (*recorder, HandlerID) {
	r := &recorder{k: k}
	return r, k.Register("recorder", r)
}

func TestEventsRunInTimeThenInsertionOrder(t *testing.T) {
	k := New(1)
	r, id := newRecorder(k)
	k.Schedule(30, id, 3, 0, 0)
	k.Schedule(10, id, 1, 0, 0)
	k.Schedule(20, id, 20, 0, 0)
	k.Schedule(20, id, 21, 0, 0) // same instant: after the one scheduled first
	k.Schedule(20, id, 22, 0, 0)
	k.Run()
	assert.Equal(t, []uint32{1, 20, 21, 22, 3}, r.kinds())
	assert.Equal(t, []Time{10, 20, 20, 20, 30}, r.at)
	assert.Equal(t, Time(30), k.Now())
	assert.Equal(t, uint64(5), k.Dispatched())
}

func TestHeapOrderUnderManyRandomEvents(t *testing.T) {
	k := New(7)
	r, id := newRecorder(k)
	rng := k.Stream("test")
	for i := range 20000 {
		k.Schedule(Time(rng.IntN(1000)), id, 0, int64(i), 0)
	}
	k.Run()
	require.Len(t, r.seen, 20000)
	for i := 1; i < len(r.seen); i++ {
		prev, cur := r.seen[i-1], r.seen[i]
		require.True(t, prev.At < cur.At || (prev.At == cur.At && prev.A < cur.A),
			"event %d (t=%d, #%d) ran after event (t=%d, #%d)", i, cur.At, cur.A, prev.At, prev.A)
	}
}

func TestCancelTimer(t *testing.T) {
	k := New(1)
	r, id := newRecorder(k)
	a := k.ScheduleTimer(10, id, 1, 0, 0)
	b := k.ScheduleTimer(20, id, 2, 0, 0)
	assert.True(t, k.Pending(a))
	assert.Equal(t, 2, k.Len())
	assert.True(t, k.Cancel(a))
	assert.False(t, k.Cancel(a), "second cancel is a no-op")
	assert.False(t, k.Pending(a))
	assert.Equal(t, 1, k.Len())
	c := k.ScheduleTimer(15, id, 3, 0, 0) // reuses a's slot
	k.Run()
	assert.Equal(t, []uint32{3, 2}, r.kinds())
	assert.False(t, k.Cancel(b), "cancel after firing is a no-op")
	assert.False(t, k.Pending(c))
	assert.False(t, k.Cancel(Timer{}), "zero timer is never pending")
	assert.Equal(t, 0, k.Len())
}

func TestAfterFuncAndCancel(t *testing.T) {
	k := New(1)
	var got []string
	k.AfterFunc(2*time.Second, func() { got = append(got, "b") })
	tm := k.AfterFunc(time.Second, func() { got = append(got, "never") })
	k.AfterFunc(time.Second, func() {
		got = append(got, "a")
		k.AfterFunc(0, func() { got = append(got, "a2") })
	})
	require.True(t, k.Cancel(tm))
	k.Run()
	assert.Equal(t, []string{"a", "a2", "b"}, got)
	assert.Equal(t, Time(2*time.Second), k.Now())
	assert.Nil(t, *k.funcs.fns.At(0), "closures are released after they run or are cancelled")
	assert.Zero(t, k.funcs.fns.Live())
}

func TestRunUntilAdvancesClockAndLeavesLaterEvents(t *testing.T) {
	k := New(1)
	r, id := newRecorder(k)
	k.Schedule(10, id, 1, 0, 0)
	k.Schedule(50, id, 2, 0, 0)
	k.RunUntil(30)
	assert.Equal(t, []uint32{1}, r.kinds())
	assert.Equal(t, Time(30), k.Now())
	assert.Equal(t, 1, k.Len())
	k.RunUntil(50) // events at exactly the limit run
	assert.Equal(t, []uint32{1, 2}, r.kinds())
}

func TestRunWhileAndStop(t *testing.T) {
	k := New(1)
	r, id := newRecorder(k)
	for i := range 10 {
		k.Schedule(Time(i), id, uint32(i), 0, 0)
	}
	k.RunWhile(func() bool { return len(r.seen) < 4 })
	assert.Len(t, r.seen, 4)
	stopper := &stopAt{k: k, kind: 6}
	sid := k.Register("stopper", stopper)
	k.Schedule(6, sid, 6, 0, 0)
	k.Run()
	assert.Equal(t, Time(6), k.Now(), "Stop returns after the current event")
	k.Run()
	assert.Len(t, r.seen, 10)
}

type stopAt struct {
	k    *Kernel
	kind uint32
}

func (s *stopAt) HandleEvent(ev Event) {
	if ev.Kind == s.kind {
		s.k.Stop()
	}
}

func TestSchedulingInThePastPanics(t *testing.T) {
	k := New(1)
	_, id := newRecorder(k)
	k.Schedule(10, id, 0, 0, 0)
	k.Run()
	assert.PanicsWithValue(t, "sim: event for recorder scheduled at t=5ns, before now t=10ns",
		func() { k.Schedule(5, id, 0, 0, 0) })
	assert.Panics(t, func() { k.Schedule(20, 99, 0, 0, 0) })
}

func TestStreamsAreStableByName(t *testing.T) {
	a := New(42)
	x1 := a.Stream("service/a").Uint64()
	b := New(42)
	b.Stream("service/zzz").Uint64() // another component drawing first...
	x2 := b.Stream("service/a").Uint64()
	assert.Equal(t, x1, x2, "...must not perturb service/a's stream")
	assert.NotEqual(t, x1, New(43).Stream("service/a").Uint64(), "seed 42 vs 43")
	assert.NotEqual(t, x1, New(42).Stream("service/b").Uint64(), "name a vs b")
	assert.Same(t, a.Stream("service/a"), a.Stream("service/a"))
}

func TestHashDependsOnEveryField(t *testing.T) {
	run := func(at Time, kind uint32, a, b int64) uint64 {
		k := New(1)
		_, id := newRecorder(k)
		k.Schedule(at, id, kind, a, b)
		k.Run()
		return k.Hash()
	}
	base := run(1, 2, 3, 4)
	assert.Equal(t, base, run(1, 2, 3, 4))
	for name, h := range map[string]uint64{
		"at": run(2, 2, 3, 4), "kind": run(1, 3, 3, 4),
		"a": run(1, 2, 4, 4), "b": run(1, 2, 3, 5), "a<->b": run(1, 2, 4, 3),
	} {
		assert.NotEqual(t, base, h, "changing %s must change the hash", name)
	}
}

type namedKinds struct{}

func (namedKinds) HandleEvent(Event)           {}
func (namedKinds) KindName(kind uint32) string { return []string{"arrive", "depart"}[kind] }

func TestTraceJSONLines(t *testing.T) {
	k := New(1)
	id := k.Register("station/0", namedKinds{})
	var buf bytes.Buffer
	k.SetTrace(&buf)
	k.Schedule(1500, id, 0, 3, -1)
	k.Schedule(2500, id, 1, 3, 0)
	k.Run()
	k.Record(id, 1, 7, 8)
	require.NoError(t, k.Flush())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3)
	assert.Equal(t, `{"n":1,"t":1500,"h":"station/0","kind":"arrive","a":3,"b":-1}`, lines[0])
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[2]), &rec))
	assert.Equal(t, true, rec["rec"])
	assert.Equal(t, "depart", rec["kind"])
}

func TestSecondsConversion(t *testing.T) {
	assert.Equal(t, 1500*time.Millisecond, Seconds(1.5))
	assert.Equal(t, time.Duration(0), Seconds(-3))
	assert.Equal(t, time.Duration(1), Seconds(0.6e-9))
	assert.Equal(t, time.Duration(1<<63-1), Seconds(1e300))
}

func TestKernelSteadyStateDoesNotAllocate(t *testing.T) {
	k := New(1)
	newMM1(k, "mm1", 0.8, 1)
	tm := &timerChurn{k: k}
	tm.id = k.Register("churn", tm)
	k.After(0, tm.id, 0, 0, 0)
	for range 10000 {
		k.Step()
	}
	allocs := testing.AllocsPerRun(1000, func() { k.Step() })
	assert.Zero(t, allocs)
}

// timerChurn arms a timeout and cancels it on every event, as a request
// with a deadline does.
type timerChurn struct {
	k  *Kernel
	id HandlerID
	t  Timer
}

func (c *timerChurn) HandleEvent(Event) {
	c.k.Cancel(c.t)
	c.t = c.k.AfterTimer(time.Second, c.id, 1, 0, 0)
	c.k.After(time.Millisecond, c.id, 0, 0, 0)
}

func TestNextAt(t *testing.T) {
	k := New(1)
	_, id := newRecorder(k)
	_, ok := k.NextAt()
	assert.False(t, ok)
	k.Schedule(40, id, 0, 0, 0)
	k.Schedule(30, id, 0, 0, 0)
	at, ok := k.NextAt()
	assert.True(t, ok)
	assert.Equal(t, Time(30), at)
}

func TestRunBatch(t *testing.T) {
	k := New(1)
	r, id := newRecorder(k)
	for i := range 5 {
		k.Schedule(Time(10*(i+1)), id, uint32(i), 0, 0)
	}
	assert.Equal(t, 2, k.RunBatch(100, 2), "at most n")
	assert.Equal(t, 2, k.RunBatch(45, 10), "only those due at or before t")
	assert.Equal(t, []uint32{0, 1, 2, 3}, r.kinds())
	assert.Equal(t, Time(40), k.Now(), "the clock stays at the last event run")
	assert.Equal(t, 1, k.RunBatch(MaxTime, 10))
	assert.Equal(t, 0, k.RunBatch(MaxTime, 10), "none left")
}
