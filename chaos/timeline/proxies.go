package timeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/faultline-sim/faultline/chaos/proxy"
)

// Toxiproxy's two directions of a proxy.
const (
	upstream   = proxy.Upstream   // the dialer's bytes: requests
	downstream = proxy.Downstream // the answers
)

// topo is a system's Spec with what the timeline derives from it.
type topo struct {
	Spec
	byName  map[string]int
	byGroup map[string][]int
}

func newTopo(s Spec) *topo {
	t := &topo{Spec: s, byName: map[string]int{}, byGroup: map[string][]int{}}
	for i, n := range s.Nodes {
		t.byName[n.Name] = i
		if n.Group != "" {
			t.byGroup[n.Group] = append(t.byGroup[n.Group], i)
		}
	}
	return t
}

// match resolves a selector that needs no live system: "" or "*" (every
// node), a node's name, or a group's (every node of it).
func (t *topo) match(sel string) ([]int, bool) {
	switch {
	case sel == "" || sel == "*":
		all := make([]int, len(t.Nodes))
		for i := range all {
			all[i] = i
		}
		return all, true
	case t.byGroup[sel] != nil:
		return t.byGroup[sel], true
	}
	i, ok := t.byName[sel]
	return []int{i}, ok
}

// isRole reports whether sel is resolved at a fault's start.
func (t *topo) isRole(sel string) bool { return slices.Contains(t.Roles, sel) }

// known checks, before the run, that sel names something of the system.
func (t *topo) known(sel string) error {
	if _, ok := t.match(sel); ok || t.isRole(sel) {
		return nil
	}
	var names []string
	for _, n := range t.Nodes {
		names = append(names, n.Name)
	}
	for g := range t.byGroup {
		names = append(names, g)
	}
	slices.Sort(names)
	names = append(names, t.Roles...)
	return fmt.Errorf("%q names no node of the real system (%s)", sel, strings.Join(names, ", "))
}

// stream is one direction of one proxy.
type stream struct {
	link int    // in Spec.Links
	dir  string // upstream or downstream
}

// crossing returns the proxy streams that carry messages from a to b for
// the pairs cut(a, b) says: a link's upstream carries its dialers'
// requests to its node, its downstream that node's answers to them.
// full streams carry only cut messages; partial ones carry cut and uncut
// ones (a link shared by dialers on both sides of the cut).
func (t *topo) crossing(cut func(a, b int) bool) (full, partial []stream) {
	for li, l := range t.Links {
		for _, dir := range []string{upstream, downstream} {
			n := 0
			for _, x := range l.From {
				if dir == upstream && cut(x, l.To) || dir == downstream && cut(l.To, x) {
					n++
				}
			}
			switch {
			case n == len(l.From) && n > 0:
				full = append(full, stream{li, dir})
			case n > 0:
				partial = append(partial, stream{li, dir})
			}
		}
	}
	return full, partial
}

// describe names streams for notes and plans: "kv-0.kv-1.raft
// (upstream)", at most max of them.
func (t *topo) describe(ss []stream, max int) string {
	var out []string
	for i, s := range ss {
		if i == max {
			out = append(out, fmt.Sprintf("and %d more", len(ss)-max))
			break
		}
		out = append(out, fmt.Sprintf("%s (%s)", t.Links[s.link].Name, s.dir))
	}
	return strings.Join(out, ", ")
}

// Change is one change a fault or a link setting makes to one proxy: a
// toxic added to one of its streams, or (Toxic "") the proxy disabled.
// Its undo is the toxic removed, or the proxy enabled again.
type Change struct {
	Proxy    string
	Stream   string // upstream or downstream; "" for disabling the proxy
	Toxic    string // the toxic's name
	Type     string // the toxic's Toxiproxy type
	Toxicity float64
	Attrs    map[string]any
}

// toxicActions puts one toxic on every stream, named tag-up or tag-down
// after the stream's direction.
func (t *topo) toxicActions(ss []stream, tag, typ string, toxicity float64, attrs map[string]any) []Change {
	out := make([]Change, 0, len(ss))
	for _, s := range ss {
		out = append(out, Change{Proxy: t.Links[s.link].Name, Stream: s.dir, Toxic: tag + "-" + strings.TrimSuffix(s.dir, "stream"),
			Type: typ, Toxicity: toxicity, Attrs: attrs})
	}
	return out
}

// changes makes and undoes a run's proxy changes through its harness.
type changes struct{ h *proxy.Harness }

// apply makes every change, in parallel batches; it returns the errors.
func (c changes) apply(ctx context.Context, as []Change) error {
	return each(ctx, as, func(ctx context.Context, a Change) error {
		if a.Toxic == "" {
			return c.h.SetEnabled(ctx, a.Proxy, false)
		}
		return c.h.AddToxic(ctx, a.Proxy, a.Toxic, a.Type, a.Stream, a.Toxicity, a.Attrs)
	})
}

// revertFunc returns the undo of as, which reverts with a fresh context
// (the run's may be done already).
func (c changes) revertFunc(as []Change) Revert {
	return func(bool) error { return c.revert(context.Background(), as) }
}

// revert undoes every change; a failed revert is retried once (each call
// is bounded by the harness, and Cleanup heals what is left).
func (c changes) revert(ctx context.Context, as []Change) error {
	undo := func(ctx context.Context, a Change) error {
		if a.Toxic == "" {
			return c.h.SetEnabled(ctx, a.Proxy, true)
		}
		return c.h.RemoveToxic(ctx, a.Proxy, a.Toxic)
	}
	return each(ctx, as, func(ctx context.Context, a Change) error {
		if err := undo(ctx, a); err != nil {
			return undo(ctx, a)
		}
		return nil
	})
}

// each runs f on every action, 8 at a time, so a cut of tens of proxies
// lands within milliseconds.
func each(ctx context.Context, as []Change, f func(context.Context, Change) error) error {
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
