package chaos

import (
	"context"
	"slices"

	"github.com/faultline-sim/faultline/scenarios"
)

// partitionFault cuts the groups apart: black-hole as a timeout toxic
// with timeout 0 on every stream carrying a cut direction, refuse as the
// proxies of the cut direction disabled.
func partitionFault(ctx context.Context, r *run, f *scenarios.Fault, tag string, af *appliedFault) (undo func(stopping bool) error, err error) {
	cs, target, groups, err := cuts(f, r.eps, r.st.Name, func() int { return r.leaderNow(ctx) })
	af.Target = target
	af.Majority = majoritySide(groups, r.eps, r.st.Replicas)
	if err != nil {
		return nil, err
	}
	as := partitionActions(cs, r.eps, f.Mode, tag)
	af.Actions = len(as)
	return r.revertFunc(as), r.apply(ctx, as)
}

// cuts returns the directions a partition cuts, the member a kv.leader
// resolved to, and the groups (endpoint indexes).
func cuts(f *scenarios.Fault, eps []endpoint, store string, leader func() int) ([]cut, string, [][]int, error) {
	var groups [][]int
	target := ""
	if f.Isolate != "" {
		alone, t, err := resolve(eps, store, f.Isolate, leader)
		if err != nil {
			return nil, "", nil, err
		}
		target = t
		var rest []int
		for i := range eps {
			if !slices.Contains(alone, i) {
				rest = append(rest, i)
			}
		}
		groups = [][]int{alone, rest}
	} else {
		for _, g := range f.Groups {
			var side []int
			for _, m := range g {
				idx, _, err := resolve(eps, store, m, leader)
				if err != nil {
					return nil, "", nil, err
				}
				side = append(side, idx...)
			}
			groups = append(groups, side)
		}
	}
	var out []cut
	for gi, a := range groups {
		for gj, b := range groups {
			if gi == gj || (f.OneWay && gi != 0) {
				continue
			}
			for _, x := range a {
				for _, y := range b {
					out = append(out, cut{x, y})
				}
			}
		}
	}
	return out, target, groups, nil
}

// partitionActions turns cuts into proxy changes: black-hole puts a
// timeout toxic with timeout 0 on every stream that carries a cut
// direction; refuse disables the proxies whose dialer is on the sending
// side (the upstream streams), so the sender's connections are refused.
func partitionActions(cs []cut, eps []endpoint, mode, tag string) []action {
	as := toxicActions(cs, eps, tag, "timeout", 1, map[string]any{"timeout": 0})
	if mode != "refuse" {
		return as
	}
	var out []action
	seen := map[string]bool{}
	for _, a := range as {
		if a.stream == "upstream" && !seen[a.proxy] {
			seen[a.proxy] = true
			out = append(out, action{proxy: a.proxy})
		}
	}
	return out
}
