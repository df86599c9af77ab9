package chaos

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"faultline/scenarios"
)

// endpoint is a node of the real topology: a replica or a load client.
type endpoint struct {
	name    string
	replica int // index of the replica, or -1 for a client
	via     int // for a client: the replica it talks to
}

// cut is one direction of one fault: messages from From to To are lost
// (black-hole) or connections refused.
type cut struct{ from, to int } // indexes into the endpoints

// action is one change to one proxy, and its undo.
type action struct {
	proxy  string
	stream string // "upstream" or "downstream"; "" for disabling the proxy
	toxic  string
}

// appliedFault is what the engine did for one fault of the scenario.
type appliedFault struct {
	Index    int           `json:"index"` // from 1, in file order
	Label    string        `json:"label"`
	Target   string        `json:"target,omitempty"` // the node kv.leader resolved to
	Start    time.Duration `json:"start_ns"`         // when the last toxic was in place
	End      time.Duration `json:"end_ns"`           // when the last toxic was removed
	Actions  int           `json:"actions"`
	Majority []int         `json:"-"` // replicas on the side with a majority, if any
	Err      string        `json:"error,omitempty"`
}

// resolve returns the endpoint indexes a partition member names: a
// replica (kv-1), the store (kv: every replica), its leader (kv.leader)
// or a load client.
func resolve(eps []endpoint, store, member string, leader func() int) ([]int, string, error) {
	if member == store+".leader" {
		l := leader()
		if l < 0 {
			return nil, "", fmt.Errorf("isolate %s: no leader at the fault's start", member)
		}
		return []int{l}, eps[l].name, nil
	}
	var out []int
	for i, e := range eps {
		if e.name == member || (member == store && e.replica >= 0) {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, "", fmt.Errorf("partition member %q is neither a replica, the store nor a client", member)
	}
	return out, "", nil
}

// cuts returns the directions a partition cuts, and the member a
// kv.leader resolved to.
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

// actions turns cuts into proxy changes. A message from a to b travels
// upstream on proxy a→b or downstream on proxy b→a (the answer on a
// connection b opened); black-hole puts a timeout toxic with timeout 0
// on both, refuse disables proxy a→b.
func actions(cs []cut, eps []endpoint, mode, tag string) []action {
	seen := map[action]bool{}
	var out []action
	add := func(a action) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, c := range cs {
		a, b := eps[c.from], eps[c.to]
		var fwd, back []string // proxies a→b, b→a
		switch {
		case a.replica >= 0 && b.replica >= 0:
			fwd = []string{pairProxy(a.name, b.name, "raft"), pairProxy(a.name, b.name, "http")}
			back = []string{pairProxy(b.name, a.name, "raft"), pairProxy(b.name, a.name, "http")}
		case a.replica < 0 && b.replica == a.via:
			fwd = []string{clientProxy(a.name, b.name)}
		case b.replica < 0 && a.replica == b.via:
			back = []string{clientProxy(b.name, a.name)}
		}
		for _, p := range fwd {
			if mode == "refuse" {
				add(action{proxy: p})
			} else {
				add(action{proxy: p, stream: "upstream", toxic: tag + "-up"})
			}
		}
		if mode != "refuse" {
			for _, p := range back {
				add(action{proxy: p, stream: "downstream", toxic: tag + "-down"})
			}
		}
	}
	return out
}

// apply makes every change, in parallel batches; it returns the errors.
func (r *run) apply(ctx context.Context, as []action) error {
	return r.each(ctx, as, func(ctx context.Context, a action) error {
		if a.toxic == "" {
			return r.h.SetEnabled(ctx, a.proxy, false)
		}
		return r.h.AddToxic(ctx, a.proxy, a.toxic, "timeout", a.stream, map[string]any{"timeout": 0})
	})
}

// revert undoes every change; a failed revert is retried once.
func (r *run) revert(ctx context.Context, as []action) error {
	undo := func(ctx context.Context, a action) error {
		if a.toxic == "" {
			return r.h.SetEnabled(ctx, a.proxy, true)
		}
		return r.h.RemoveToxic(ctx, a.proxy, a.toxic)
	}
	return r.each(ctx, as, func(ctx context.Context, a action) error {
		if err := undo(ctx, a); err != nil {
			return undo(ctx, a)
		}
		return nil
	})
}

// each runs f on every action, 8 at a time, so a cut of tens of proxies
// lands within milliseconds.
func (r *run) each(ctx context.Context, as []action, f func(context.Context, action) error) error {
	errs := make([]error, len(as))
	sem := make(chan struct{}, 8)
	done := make(chan struct{})
	for i, a := range as {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; done <- struct{}{} }()
			errs[i] = f(ctx, a)
		}()
	}
	for range as {
		<-done
	}
	return errors.Join(errs...)
}

// majoritySide returns the replicas of the group that holds a majority of
// them, or nil.
func majoritySide(groups [][]int, eps []endpoint, replicas int) []int {
	for _, g := range groups {
		var rs []int
		for _, i := range g {
			if eps[i].replica >= 0 {
				rs = append(rs, eps[i].replica)
			}
		}
		if 2*len(rs) > replicas {
			return rs
		}
	}
	return nil
}

// checkFaults rejects the faults the real engine cannot run yet.
func checkFaults(sc *scenarios.Scenario) error {
	for i, f := range sc.Faults {
		if f.Type != "partition" {
			return fmt.Errorf("faults[%d]: fault type %s %w yet (only partition)", i, f.Type, ErrNoRealCounterpart)
		}
		if f.Isolate != "" && !strings.HasPrefix(f.Isolate, sc.Topology.Stores[0].Name) {
			names := false
			for _, l := range sc.Load {
				names = names || l.Name == f.Isolate
			}
			if !names {
				return fmt.Errorf("faults[%d]: isolate %s: only the store's replicas, its leader and load clients are real", i, f.Isolate)
			}
		}
	}
	return nil
}
