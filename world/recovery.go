package world

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/store/raft"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
)

// recovery is the part that times how the stores recover from the
// faults: convergence (divergence back to 0 after the last fault ends)
// and failover (a Raft store's majority side of each cut led in a newer
// term), as the real engine measures them.
type recovery struct {
	e         *env
	stores    *stores
	converged []sim.Time         // per store: first time divergence was 0 after the last fault, or -1
	failovers map[string]float64 // metric name -> ms, -1 if none
}

// convergenceProbe is how often divergence is checked after the last fault
// ends, to time convergence.
const convergenceProbe = 10 * time.Millisecond

// failoverProbe is how often the replicas' roles are read during a
// partition, to time a failover; the real engine samples every 10 ms too.
const failoverProbe = 10 * time.Millisecond

func newRecovery(e *env, stores *stores) *recovery {
	r := &recovery{e: e, stores: stores, converged: make([]sim.Time, len(stores.list)), failovers: map[string]float64{}}
	for i := range r.converged {
		r.converged[i] = -1
	}
	return r
}

// start watches for convergence, then for the failovers.
func (r *recovery) start(sim.Time) {
	r.watchConvergence()
	r.watchFailovers()
}

// watchConvergence starts probing divergence when the last fault ends.
func (r *recovery) watchConvergence() {
	end := r.e.phases.During.End
	if len(r.e.sc.Faults) == 0 {
		return
	}
	k := r.e.k
	for i, s := range r.stores.list {
		var probe func()
		probe = func() {
			if s.cluster.Divergence() == 0 {
				r.converged[i] = k.Now()
				return
			}
			if k.Now() < sim.At(r.e.sc.Duration+s.cfg.Settle) {
				k.AfterFunc(convergenceProbe, probe)
			}
		}
		k.AtFunc(sim.At(end), probe)
	}
}

// watchFailovers times, for every partition of a Raft store that leaves
// one side with a majority of its replicas, how long after the cut a
// replica on that side led in a newer term (or kept leading, if the leader
// was on it): failover_ms_fault<i>, -1 if none did before the cut healed,
// as the real engine measures it.
func (r *recovery) watchFailovers() {
	for i := range r.e.sc.Faults {
		f := &r.e.sc.Faults[i]
		if f.Type != scenarios.FaultPartition {
			continue
		}
		for _, s := range r.stores.list {
			cl, ok := s.cluster.(*raft.Cluster)
			if !ok {
				continue
			}
			name := fmt.Sprintf("%sfailover_ms_fault%d", r.stores.prefix(s), i+1)
			r.failovers[name] = -1
			r.e.k.AtFunc(sim.At(f.At), func() { r.timeFailover(f, s, cl, name) })
		}
	}
}

// timeFailover starts watching the cut f makes now (the fault's own
// events, scheduled earlier, have applied it).
func (r *recovery) timeFailover(f *scenarios.Fault, s *storeRun, cl *raft.Cluster, name string) {
	majority := r.majoritySide(f, s, cl)
	if len(majority) == 0 {
		return
	}
	k := r.e.k
	start, term0, led := k.Now(), cl.Term(), cl.Leader()
	var probe func()
	probe = func() {
		for _, i := range majority {
			if ok, term := cl.Leads(i); ok && (term > term0 || i == led) {
				r.failovers[name] = float64(k.Now().Sub(start)) / float64(time.Millisecond)
				return
			}
		}
		if k.Now().Add(failoverProbe) <= sim.At(f.End()) {
			k.AfterFunc(failoverProbe, probe)
		}
	}
	probe()
}

// majoritySide returns the replicas on the side of cut f that holds a
// majority of them, or none.
func (r *recovery) majoritySide(f *scenarios.Fault, s *storeRun, cl *raft.Cluster) []int {
	nodes := s.cluster.Nodes()
	var sides [][]int
	switch {
	case f.Isolate != "":
		alone := r.e.nodes.resolve(f.Isolate)
		if strings.HasSuffix(f.Isolate, scenarios.LeaderSuffix) && cl.Leader() >= 0 {
			alone = []sim.NodeID{nodes[cl.Leader()]}
		}
		var in, out []int
		for i, n := range nodes {
			if slices.Contains(alone, n) {
				in = append(in, i)
			} else {
				out = append(out, i)
			}
		}
		sides = [][]int{in, out}
	default:
		for _, g := range f.Groups {
			var side []int
			for _, member := range g {
				for _, n := range r.e.nodes.resolve(member) {
					if i := slices.Index(nodes, n); i >= 0 && !slices.Contains(side, i) {
						side = append(side, i)
					}
				}
			}
			sides = append(sides, side)
		}
	}
	for _, side := range sides {
		if len(side) > len(nodes)/2 {
			return side
		}
	}
	return nil
}

// report adds every failover time, each Raft store's mean time to a new
// leader over the cuts of its leader, and, when the scenario has faults,
// each store's convergence_ms (from the end of the last fault, -1 if it
// never converged).
func (r *recovery) report(run *results.Run) {
	for name, ms := range r.failovers { // into a map: order does not matter
		run.Metrics[name] = ms
	}
	for _, s := range r.stores.list {
		if _, isRaft := s.cluster.(*raft.Cluster); !isRaft {
			continue
		}
		p := r.stores.prefix(s)
		if ms, ok := scenarios.LeaderFailoverMS(r.e.sc, s.cfg.Name, p, run.Metrics); ok {
			run.Metrics[p+scenarios.LeaderFailoverMetric] = ms
		}
	}
	if len(r.e.sc.Faults) == 0 {
		return
	}
	end := r.e.phases.During.End
	for i, s := range r.stores.list {
		conv := -1.0
		if r.converged[i] >= 0 {
			conv = float64(r.converged[i]-sim.At(end)) / 1e6
		}
		run.Metrics[r.stores.prefix(s)+"convergence_ms"] = conv
	}
}
