package world

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"faultline/models/store"
	"faultline/models/store/check"
	"faultline/models/store/dynamo"
	"faultline/models/store/raft"
	"faultline/reports/results"
	"faultline/scenarios"
	"faultline/sim"

	"github.com/anishathalye/porcupine"
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

// linearizabilityTimeout bounds each of porcupine's passes over a store's
// history. Operations with unknown outcomes can make the search
// exponential; past the bound the verdict is "unknown" (metric -1), never
// a guess.
const linearizabilityTimeout = 2 * time.Second

func (w *World) buildStores() error {
	for i := range w.sc.Topology.Stores {
		cfg := &w.sc.Topology.Stores[i]
		s := &storeRun{cfg: cfg, converged: -1}
		var err error
		switch cfg.Design {
		case scenarios.DesignRaft:
			s.cluster, err = raft.New(w.k, w.net, cfg.Name, cfg.Replicas, &s.ops, cfg.Raft)
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
		func(start, end sim.Time, o store.Outcome) { w.observe(start, end, storeOutcome(o)) })
	if err != nil {
		return err
	}
	s.clients = append(s.clients, c)
	s.names = append(s.names, l.Name)
	return nil
}

func storeOutcome(o store.Outcome) results.Outcome {
	switch o {
	case store.OK:
		return results.OK
	case store.Failed:
		return results.Error
	}
	return results.Timeout // unknown: no answer, or an answer that does not say
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
	start, end := faultWindow(w.sc)
	for _, s := range w.stores {
		p := w.prefix(s)
		lin, info := check.Linearizable(s.history, linearizabilityTimeout)
		switch lin.Verdict {
		case check.VerdictLinearizable:
			run.Metrics[p+"linearizable"] = 1
		case check.VerdictIllegal:
			run.Metrics[p+"linearizable"] = 0
		default:
			run.Metrics[p+"linearizable"] = -1
		}
		run.Metrics[p+"nonlinearizable_keys"] = float64(len(lin.IllegalKeys))
		run.Metrics[p+"unknown_ops"] = float64(lin.UnknownOps)
		st := check.Stale(s.history)
		run.Metrics[p+"stale_reads"] = float64(st.StaleReads)
		run.Metrics[p+"stale_read_ratio"] = ratio(st.StaleReads, st.Reads)
		run.Metrics[p+"max_k_staleness"] = float64(st.MaxK)
		run.Metrics[p+"max_t_visibility_ms"] = float64(st.MaxTVisibility) / 1e6
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
		w.sideAvailability(run, s, p, start, end)
		if err := w.visualize(run, s, info); err != nil {
			return err
		}
	}
	return nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// sideAvailability adds each client's availability before, during and
// after the faults, and within each fault's own window, so a report can
// split availability by side of a partition: availability_during_<client>
// (ops invoked inside any fault window) and
// availability_fault<i>_<client> (i from 1, in the order of the file).
func (w *World) sideAvailability(run *results.Run, s *storeRun, p string, start, end time.Duration) {
	type window struct {
		name string
		ws   []check.Window
	}
	windows := []window{
		{"before", []check.Window{{Start: 0, End: int64(start)}}},
		{"during", w.faultWindows()},
		{"after", []check.Window{{Start: int64(end), End: int64(w.sc.Duration)}}},
	}
	for i, f := range w.sc.Faults {
		windows = append(windows, window{fmt.Sprintf("fault%d", i+1), []check.Window{{Start: int64(f.At), End: int64(f.End())}}})
	}
	for ci, name := range s.names {
		mine := func(c int) bool { return c == ci }
		for _, win := range windows {
			ok, total := 0, 0
			for _, cw := range win.ws {
				if cw.End > cw.Start {
					o, t := check.Availability(s.history, mine, cw)
					ok, total = ok+o, total+t
				}
			}
			if total > 0 {
				run.Metrics[fmt.Sprintf("%savailability_%s_%s", p, win.name, strings.ReplaceAll(name, "-", "_"))] = ratio(ok, total)
			}
		}
	}
}

// faultWindows returns the times inside at least one fault, as disjoint
// windows in order.
func (w *World) faultWindows() []check.Window {
	var out []check.Window
	for _, f := range w.sc.Faults {
		out = append(out, check.Window{Start: int64(f.At), End: int64(f.End())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	merged := out[:0]
	for _, cw := range out {
		if n := len(merged); n > 0 && cw.Start <= merged[n-1].End {
			merged[n-1].End = max(merged[n-1].End, cw.End)
			continue
		}
		merged = append(merged, cw)
	}
	return merged
}

// visualize writes porcupine's view of the history, when artifacts are on.
func (w *World) visualize(run *results.Run, s *storeRun, info porcupine.LinearizationInfo) error {
	if w.artifacts == "" {
		return nil
	}
	if err := os.MkdirAll(w.artifacts, 0o755); err != nil {
		return err
	}
	name := fmt.Sprintf("porcupine-%s-%s-seed%d.html", s.cfg.Name, w.caseName, w.k.Seed())
	path := filepath.Join(w.artifacts, name)
	if err := check.WriteVisualization(path, s.history, info); err != nil {
		return fmt.Errorf("porcupine visualisation: %w", err)
	}
	run.Files = append(run.Files, results.File{Label: "linearizability of " + s.cfg.Name + " (porcupine)", Path: name})
	return nil
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
