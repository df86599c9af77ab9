package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// mm1 is the smallest useful model: one FIFO server with Poisson arrivals
// and exponential service, enough to measure the kernel's own cost.
type mm1 struct {
	k        *Kernel
	id       HandlerID
	r        *rand.Rand
	lambda   float64
	mu       float64
	inSystem int
	served   int
}

const (
	mm1Arrive uint32 = iota
	mm1Depart
)

func newMM1(k *Kernel, name string, lambda, mu float64) *mm1 {
	m := &mm1{k: k, r: k.Stream(name), lambda: lambda, mu: mu}
	m.id = k.Register(name, m)
	k.After(Seconds(m.r.ExpFloat64()/lambda), m.id, mm1Arrive, 0, 0)
	return m
}

func (m *mm1) HandleEvent(ev Event) {
	switch ev.Kind {
	case mm1Arrive:
		m.inSystem++
		if m.inSystem == 1 {
			m.k.After(Seconds(m.r.ExpFloat64()/m.mu), m.id, mm1Depart, 0, 0)
		}
		m.k.After(Seconds(m.r.ExpFloat64()/m.lambda), m.id, mm1Arrive, 0, 0)
	case mm1Depart:
		m.inSystem--
		m.served++
		if m.inSystem > 0 {
			m.k.After(Seconds(m.r.ExpFloat64()/m.mu), m.id, mm1Depart, 0, 0)
		}
	}
}

// BenchmarkKernelMM1 runs one M/M/1 station (rho=0.8); one op is one event.
func BenchmarkKernelMM1(b *testing.B) {
	k := New(1)
	newMM1(k, "mm1", 0.8, 1)
	for range 10000 { // warm up: grow the heap and the trace buffers
		k.Step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		k.Step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkKernelManyQueues runs 1000 independent M/M/1 stations, which
// keeps about 2000 events pending; one op is one event.
func BenchmarkKernelManyQueues(b *testing.B) {
	k := New(1)
	for i := range 1000 {
		newMM1(k, fmt.Sprintf("station/%d", i), 0.8, 1)
	}
	for range 100000 {
		k.Step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		k.Step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(k.Len()), "pending")
}

// nullModel reschedules itself with a fixed delay and draws nothing: what
// is left is the kernel's own cost per event.
type nullModel struct {
	k  *Kernel
	id HandlerID
}

func (n *nullModel) HandleEvent(Event) { n.k.After(1000, n.id, 0, 0, 0) }

// BenchmarkKernelNull measures pop, dispatch, hash and push alone.
func BenchmarkKernelNull(b *testing.B) {
	k := New(1)
	for i := range 2 {
		n := &nullModel{k: k}
		n.id = k.Register(fmt.Sprintf("null/%d", i), n)
		k.After(time.Duration(1000+i), n.id, 0, 0, 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		k.Step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// timeoutModel is n clients, each with one request in flight at a time:
// it completes after an exponential time of mean 1 ms and arms a 1 s
// timeout that its completion cancels, as a service call does.
type timeoutModel struct {
	k      *Kernel
	id     HandlerID
	r      *rand.Rand
	timers []Timer
}

func (m *timeoutModel) HandleEvent(ev Event) {
	m.k.Cancel(m.timers[ev.A])
	m.send(ev.A)
}

func (m *timeoutModel) send(i int64) {
	m.timers[i] = m.k.AfterTimer(time.Second, m.id, 1, i, 0)
	m.k.After(Seconds(m.r.ExpFloat64()/1000), m.id, 0, i, 0)
}

// BenchmarkKernelTimeouts runs 100 clients whose timeouts are all
// cancelled long before they expire; one op is one event. With lazy
// cancellation the queue held about 100 000 dead timers for 200 live
// events.
func BenchmarkKernelTimeouts(b *testing.B) {
	k := New(1)
	m := &timeoutModel{k: k, r: k.Stream("timeouts"), timers: make([]Timer, 100)}
	m.id = k.Register("timeouts", m)
	for i := range int64(100) {
		m.send(i)
	}
	for range 200000 {
		k.Step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		k.Step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(k.q.len()), "queued")
}
