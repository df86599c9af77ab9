package sim

import (
	"container/heap"
	"math/rand/v2"
	"testing"
	"time"
)

// The baseline is the textbook design this kernel is measured against: a
// container/heap of pointers to events, one allocation per event, and a
// closure per event for dispatch. Same model, same draws.

type baseEvent struct {
	at  Time
	seq uint64
	fn  func()
}

type baseQueue []*baseEvent

func (q baseQueue) Len() int { return len(q) }
func (q baseQueue) Less(i, j int) bool {
	return q[i].at < q[j].at || (q[i].at == q[j].at && q[i].seq < q[j].seq)
}
func (q baseQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *baseQueue) Push(x any)   { *q = append(*q, x.(*baseEvent)) }
func (q *baseQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type baseKernel struct {
	now Time
	seq uint64
	q   baseQueue
}

func (k *baseKernel) after(d time.Duration, fn func()) {
	k.seq++
	heap.Push(&k.q, &baseEvent{at: k.now.Add(d), seq: k.seq, fn: fn})
}

func (k *baseKernel) step() {
	e := heap.Pop(&k.q).(*baseEvent)
	k.now = e.at
	e.fn()
}

func baseMM1(k *baseKernel, r *rand.Rand, lambda, mu float64) {
	inSystem := 0
	var arrive, depart func()
	depart = func() {
		inSystem--
		if inSystem > 0 {
			k.after(Seconds(r.ExpFloat64()/mu), depart)
		}
	}
	arrive = func() {
		inSystem++
		if inSystem == 1 {
			k.after(Seconds(r.ExpFloat64()/mu), depart)
		}
		k.after(Seconds(r.ExpFloat64()/lambda), arrive)
	}
	k.after(Seconds(r.ExpFloat64()/lambda), arrive)
}

func benchBaseline(b *testing.B, stations int) {
	k := &baseKernel{}
	for i := range stations {
		baseMM1(k, NewStream(1, "station/"+string(rune('a'+i%26))+string(rune(i))), 0.8, 1)
	}
	for range 100000 {
		k.step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		k.step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkBaselineMM1 is BenchmarkKernelMM1 on the textbook design.
func BenchmarkBaselineMM1(b *testing.B) { benchBaseline(b, 1) }

// BenchmarkBaselineManyQueues is BenchmarkKernelManyQueues on it.
func BenchmarkBaselineManyQueues(b *testing.B) { benchBaseline(b, 1000) }
