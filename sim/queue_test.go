package sim

import (
	"cmp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"pgregory.net/rapid"
)

// TestCancelRemovesFromTheQueueProperty drives the kernel with random
// schedules, timers and cancels (many at the same instant) between the
// events it runs, and checks it against a plain list: the events that
// run are exactly the ones never cancelled, in (time, scheduling order);
// Len and NextAt count only live events; the heap holds nothing else,
// whether timers wait in the heap or outside it (a drawn window).
func TestCancelRemovesFromTheQueueProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		k := New(1)
		k.q.window = Time(rapid.IntRange(1, 40).Draw(rt, "window")) // timers wait in far, or not
		r, id := newRecorder(k)
		type ref struct {
			at  Time
			seq int64
			tm  Timer
		}
		var live []ref
		seq := int64(0)
		schedule := func(at Time, timer bool) {
			seq++
			var tm Timer
			if timer {
				tm = k.ScheduleTimer(at, id, 0, seq, 0)
			} else {
				k.Schedule(at, id, 0, seq, 0)
			}
			live = append(live, ref{at: at, seq: seq, tm: tm})
		}
		var want []int64
		steps := rapid.IntRange(1, 300).Draw(rt, "steps")
		for i := range steps {
			switch rapid.IntRange(0, 4).Draw(rt, "op") {
			case 0, 1: // a timer, often at an instant already used
				schedule(k.Now()+Time(rapid.IntRange(0, 20).Draw(rt, "in")), true)
			case 2:
				schedule(k.Now()+Time(rapid.IntRange(0, 20).Draw(rt, "in")), false)
			case 3: // cancel one of the pending timers, or a stale one
				if len(live) == 0 {
					continue
				}
				j := rapid.IntRange(0, len(live)-1).Draw(rt, "victim")
				cancelled := k.Cancel(live[j].tm)
				if cancelled != (live[j].tm != Timer{}) {
					rt.Fatalf("step %d: Cancel of %+v reported %v", i, live[j], cancelled)
				}
				if cancelled {
					live = slices.Delete(live, j, j+1)
				}
			case 4: // run one event
				if len(live) == 0 {
					continue
				}
				slices.SortFunc(live, func(a, b ref) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq)) })
				want = append(want, live[0].seq)
				if k.Pending(live[0].tm) != (live[0].tm != Timer{}) {
					rt.Fatalf("step %d: a live timer is not pending", i)
				}
				live = live[1:]
				k.Step()
			}
			if k.Len() != len(live) || k.q.timers.Live() > k.Len() {
				rt.Fatalf("step %d: Len %d, %d armed timers, want %d live events", i, k.Len(), k.q.timers.Live(), len(live))
			}
			if len(live) > 0 {
				first := slices.MinFunc(live, func(a, b ref) int { return cmp.Compare(a.at, b.at) })
				if at, ok := k.NextAt(); !ok || at != first.at {
					rt.Fatalf("step %d: NextAt %v %v, want %v", i, at, ok, first.at)
				}
			}
		}
		slices.SortFunc(live, func(a, b ref) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq)) })
		for _, l := range live {
			want = append(want, l.seq)
		}
		k.Run()
		var got []int64
		for _, ev := range r.seen {
			got = append(got, ev.A)
		}
		if !slices.Equal(got, want) {
			rt.Fatalf("ran %v, want %v", got, want)
		}
	})
}

// TestRunUntilStopsAtCancelledTimers: a cancelled timer at or before t
// no longer makes RunUntil run a live event after t.
func TestRunUntilStopsAtCancelledTimers(t *testing.T) {
	k := New(1)
	r, id := newRecorder(k)
	tm := k.ScheduleTimer(10, id, 1, 0, 0)
	k.Schedule(50, id, 2, 0, 0)
	k.Cancel(tm)
	k.RunUntil(30)
	assert.Empty(t, r.kinds())
	assert.Equal(t, Time(30), k.Now())
	at, ok := k.NextAt()
	assert.True(t, ok)
	assert.Equal(t, Time(50), at, "NextAt skips nothing: the cancelled timer is gone")
}

// TestCancelledTimersLeaveNothingInTheQueue: many requests whose
// timeouts are cancelled long before they expire leave the queue at the
// size of what is live.
func TestCancelledTimersLeaveNothingInTheQueue(t *testing.T) {
	k := New(1)
	tm := &timerChurn{k: k}
	tm.id = k.Register("churn", tm)
	k.After(0, tm.id, 0, 0, 0)
	for range 100000 {
		k.Step()
	}
	assert.Equal(t, 2, k.Len(), "one timer and one next event")
	assert.Equal(t, 1, len(k.q.items), "the next event in the heap")
	assert.Equal(t, 1, len(k.q.far), "the timeout, a second away, outside it")
}

// burst schedules, for each of its first n events, one more at the same
// instant.
type burst struct {
	k    *Kernel
	id   HandlerID
	n    int64
	seen []int64
}

func (b *burst) HandleEvent(ev Event) {
	b.seen = append(b.seen, ev.A)
	if ev.A >= 0 && ev.A < b.n {
		b.k.Schedule(b.k.Now(), b.id, 0, ev.A+10000, 0)
	}
}

// TestBurstAtOneInstantRunsInOrder: thousands of events due at the same
// instant, many scheduled while others of that instant run, run in the
// order they were scheduled, before a later event and after an earlier
// timer of the same instant.
func TestBurstAtOneInstantRunsInOrder(t *testing.T) {
	k := New(1)
	b := &burst{k: k, n: 2500}
	b.id = k.Register("burst", b)
	k.ScheduleTimer(0, b.id, 0, -1, 0)
	var want []int64
	want = append(want, -1)
	for i := range int64(3000) {
		k.Schedule(0, b.id, 0, i, 0)
		want = append(want, i)
	}
	k.Schedule(1, b.id, 0, 99999, 0)
	for i := range int64(2500) {
		want = append(want, i+10000)
	}
	want = append(want, 99999)
	k.Run()
	assert.True(t, slices.Equal(want, b.seen), "ran %d events in another order", len(b.seen))
	assert.Zero(t, k.Len())
}
