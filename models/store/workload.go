package store

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/sim"
)

// Mix is what a store client asks for: the share of each operation and
// the keys it touches.
type Mix struct {
	Read         float64 `yaml:"read"`         // share of gets; the three shares need not sum to 1 (they are normalised)
	Write        float64 `yaml:"write"`        // share of puts
	CAS          float64 `yaml:"cas"`          // share of compare-and-sets
	Keys         int     `yaml:"keys"`         // number of keys, >= 1; default 10
	Distribution string  `yaml:"distribution"` // "uniform" (default) or "zipf"
	ZipfS        float64 `yaml:"zipf_s"`       // zipf exponent s > 1; default 1.1
}

// SetDefaults fills zero fields: half reads, half writes, 10 uniform keys.
func (m *Mix) SetDefaults() {
	if m.Read == 0 && m.Write == 0 && m.CAS == 0 {
		m.Read, m.Write = 0.5, 0.5
	}
	if m.Keys == 0 {
		m.Keys = 10
	}
	if m.Distribution == "" {
		m.Distribution = "uniform"
	}
	if m.Distribution == "zipf" && m.ZipfS == 0 {
		m.ZipfS = 1.1
	}
}

// Validate names the first field out of range (a *field.Error).
func (m Mix) Validate() error {
	switch {
	case m.Read < 0 || m.Write < 0 || m.CAS < 0 || !(m.Read+m.Write+m.CAS > 0):
		return field.Errorf("read", "read, write and cas must be >= 0 with a positive sum, got %v, %v, %v", m.Read, m.Write, m.CAS)
	case m.Keys < 1:
		return field.Errorf("keys", "must be >= 1, got %d", m.Keys)
	case m.Distribution != "uniform" && m.Distribution != "zipf":
		return field.Errorf("distribution", "must be uniform or zipf, got %q", m.Distribution)
	case m.Distribution == "zipf" && !(m.ZipfS > 1):
		return field.Errorf("zipf_s", "must be > 1, got %v", m.ZipfS)
	case m.Distribution == "uniform" && m.ZipfS != 0:
		return field.Errorf("zipf_s", "only read with distribution zipf")
	}
	return nil
}

// WorkloadConfig is one store client.
type WorkloadConfig struct {
	Replica  int           // the replica it sends every op to
	Timeout  time.Duration // client deadline per op, > 0
	Schedule load.Schedule // open-loop rate
	Mix      Mix
}

// Observer receives each op's outcome when the client learns it.
type Observer func(start, end sim.Time, o Outcome)

const (
	kindArrive  uint32 = 1
	kindTimeout uint32 = 2
	kindRefused uint32 = 3
)

// Workload is a client that sends a mix of operations to one replica at a
// Poisson rate and records every one in the history.
type Workload struct {
	k       *sim.Kernel
	net     *sim.Network
	node    sim.NodeID
	id      sim.HandlerID
	index   int
	cluster Cluster
	ops     *OpTable
	cfg     WorkloadConfig
	rng     *rand.Rand
	zipf    *rand.Zipf
	max     float64
	until   sim.Time
	observe Observer

	pending map[int32]*pendingOp // by op index (lookup only)
	seq     int64
	lastGet map[int]int64 // last value this client saw per key, for CAS
	history *History
}

type pendingOp struct {
	rec   Record
	timer sim.Timer
}

// NewWorkload creates client number index (its values are unique among
// clients) on node, sending to cluster's replica cfg.Replica, appending
// every finished op to history.
func NewWorkload(k *sim.Kernel, net *sim.Network, node sim.NodeID, name string, index int,
	cluster Cluster, ops *OpTable, cfg WorkloadConfig, history *History, observe Observer) (*Workload, error) {
	cfg.Mix.SetDefaults()
	if err := cfg.Mix.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Schedule.Validate(); err != nil {
		return nil, err
	}
	switch {
	case cfg.Timeout <= 0:
		return nil, field.Errorf("timeout", "must be > 0, got %v", cfg.Timeout)
	case cfg.Replica < 0 || cfg.Replica >= len(cluster.Nodes()):
		return nil, fmt.Errorf("replica %d: must be in [0, %d)", cfg.Replica, len(cluster.Nodes()))
	}
	w := &Workload{k: k, net: net, node: node, index: index, cluster: cluster, ops: ops, cfg: cfg,
		rng: k.Stream("store-client/" + name), max: cfg.Schedule.Max(), observe: observe,
		pending: map[int32]*pendingOp{}, lastGet: map[int]int64{}, history: history}
	if cfg.Mix.Distribution == "zipf" {
		w.zipf = rand.NewZipf(w.rng, cfg.Mix.ZipfS, 1, uint64(cfg.Mix.Keys-1))
	}
	w.id = k.Register("store-client/"+name, w)
	return w, nil
}

// Start schedules arrivals in [now, until).
func (w *Workload) Start(until sim.Time) {
	w.until = until
	w.next()
}

// next schedules the next arrival by thinning: candidates at the
// schedule's maximum rate, each kept with probability rate(t)/max.
func (w *Workload) next() {
	if w.max <= 0 {
		return
	}
	t := w.k.Now()
	for {
		t = t.Add(sim.Seconds(w.rng.ExpFloat64() / w.max))
		if t >= w.until {
			return
		}
		if w.rng.Float64()*w.max <= w.cfg.Schedule.Rate(time.Duration(t)) {
			w.k.Schedule(t, w.id, kindArrive, 0, 0)
			return
		}
	}
}

func (w *Workload) key() int {
	if w.zipf != nil {
		return int(w.zipf.Uint64())
	}
	return w.rng.IntN(w.cfg.Mix.Keys)
}

func (w *Workload) draw() Op {
	m := w.cfg.Mix
	u := w.rng.Float64() * (m.Read + m.Write + m.CAS)
	op := Op{Key: w.key()}
	w.seq++
	value := int64(w.index+1)<<40 | w.seq
	switch {
	case u < m.Read:
		op.Kind = Get
	case u < m.Read+m.Write:
		op.Kind, op.Value = Put, value
	default:
		op.Kind, op.Value, op.Expect = CAS, value, w.lastGet[op.Key]
	}
	return op
}

// HandleEvent sends ops, takes replies and times out.
func (w *Workload) HandleEvent(ev sim.Event) {
	switch ev.Kind {
	case kindArrive:
		w.send()
		w.next()
	case KindReply:
		w.reply(int32(ev.A))
	case kindTimeout:
		w.finish(int32(ev.A), Unknown)
	case kindRefused:
		w.finish(int32(ev.A), Failed)
	}
}

func (w *Workload) send() {
	op := w.draw()
	i := w.ops.Put(op)
	now := w.k.Now()
	p := &pendingOp{rec: Record{Client: w.index, Replica: w.cfg.Replica, Kind: op.Kind, Key: op.Key,
		Value: op.Value, Expect: op.Expect, Invoke: now}}
	p.timer = w.k.AfterTimer(w.cfg.Timeout, w.id, kindTimeout, int64(i), 0)
	w.pending[i] = p
	r := w.cfg.Replica
	w.net.Send(sim.Message{From: w.node, To: w.cluster.Nodes()[r], Size: 128,
		Deliver: sim.Target{H: w.cluster.Handler(r), Kind: KindOp, A: int64(i), B: Caller(w.node, w.id)},
		Refused: sim.Target{H: w.id, Kind: kindRefused, A: int64(i)}})
}

func (w *Workload) reply(i int32) {
	p, ok := w.pending[i]
	if !ok {
		return // late: the client already gave up
	}
	op := w.ops.At(i)
	switch op.Status {
	case StatusOK:
		p.rec.Out = op.Out
		if op.Kind == Get {
			w.lastGet[op.Key] = op.Out
		}
		w.finish(i, OK)
	case StatusUnavailable:
		w.finish(i, Failed)
	default:
		w.finish(i, Unknown)
	}
}

func (w *Workload) finish(i int32, o Outcome) {
	p, ok := w.pending[i]
	if !ok {
		return
	}
	delete(w.pending, i)
	w.k.Cancel(p.timer)
	p.rec.Return = w.k.Now()
	p.rec.Outcome = o
	*w.history = append(*w.history, p.rec)
	w.k.Record(w.id, uint32(o), int64(p.rec.Kind)<<32|int64(p.rec.Key), p.rec.Out)
	if w.observe != nil {
		w.observe(p.rec.Invoke, p.rec.Return, o)
	}
}
