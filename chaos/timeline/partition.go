package timeline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/faultline-sim/faultline/chaos/proxy"
	"github.com/faultline-sim/faultline/scenarios"
)

// partitionGroups returns a partition's sides as nodes: isolate's and
// the rest, or each of groups.
func partitionGroups(f *scenarios.Fault, resolve resolver, all int) ([][]int, error) {
	if f.Isolate != "" {
		alone, err := resolve(f.Isolate)
		if err != nil {
			return nil, fmt.Errorf("isolate: %w", err)
		}
		var rest []int
		for i := range all {
			if !slices.Contains(alone, i) {
				rest = append(rest, i)
			}
		}
		return [][]int{alone, rest}, nil
	}
	var groups [][]int
	for gi, g := range f.Groups {
		var side []int
		for _, sel := range g {
			nodes, err := resolve(sel)
			if err != nil {
				return nil, fmt.Errorf("groups[%d]: %w", gi, err)
			}
			side = append(side, nodes...)
		}
		groups = append(groups, side)
	}
	return groups, nil
}

// partitionCut returns the directions a partition cuts: from a node of
// one group to a node of another (one_way: from the first group only); a
// node listed twice belongs to its first group.
func partitionCut(groups [][]int, oneWay bool) func(a, b int) bool {
	side := map[int]int{}
	for gi, g := range groups {
		for _, n := range g {
			if _, ok := side[n]; !ok {
				side[n] = gi
			}
		}
	}
	return func(a, b int) bool {
		ga, oka := side[a]
		gb, okb := side[b]
		return oka && okb && ga != gb && (!oneWay || ga == 0)
	}
}

// partitionActions turns a partition's groups into proxy changes.
// black-hole puts a timeout toxic with timeout 0 on every crossing
// stream; refuse disables every proxy whose requests cross (connections
// refused, the open ones dropped) and, as a proxy cannot refuse answers
// alone, black-holes the streams whose answers only cross (one_way). A
// stream shared by nodes on both sides (the instances of a caller share
// their proxies) cannot be cut for some of them: for an isolated node it
// is left alone (it gets no new requests to call on with), otherwise the
// partition has no real counterpart.
func (t *topo) partitionActions(f *scenarios.Fault, groups [][]int, tag string) ([]Change, []string, error) {
	full, partial := t.crossing(partitionCut(groups, f.OneWay))
	var notes []string
	switch {
	case len(partial) > 0 && f.Isolate == "":
		return nil, nil, fmt.Errorf("the partition separates some of the nodes that share %s: that %w", t.describe(partial, 3), ErrNoRealCounterpart)
	case len(partial) > 0:
		notes = append(notes, fmt.Sprintf("the isolated node's own connections through proxies it shares are not cut (it gets no new requests): %s", t.describe(partial, 6)))
	}
	if len(full) == 0 {
		notes = append(notes, "the partition crosses no proxy stream: nothing to do")
	}
	hole := t.toxicActions(full, tag, proxy.ToxicTimeout, 1, map[string]any{"timeout": 0})
	if f.Mode != scenarios.PartitionRefuse {
		return hole, notes, nil
	}
	var out []Change
	down := map[string]bool{}
	for _, a := range hole {
		if a.Stream == upstream && !down[a.Proxy] {
			down[a.Proxy] = true
			out = append(out, Change{Proxy: a.Proxy})
		}
	}
	var answers []string
	for _, a := range hole {
		if a.Stream == downstream && !down[a.Proxy] {
			out = append(out, a)
			answers = append(answers, a.Proxy)
		}
	}
	if len(answers) > 0 {
		notes = append(notes, fmt.Sprintf("refuse: the answers on %s are black-holed, not refused (a proxy refuses connections, not answers)", strings.Join(answers, ", ")))
	}
	return out, notes, nil
}

// partitionChanges cuts a partition's groups apart.
func partitionChanges(t *topo, f *scenarios.Fault, resolve resolver, tag string) ([]Change, []string, [][]int, error) {
	groups, err := partitionGroups(f, resolve, len(t.Nodes))
	if err != nil {
		return nil, nil, nil, err
	}
	cs, notes, err := t.partitionActions(f, groups, tag)
	return cs, notes, groups, err
}

// partitionWhat says what a partition becomes.
func partitionWhat(f *scenarios.Fault) string {
	if f.Mode == scenarios.PartitionRefuse {
		return "the proxies that carry the cut directions' requests disabled (connections refused)"
	}
	return "a timeout toxic (timeout 0: a black hole) on every proxy stream that carries a cut direction"
}
