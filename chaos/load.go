package chaos

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/faultline-sim/faultline/chaos/kv"
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// runLoad runs every store client until the scenario's duration and waits
// for their last operations to end.
func (r *run) runLoad(ctx context.Context) {
	var wg sync.WaitGroup
	for ci := range r.clients {
		wg.Add(1)
		go func() { defer wg.Done(); r.client(ctx, ci) }()
	}
	wg.Wait()
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
func (r *run) client(ctx context.Context, ci int) {
	l := &r.sc.Load[r.load[ci]]
	rng := rand.New(rand.NewPCG(r.seed, uint64(ci)+1))
	src := newOpSource(*l.Ops, rng, ci)
	c := kv.NewClient(r.addrs[ci])
	defer c.Close()
	peak := l.Open.Max()
	if peak <= 0 {
		return
	}
	sem := make(chan struct{}, maxInflight)
	var wg sync.WaitGroup
	defer wg.Wait()
	var t time.Duration
	for {
		t += sim.Seconds(rng.ExpFloat64() / peak)
		if t >= r.sc.Duration {
			return
		}
		// The schedule is read in the scenario's own (unscaled) time.
		if rng.Float64()*peak > l.Open.Rate(time.Duration(float64(t)/r.scale)) {
			continue
		}
		op := src.draw()
		wait(ctx, r.t0.Add(t))
		if ctx.Err() != nil {
			return
		}
		rec := store.Record{Client: ci, Replica: r.via[ci], Kind: op.Kind, Key: op.Key, Value: op.Value, Expect: op.Expect, Invoke: sim.At(t)}
		select {
		case sem <- struct{}{}:
		default:
			rec.Return, rec.Outcome = rec.Invoke, store.Failed // shed: too many in flight
			r.record(rec)
			continue
		}
		wg.Add(1)
		deadline := r.t0.Add(t + l.Timeout)
		go func() {
			defer func() { <-sem; wg.Done() }()
			octx, cancel := context.WithDeadline(ctx, deadline)
			defer cancel()
			out, o := c.Do(octx, op)
			rec.Return = max(sim.At(time.Since(r.t0)), rec.Invoke)
			rec.Outcome, rec.Out = o, out
			if o == store.OK && op.Kind == store.Get {
				src.saw(op.Key, out)
			}
			r.record(rec)
		}()
	}
}

func (r *run) record(rec store.Record) {
	r.mu.Lock()
	r.history = append(r.history, rec)
	if r.window != nil {
		r.window.Add(time.Duration(rec.Return), rec.Outcome != store.OK)
	}
	r.mu.Unlock()
}
