package world

import (
	"fmt"

	"github.com/faultline-sim/faultline/sim"
)

// registry names the world's nodes for links and faults: a service or a
// store by its name (every instance or replica), one of them by name-i, a
// broker, its producers and consumers, and a load client by theirs; "*"
// (or nothing) is every node, in the order the nodes were created.
type registry struct {
	byName map[string][]sim.NodeID // lookup only: never ranged over
	all    []sim.NodeID
}

func newRegistry() *registry { return &registry{byName: map[string][]sim.NodeID{}} }

// add names one node.
func (r *registry) add(name string, n sim.NodeID) {
	r.byName[name] = []sim.NodeID{n}
	r.all = append(r.all, n)
}

// addGroup names nodes together by name and each by name-i.
func (r *registry) addGroup(name string, nodes []sim.NodeID) {
	for i := range nodes {
		r.addMember(name, nodes, i)
	}
}

// addMember names nodes[i], a new member of group name (whose members are
// now nodes), by name-i.
func (r *registry) addMember(name string, nodes []sim.NodeID, i int) {
	r.byName[name] = nodes
	r.byName[fmt.Sprintf("%s-%d", name, i)] = []sim.NodeID{nodes[i]}
	r.all = append(r.all, nodes[i])
}

// resolve returns the nodes a selector names; "*" is every node.
func (r *registry) resolve(sel string) []sim.NodeID {
	if sel == "*" || sel == "" {
		return r.all
	}
	return r.byName[sel]
}

// others returns every node not in nodes, in creation order.
func (r *registry) others(nodes []sim.NodeID) []sim.NodeID {
	in := map[sim.NodeID]bool{}
	for _, n := range nodes {
		in[n] = true
	}
	var out []sim.NodeID
	for _, n := range r.all {
		if !in[n] {
			out = append(out, n)
		}
	}
	return out
}
