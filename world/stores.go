package world

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/models/store/check"
	"github.com/faultline-sim/faultline/models/store/dynamo"
	"github.com/faultline-sim/faultline/models/store/raft"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
)

// storeRun is one replicated store in the world, its clients and the
// history they record.
type storeRun struct {
	cfg       *scenarios.Store
	cluster   store.Cluster
	ops       store.OpTable
	history   store.History
	clients   []*store.Workload
	names     []string // client names, by client index in the history
	converged sim.Time // first time divergence was 0 after the last fault, or -1
	probe     sim.HandlerID
}

// convergenceProbe is how often divergence is checked after the last fault
// ends, to time convergence.
const convergenceProbe = 10 * time.Millisecond

// checker checks store histories for linearizability. Operations with
// unknown outcomes can make the search exponential, so it is bounded, in
// search steps (check.DefaultSteps per key), not in seconds: past the
// bound a key is undecided (undecided_keys; linearizable -1 when no key
// is illegal), never a guess, and the same on any machine.
var checker = check.Checker{}

func (w *World) buildStores() error {
	for i := range w.sc.Topology.Stores {
		cfg := &w.sc.Topology.Stores[i]
		s := &storeRun{cfg: cfg, converged: -1}
		var err error
		switch cfg.Design {
		case scenarios.DesignRaft:
			var cl *raft.Cluster
			if cl, err = raft.New(w.k, w.net, cfg.Name, cfg.Replicas, &s.ops, cfg.Raft); err == nil {
				// A run starts from a cluster in service, with a leader
				// drawn from the seed, as a real run starts its load once
				// the first election is over.
				first := cfg.FirstLeaderIndex()
				if first < 0 {
					first = w.k.Stream("store/" + cfg.Name + "/first-leader").IntN(cfg.Replicas)
				}
				cl.StartWithLeader(first)
				s.cluster = cl
			}
		case scenarios.DesignQuorum:
			s.cluster, err = dynamo.New(w.k, w.net, cfg.Name, cfg.Replicas, &s.ops, cfg.Quorum)
		case scenarios.DesignAsync:
			s.cluster, err = dynamo.NewAsync(w.k, w.net, cfg.Name, cfg.Replicas, &s.ops, cfg.Async)
		default:
			err = fmt.Errorf("unknown design %q", cfg.Design)
		}
		if err != nil {
			return fmt.Errorf("topology.stores[%d]: %w", i, err)
		}
		w.stores = append(w.stores, s)
		w.byName[cfg.Name] = s.cluster.Nodes()
		for j, n := range s.cluster.Nodes() {
			w.byName[fmt.Sprintf("%s-%d", cfg.Name, j)] = []sim.NodeID{n}
			w.nodes = append(w.nodes, n)
		}
	}
	return nil
}

func (w *World) storeNamed(name string) *storeRun {
	for _, s := range w.stores {
		if s.cfg.Name == name {
			return s
		}
	}
	return nil
}

func (w *World) buildStoreClient(i int, node sim.NodeID, s *storeRun) error {
	l := &w.sc.Load[i]
	cfg := store.WorkloadConfig{Replica: w.sc.StoreClientReplica(i), Timeout: l.Timeout, Schedule: *l.Open, Mix: *l.Ops}
	c, err := store.NewWorkload(w.k, w.net, node, l.Name, len(s.clients), s.cluster, &s.ops, cfg, &s.history,
		func(start, end sim.Time, o store.Outcome) { w.observe(start, end, o.Result()) })
	if err != nil {
		return err
	}
	s.clients = append(s.clients, c)
	s.names = append(s.names, l.Name)
	return nil
}

func (s *storeRun) start(end sim.Time) {
	for _, c := range s.clients {
		c.Start(end)
	}
}

// settle is the longest settle time of the world's stores.
func (w *World) settle() time.Duration {
	var d time.Duration
	for _, s := range w.stores {
		d = max(d, s.cfg.Settle)
	}
	return d
}

// prefix names a store's metrics when the world has several stores.
func (w *World) prefix(s *storeRun) string {
	if len(w.stores) == 1 {
		return ""
	}
	return strings.ReplaceAll(s.cfg.Name, "-", "_") + "_"
}

func (w *World) sampleStores(at time.Duration) {
	for _, s := range w.stores {
		p := w.prefix(s)
		w.rec.Set(p+"divergence", "keys", at, float64(s.cluster.Divergence()))
		s.cluster.Metrics(func(name string, v float64) { w.rec.Set(p+name, "", at, v) })
	}
}

// watchConvergence starts probing divergence when the last fault ends.
func (w *World) watchConvergence() {
	_, end := faultWindow(w.sc)
	if len(w.sc.Faults) == 0 {
		return
	}
	for _, s := range w.stores {
		s := s
		var probe func()
		probe = func() {
			if s.cluster.Divergence() == 0 {
				s.converged = w.k.Now()
				return
			}
			if w.k.Now() < sim.At(w.sc.Duration+s.cfg.Settle) {
				w.k.AfterFunc(convergenceProbe, probe)
			}
		}
		w.k.AtFunc(sim.At(end), probe)
	}
}

// checkStores checks every store's history and adds the verdicts to run.
func (w *World) checkStores(run *results.Run) error {
	_, end := faultWindow(w.sc)
	for _, s := range w.stores {
		p := w.prefix(s)
		metrics := checker.Metrics(s.history)
		for name, v := range metrics {
			run.Metrics[p+name] = v
		}
		run.Metrics[p+"divergence_at_end"] = float64(s.cluster.Divergence())
		if final, ok := s.finalValues(); ok {
			lost, _ := check.LostWrites(s.history, final)
			run.Metrics[p+"lost_writes"] = float64(lost)
		}
		if len(w.sc.Faults) > 0 {
			conv := -1.0
			if s.converged >= 0 {
				conv = float64(s.converged-sim.At(end)) / 1e6
			}
			run.Metrics[p+"convergence_ms"] = conv
		}
		for name, v := range check.SideAvailability(s.history, s.names, w.checkWindows(), int64(w.sc.Duration)) {
			run.Metrics[p+name] = v
		}
		w.visualize(run, s)
	}
	return nil
}

// checkWindows returns the faults' windows, in the order of the file.
func (w *World) checkWindows() []check.Window {
	out := make([]check.Window, len(w.sc.Faults))
	for i, f := range w.sc.Faults {
		out[i] = check.Window{Start: int64(f.At), End: int64(f.End())}
	}
	return out
}

// visualize adds porcupine's view of the history as an artifact.
func (w *World) visualize(run *results.Run, s *storeRun) {
	history := s.history
	run.Artifacts = append(run.Artifacts, results.Artifact{
		Name:  fmt.Sprintf("porcupine-%s-%s-seed%d.html", s.cfg.Name, w.caseName, w.k.Seed()),
		Label: "linearizability of " + s.cfg.Name + " (porcupine)",
		Write: func(out io.Writer) error {
			if err := checker.WritePage(out, history); err != nil {
				return fmt.Errorf("porcupine visualisation: %w", err)
			}
			return nil
		},
	})
}

// valuer is implemented by designs that expose each replica's value.
type valuer interface {
	Value(replica, key int) (value, version int64)
}

// finalValues returns each key's value at the end of the run: the value
// most replicas hold (ties to the lowest replica), so a replica that never
// caught up does not decide it.
func (s *storeRun) finalValues() (map[int]int64, bool) {
	v, ok := s.cluster.(valuer)
	if !ok {
		return nil, false
	}
	keys := 0
	for _, r := range s.history {
		keys = max(keys, r.Key+1)
	}
	final := make(map[int]int64, keys)
	n := len(s.cluster.Nodes())
	for key := range keys {
		votes := map[int64]int{}
		best, bestVotes := int64(0), -1
		for i := range n {
			val, _ := v.Value(i, key)
			votes[val]++
			if votes[val] > bestVotes {
				best, bestVotes = val, votes[val]
			}
		}
		final[key] = best
	}
	return final, true
}
