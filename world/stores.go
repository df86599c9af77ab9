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

// stores is the part that holds the scenario's replicated stores
// (topology.stores), their replicas named in the registry, and the
// workloads of the load clients that target them. It starts the
// workloads; every interval it records each store's divergence and its
// design's own gauges; at the end it checks each store's history
// (linearizability, stale reads, lost writes, availability per side of
// each cut) and adds porcupine's view of it as an artifact.
type stores struct {
	e    *env
	list []*storeRun
}

// storeRun is one replicated store in the world, its clients and the
// history they record.
type storeRun struct {
	cfg     *scenarios.Store
	cluster store.Cluster
	ops     store.OpTable
	history store.History
	clients []*store.Workload
	names   []string // client names, by client index in the history
}

// checker checks store histories for linearizability. Operations with
// unknown outcomes can make the search exponential, so it is bounded, in
// search steps (check.DefaultSteps per key), not in seconds: past the
// bound a key is undecided (undecided_keys; linearizable -1 when no key
// is illegal), never a guess, and the same on any machine. Its pages show
// at most pageKeys keys, the non-linearizable first, so that a report stays
// a few megabytes however many keys and seeds it has.
var checker = check.Checker{PageKeys: pageKeys}

const pageKeys = 3

func buildStores(e *env) (*stores, error) {
	ss := &stores{e: e}
	for i := range e.sc.Topology.Stores {
		cfg := &e.sc.Topology.Stores[i]
		s := &storeRun{cfg: cfg}
		var err error
		if s.cluster, err = newCluster(e, cfg, &s.ops); err != nil {
			return nil, fmt.Errorf("topology.stores[%d]: %w", i, err)
		}
		ss.list = append(ss.list, s)
		e.nodes.addGroup(cfg.Name, s.cluster.Nodes())
	}
	return ss, nil
}

// newCluster creates the replicas of store cfg in its design.
func newCluster(e *env, cfg *scenarios.Store, ops *store.OpTable) (store.Cluster, error) {
	switch cfg.Design {
	case scenarios.DesignRaft:
		cl, err := raft.New(e.k, e.net, cfg.Name, cfg.Replicas, ops, cfg.Raft)
		if err != nil {
			return nil, err
		}
		// A run starts from a cluster in service, with a leader drawn
		// from the seed, as a real run starts its load once the first
		// election is over.
		first := cfg.FirstLeaderIndex()
		if first < 0 {
			first = e.k.Stream("store/" + cfg.Name + "/first-leader").IntN(cfg.Replicas)
		}
		cl.StartWithLeader(first)
		return cl, nil
	case scenarios.DesignQuorum:
		return dynamo.New(e.k, e.net, cfg.Name, cfg.Replicas, ops, cfg.Quorum)
	case scenarios.DesignAsync:
		return dynamo.NewAsync(e.k, e.net, cfg.Name, cfg.Replicas, ops, cfg.Async)
	}
	return nil, fmt.Errorf("unknown design %q", cfg.Design)
}

// named returns the store called name, or nil.
func (ss *stores) named(name string) *storeRun {
	for _, s := range ss.list {
		if s.cfg.Name == name {
			return s
		}
	}
	return nil
}

// empty reports whether the world has no store.
func (ss *stores) empty() bool { return len(ss.list) == 0 }

// addClient creates the workload of load client i (load[i]), on node,
// against store s.
func (ss *stores) addClient(i int, node sim.NodeID, s *storeRun) error {
	e := ss.e
	l := &e.sc.Load[i]
	cfg := store.WorkloadConfig{Replica: e.sc.StoreClientReplica(i), Timeout: l.Timeout, Schedule: *l.Open, Mix: *l.Ops}
	c, err := store.NewWorkload(e.k, e.net, node, l.Name, len(s.clients), s.cluster, &s.ops, cfg, &s.history,
		func(start, end sim.Time, o store.Outcome) { e.observe(start, end, o.Result()) })
	if err != nil {
		return err
	}
	s.clients = append(s.clients, c)
	s.names = append(s.names, l.Name)
	return nil
}

// start starts every store's workloads until end.
func (ss *stores) start(end sim.Time) {
	for _, s := range ss.list {
		for _, c := range s.clients {
			c.Start(end)
		}
	}
}

// settle is the longest settle time of the world's stores.
func (ss *stores) settle() time.Duration {
	var d time.Duration
	for _, s := range ss.list {
		d = max(d, s.cfg.Settle)
	}
	return d
}

// prefix names a store's metrics when the world has several stores.
func (ss *stores) prefix(s *storeRun) string {
	if len(ss.list) == 1 {
		return ""
	}
	return strings.ReplaceAll(s.cfg.Name, "-", "_") + "_"
}

// sample records each store's divergence and its design's gauges.
func (ss *stores) sample(at time.Duration) {
	for _, s := range ss.list {
		p := ss.prefix(s)
		ss.e.rec.Set(p+"divergence", "keys", at, float64(s.cluster.Divergence()))
		s.cluster.Metrics(func(name string, v float64) { ss.e.rec.Set(p+name, "", at, v) })
	}
}

// report checks every store's history and adds the verdicts to run.
func (ss *stores) report(run *results.Run) {
	for _, s := range ss.list {
		p := ss.prefix(s)
		metrics, lin := checker.Metrics(s.history)
		for name, v := range metrics {
			run.Metrics[p+name] = v
		}
		run.Metrics[p+"divergence_at_end"] = float64(s.cluster.Divergence())
		if final, ok := s.finalValues(); ok {
			lost, _ := check.LostWrites(s.history, final)
			run.Metrics[p+"lost_writes"] = float64(lost)
		}
		for name, v := range check.SideAvailability(s.history, s.names, ss.checkWindows(), int64(ss.e.sc.Duration)) {
			run.Metrics[p+name] = v
		}
		outcome := results.CheckPassed
		if metrics["linearizable"] != 1 { // not linearizable, or undecided
			outcome = results.CheckFailed
		}
		ss.visualize(run, s, lin, outcome)
	}
}

// checkWindows returns the faults' windows, in the order of the file.
func (ss *stores) checkWindows() []check.Window {
	out := make([]check.Window, len(ss.e.sc.Faults))
	for i, f := range ss.e.sc.Faults {
		out[i] = check.Window{Start: int64(f.At), End: int64(f.End())}
	}
	return out
}

// visualize adds porcupine's view of the history as an artifact.
func (ss *stores) visualize(run *results.Run, s *storeRun, lin check.Linearizability, outcome results.CheckOutcome) {
	history := s.history
	run.Artifacts = append(run.Artifacts, results.Artifact{
		Name:  fmt.Sprintf("porcupine-%s-%s-seed%d.html", s.cfg.Name, ss.e.caseName, ss.e.k.Seed()),
		Label: pageLabel(s.cfg.Name, lin),
		Check: outcome,
		Write: func(out io.Writer) error {
			if err := checker.WritePage(out, history, lin); err != nil {
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

// pageLabel says what a porcupine page shows.
func pageLabel(store string, lin check.Linearizability) string {
	if lin.Keys <= pageKeys {
		return "linearizability of " + store + " (porcupine)"
	}
	return fmt.Sprintf("linearizability of %s (porcupine: %d of its %d keys, the non-linearizable first)", store, pageKeys, lin.Keys)
}
