package raftkv

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/faultline-sim/faultline/chaos/kv"
	"github.com/faultline-sim/faultline/chaos/timeline"
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// Drive implements timeline.System: it runs every store client until the
// scenario's duration and waits for their last operations to end.
func (s *System) Drive(ctx context.Context) error {
	var wg sync.WaitGroup
	for ci := range s.clients {
		wg.Go(func() { s.client(ctx, ci) })
	}
	wg.Wait()
	return nil
}

// opSource draws a client's operations as the simulator's store.Workload
// does: the mix, the keys (uniform or zipf), unique values, and CAS
// expecting the last value the client read.
type opSource struct {
	mix   store.Mix
	rng   *rand.Rand
	zipf  *rand.Zipf
	index int
	seq   int64

	mu      sync.Mutex
	lastGet map[int]int64
}

func newOpSource(mix store.Mix, rng *rand.Rand, index int) *opSource {
	mix.SetDefaults()
	s := &opSource{mix: mix, rng: rng, index: index, lastGet: map[int]int64{}}
	if mix.Distribution == "zipf" {
		s.zipf = rand.NewZipf(rng, mix.ZipfS, 1, uint64(mix.Keys-1))
	}
	return s
}

func (s *opSource) draw() store.Op {
	m := s.mix
	u := s.rng.Float64() * (m.Read + m.Write + m.CAS)
	op := store.Op{Key: s.rng.IntN(m.Keys)}
	if s.zipf != nil {
		op.Key = int(s.zipf.Uint64())
	}
	s.seq++
	value := int64(s.index+1)<<40 | s.seq
	switch {
	case u < m.Read:
		op.Kind = store.Get
	case u < m.Read+m.Write:
		op.Kind, op.Value = store.Put, value
	default:
		s.mu.Lock()
		op.Kind, op.Value, op.Expect = store.CAS, value, s.lastGet[op.Key]
		s.mu.Unlock()
	}
	return op
}

func (s *opSource) saw(key int, v int64) {
	s.mu.Lock()
	s.lastGet[key] = v
	s.mu.Unlock()
}

// client sends client ci's operations open-loop: each at its intended
// time whatever the others are doing, with the deadline counted from that
// time, so a stall shows as latency (no coordinated omission).
func (s *System) client(ctx context.Context, ci int) {
	sc := s.env.Scenario
	l := &sc.Load[s.load[ci]]
	rng := rand.New(rand.NewPCG(s.env.Seed, uint64(ci)+1))
	src := newOpSource(*l.Ops, rng, ci)
	c := kv.NewClient(s.addrs[ci])
	defer c.Close()
	peak := l.Open.Max()
	if peak <= 0 {
		return
	}
	t0 := s.env.T0()
	sem := make(chan struct{}, maxInflight)
	var wg sync.WaitGroup
	defer wg.Wait()
	var t time.Duration
	for {
		t += sim.Seconds(rng.ExpFloat64() / peak)
		if t >= sc.Duration {
			return
		}
		// The schedule is read in the scenario's own (unscaled) time.
		if rng.Float64()*peak > l.Open.Rate(time.Duration(float64(t)/s.env.Scale)) {
			continue
		}
		op := src.draw()
		if !timeline.SleepUntil(ctx, t0.Add(t)) {
			return
		}
		rec := store.Record{Client: ci, Replica: s.via[ci], Kind: op.Kind, Key: op.Key, Value: op.Value, Expect: op.Expect, Invoke: sim.At(t)}
		select {
		case sem <- struct{}{}:
		default:
			rec.Return, rec.Outcome = rec.Invoke, store.Failed // shed: too many in flight
			s.record(rec)
			continue
		}
		deadline := t0.Add(t + l.Timeout)
		wg.Go(func() {
			defer func() { <-sem }()
			octx, cancel := context.WithDeadline(ctx, deadline)
			defer cancel()
			out, o := c.Do(octx, op)
			rec.Return = max(sim.At(time.Since(t0)), rec.Invoke)
			rec.Outcome, rec.Out = o, out
			if o == store.OK && op.Kind == store.Get {
				src.saw(op.Key, out)
			}
			s.record(rec)
		})
	}
}

// record keeps an operation in the history and tells the stop condition.
func (s *System) record(rec store.Record) {
	s.mu.Lock()
	s.history = append(s.history, rec)
	s.mu.Unlock()
	s.env.Ended(time.Duration(rec.Return), rec.Outcome != store.OK)
}
