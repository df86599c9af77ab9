package world

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/store/raft"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
)

// failoverProbe is how often the replicas' roles are read during a
// partition, to time a failover; the real engine samples every 10 ms too.
const failoverProbe = 10 * time.Millisecond

// watchFailovers times, for every partition of a Raft store that leaves
// one side with a majority of its replicas, how long after the cut a
// replica on that side led in a newer term (or kept leading, if the leader
// was on it): failover_ms_fault<i>, -1 if none did before the cut healed,
// as the real engine measures it.
func (w *World) watchFailovers() {
	for i := range w.sc.Faults {
		f := &w.sc.Faults[i]
		if f.Type != scenarios.FaultPartition {
			continue
		}
		for _, s := range w.stores {
			cl, ok := s.cluster.(*raft.Cluster)
			if !ok {
				continue
			}
			name := fmt.Sprintf("%sfailover_ms_fault%d", w.prefix(s), i+1)
			w.failovers[name] = -1
			w.k.AtFunc(sim.At(f.At), func() { w.timeFailover(f, s, cl, name) })
		}
	}
}

// timeFailover starts watching the cut f makes now (the fault's own
// events, scheduled earlier, have applied it).
func (w *World) timeFailover(f *scenarios.Fault, s *storeRun, cl *raft.Cluster, name string) {
	majority := w.majoritySide(f, s, cl)
	if len(majority) == 0 {
		return
	}
	start, term0, led := w.k.Now(), cl.Term(), cl.Leader()
	var probe func()
	probe = func() {
		for _, i := range majority {
			if ok, term := cl.Leads(i); ok && (term > term0 || i == led) {
				w.failovers[name] = float64(w.k.Now().Sub(start)) / float64(time.Millisecond)
				return
			}
		}
		if w.k.Now().Add(failoverProbe) <= sim.At(f.End()) {
			w.k.AfterFunc(failoverProbe, probe)
		}
	}
	probe()
}

// majoritySide returns the replicas on the side of cut f that holds a
// majority of them, or none.
func (w *World) majoritySide(f *scenarios.Fault, s *storeRun, cl *raft.Cluster) []int {
	nodes := s.cluster.Nodes()
	var sides [][]int
	switch {
	case f.Isolate != "":
		alone := w.resolve(f.Isolate)
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
				for _, n := range w.resolve(member) {
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
