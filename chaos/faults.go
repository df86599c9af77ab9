package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/scenarios"
)

// endpoint is a node of the real topology: a replica or a load client.
type endpoint struct {
	name    string
	replica int // index of the replica, or -1 for a client
	via     int // for a client: the replica it talks to
}

// cut is one direction of one fault: messages from From to To are
// affected (lost, delayed, refused, ... as the fault says).
type cut struct{ from, to int } // indexes into the endpoints

// stream is one direction of one proxy.
type stream struct {
	proxy string
	dir   string // "upstream" (the dialer's bytes) or "downstream" (the answers)
}

// action is one change to one proxy, and its undo: a toxic added, or
// (toxic "") the proxy disabled.
type action struct {
	proxy    string
	stream   string // "upstream" or "downstream"; "" for disabling the proxy
	toxic    string
	typ      string // the toxic's Toxiproxy type
	toxicity float64
	attrs    map[string]any
}

// appliedFault is what the engine did for one fault of the scenario.
type appliedFault struct {
	Index    int           `json:"index"` // from 1, in file order
	Label    string        `json:"label"`
	Type     string        `json:"type"`
	Target   string        `json:"target,omitempty"` // the node(s) a selector resolved to at the fault's start
	Start    time.Duration `json:"start_ns"`         // when the last change was in place
	End      time.Duration `json:"end_ns"`           // when the last change was undone
	Actions  int           `json:"actions"`          // proxy changes or processes signalled
	Notes    []string      `json:"notes,omitempty"`  // how the real fault differs from the simulated one
	Majority []int         `json:"-"`                // replicas on the side with a majority, if any
	Err      string        `json:"error,omitempty"`
}

// streamsOf returns the proxy streams that carry messages from endpoint a
// to endpoint b. Every connection is opened by one side through its own
// proxy, so a's messages to b travel upstream on a's proxies to b (a's
// requests) and downstream on b's proxies to a (a's answers on the
// connections b opened). Pairs with no link (a client and a replica it
// does not talk to, two clients) have none.
func streamsOf(a, b endpoint) []stream {
	switch {
	case a.replica >= 0 && b.replica >= 0:
		return []stream{
			{pairProxy(a.name, b.name, "raft"), "upstream"}, {pairProxy(a.name, b.name, "http"), "upstream"},
			{pairProxy(b.name, a.name, "raft"), "downstream"}, {pairProxy(b.name, a.name, "http"), "downstream"},
		}
	case a.replica < 0 && b.replica == a.via:
		return []stream{{clientProxy(a.name, b.name), "upstream"}}
	case b.replica < 0 && a.replica == b.via:
		return []stream{{clientProxy(b.name, a.name), "downstream"}}
	}
	return nil
}

// resolve returns the endpoint indexes a node selector names: "" or "*"
// (every node), a replica (kv-1), the store (kv: every replica), its
// leader (kv.leader, resolved now) or a load client. The second result
// names what kv.leader resolved to.
func resolve(eps []endpoint, store, sel string, leader func() int) ([]int, string, error) {
	if sel == store+scenarios.LeaderSuffix {
		l := leader()
		if l < 0 {
			return nil, "", fmt.Errorf("%s: no leader at the fault's start", sel)
		}
		return []int{l}, eps[l].name, nil
	}
	var out []int
	for i, e := range eps {
		if sel == "" || sel == "*" || e.name == sel || (sel == store && e.replica >= 0) {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, "", fmt.Errorf("node %q is neither a replica, the store nor a load client", sel)
	}
	return out, "", nil
}

// toxicActions puts one toxic (type, toxicity, attributes) on every
// stream that carries the cuts' messages, once per stream, named tag-up
// or tag-down after the stream's direction.
func toxicActions(cs []cut, eps []endpoint, tag, typ string, toxicity float64, attrs map[string]any) []action {
	seen := map[stream]bool{}
	var out []action
	for _, c := range cs {
		for _, s := range streamsOf(eps[c.from], eps[c.to]) {
			if seen[s] {
				continue
			}
			seen[s] = true
			out = append(out, action{proxy: s.proxy, stream: s.dir, toxic: tag + "-" + strings.TrimSuffix(s.dir, "stream"),
				typ: typ, toxicity: toxicity, attrs: attrs})
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
		return r.h.AddToxic(ctx, a.proxy, a.toxic, a.typ, a.stream, a.toxicity, a.attrs)
	})
}

// revertFunc returns the undo of as, which reverts with a fresh context
// (the run's may be done already).
func (r *run) revertFunc(as []action) func(bool) error {
	return func(bool) error { return r.revert(context.Background(), as) }
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

// checkFaults rejects, before anything starts, the faults the real engine
// cannot run.
func checkFaults(sc *scenarios.Scenario) error {
	st := sc.Topology.Stores[0].Name
	known := func(sel string) bool {
		if sel == "" || sel == "*" || sel == st || sel == st+scenarios.LeaderSuffix || strings.HasPrefix(sel, st+"-") {
			return true
		}
		for _, l := range sc.Load {
			if l.Name == sel {
				return true
			}
		}
		return false
	}
	for i, f := range sc.Faults {
		if _, ok := faultKinds[f.Type]; !ok {
			return fmt.Errorf("faults[%d]: fault type %s %w yet", i, f.Type, ErrNoRealCounterpart)
		}
		sels := append([]string{f.Isolate, f.From, f.To}, f.Target)
		for _, g := range f.Groups {
			sels = append(sels, g...)
		}
		for _, s := range sels {
			if !known(s) {
				return fmt.Errorf("faults[%d]: %s: only the store's replicas, its leader and load clients are real", i, s)
			}
		}
		if (f.Type == "crash" || f.Type == "pause") && !strings.HasPrefix(f.Target, st) {
			return fmt.Errorf("faults[%d]: %s %s: only the store's replicas are processes here: %w", i, f.Type, f.Target, ErrNoRealCounterpart)
		}
	}
	return nil
}
