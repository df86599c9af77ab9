package timeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/scenarios"
)

// Applied is what the timeline did for one fault of the scenario, for the
// run's fault log and the adapter's results.
type Applied struct {
	Index  int                 `json:"index"` // from 1, in file order
	Label  string              `json:"label"`
	Type   scenarios.FaultType `json:"type"`
	Target string              `json:"target,omitempty"` // the node a role resolved to at the fault's start
	// Start is when the last change was in place, End when the last was
	// undone, since the start of the load.
	Start   time.Duration `json:"start_ns"`
	End     time.Duration `json:"end_ns"`
	Actions int           `json:"actions"`         // proxy changes made or processes signalled
	Notes   []string      `json:"notes,omitempty"` // how the real fault differs from the simulated one
	// Sides are the groups of nodes that could still reach each other
	// while the fault held: a partition's groups, or the nodes a crash
	// or a pause left running; none for other faults.
	Sides [][]int `json:"-"`
	Err   string  `json:"error,omitempty"`
}

// faultRow is how the real engine applies one fault type: one row per
// type of the scenario language, whatever the system. A row either
// changes proxies (proxies) or acts on processes (process); a row with
// neither does nothing.
type faultRow struct {
	// what says, for a dry run, what the fault becomes.
	what func(f *scenarios.Fault) string
	// proxies returns the proxy changes of a fault, its notes and the
	// sides it cuts apart, its selectors resolved by resolve; tag names
	// its toxics.
	proxies func(t *topo, f *scenarios.Fault, resolve resolver, tag string) ([]Change, []string, [][]int, error)
	// process is System.Crash or System.Pause.
	process func(System, context.Context, []int) (Revert, error)
	// toxic is a link fault's toxic (what and proxies apply it); nil for
	// other faults.
	toxic toxicFunc
}

// resolver returns the nodes a selector names.
type resolver func(sel string) ([]int, error)

// faultTable is every fault type of the language as the real engine
// runs it, whatever the system: link faults as toxics on the proxy
// streams that carry the link, partitions as black holes or disabled
// proxies on the streams that cross them, crash and pause through the
// system, window as nothing. A test checks that it covers the language.
var faultTable = scenarios.FaultTable[faultRow]{
	{Type: scenarios.FaultPartition, Do: faultRow{what: partitionWhat, proxies: partitionChanges}},
	{Type: scenarios.FaultLatency, Do: linkRow(latencyToxic)},
	{Type: scenarios.FaultLoss, Do: linkRow(lossToxic)},
	{Type: scenarios.FaultBandwidth, Do: linkRow(bandwidthToxic)},
	{Type: scenarios.FaultTimeout, Do: linkRow(timeoutToxic)},
	{Type: scenarios.FaultResetPeer, Do: linkRow(resetPeerToxic)},
	{Type: scenarios.FaultSlowClose, Do: linkRow(slowCloseToxic)},
	{Type: scenarios.FaultSlicer, Do: linkRow(slicerToxic)},
	{Type: scenarios.FaultLimitData, Do: linkRow(limitDataToxic)},
	{Type: scenarios.FaultCrash, Do: faultRow{process: System.Crash, what: func(f *scenarios.Fault) string {
		return "SIGKILL to the process group of every process of " + f.Target + ", restarted as it was at the fault's end"
	}}},
	{Type: scenarios.FaultPause, Do: faultRow{process: System.Pause, what: func(f *scenarios.Fault) string {
		return "SIGSTOP to the process group of every process of " + f.Target + ", SIGCONT at the fault's end"
	}}},
	{Type: scenarios.FaultWindow, Do: faultRow{what: func(*scenarios.Fault) string { return "nothing (it marks a phase)" }}},
}

// linkRow is a link fault type's row: toxic on the proxy streams that
// carry the targeted links.
func linkRow(toxic toxicFunc) faultRow {
	return faultRow{
		toxic: toxic,
		what:  func(f *scenarios.Fault) string { return linkWhat(f, toxic) },
		proxies: func(t *topo, f *scenarios.Fault, resolve resolver, tag string) ([]Change, []string, [][]int, error) {
			return linkChanges(t, f, resolve, tag, toxic)
		},
	}
}

// rowOf returns the real engine's row for fault type t, if it has one.
func rowOf(t scenarios.FaultType) (faultRow, bool) {
	r, ok := faultTable.Lookup(t)
	return r.Do, ok && r.Implemented()
}

// selectors lists the node selectors a fault reads.
func selectors(f *scenarios.Fault) []string {
	return slices.Concat([]string{f.From, f.To, f.Isolate, f.Target}, slices.Concat(f.Groups...))
}

// static resolves selectors without the live system; a role names
// nothing.
func (t *topo) static(sel string) ([]int, error) {
	if nodes, ok := t.match(sel); ok {
		return nodes, nil
	}
	if t.isRole(sel) {
		return nil, fmt.Errorf("%s is resolved at the fault's start", sel)
	}
	return nil, t.known(sel)
}

// Changes returns the proxy changes fault f makes on a system of spec
// when it starts, with the notes on where they differ from the simulated
// fault. Selectors are resolved without the live system: a role (e.g.
// kv.leader) is an error. Crash, pause and window change no proxy.
func Changes(spec Spec, f *scenarios.Fault) ([]Change, []string, error) {
	t := newTopo(spec)
	row, ok := rowOf(f.Type)
	if !ok {
		return nil, nil, fmt.Errorf("fault type %s has %w", f.Type, ErrNoRealCounterpart)
	}
	if row.proxies == nil {
		return nil, nil, nil
	}
	cs, notes, _, err := row.proxies(t, f, t.static, "f")
	return cs, notes, err
}

// checkFaults rejects, before anything starts, the faults the real
// engine cannot run on this system: unknown types and selectors, a crash
// or a pause of what is not a process, and (when no role is involved) a
// cut the proxies cannot make.
func checkFaults(t *topo, faults []scenarios.Fault) error {
	for i := range faults {
		f := &faults[i]
		row, ok := rowOf(f.Type)
		if !ok {
			return fmt.Errorf("faults[%d]: fault type %s has %w yet", i, f.Type, ErrNoRealCounterpart)
		}
		if err := row.check(t, f); err != nil {
			return fmt.Errorf("faults[%d] (%s): %w", i, f.Type, err)
		}
	}
	return nil
}

// check is checkFaults for one fault.
func (row faultRow) check(t *topo, f *scenarios.Fault) error {
	sels := selectors(f)
	for _, s := range sels {
		if err := t.known(s); err != nil {
			return err
		}
	}
	if row.process != nil {
		nodes, _ := t.match(f.Target)
		for _, i := range nodes {
			if !t.Nodes[i].Process {
				return fmt.Errorf("target %s: %s is not a process the run started: %w", f.Target, t.Nodes[i].Name, ErrNoRealCounterpart)
			}
		}
	}
	if row.proxies != nil && t.roleNote(sels...) == "" {
		_, _, _, err := row.proxies(t, f, t.static, "check")
		return err
	}
	return nil
}

// how says, for a dry run, how fault f would be applied.
func (row faultRow) how(t *topo, f *scenarios.Fault) string {
	how := row.what(f)
	sels := selectors(f)
	if note := t.roleNote(sels...); note != "" || row.proxies == nil {
		return how + note
	}
	cs, notes, _, err := row.proxies(t, f, t.static, "f")
	if err != nil {
		return how + "; " + err.Error()
	}
	how += ": " + plural(len(cs), "proxy change")
	if len(cs) > 0 {
		how += " (" + describeChanges(cs, 6) + ")"
	}
	for _, n := range notes {
		how += "; note: " + n
	}
	return how
}

// plural says n things.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// describeChanges names changes for a plan: "api_db-0 upstream", "kv-0.kv-1.raft
// disabled", at most max of them.
func describeChanges(cs []Change, max int) string {
	var out []string
	for i, c := range cs {
		if i == max {
			out = append(out, fmt.Sprintf("and %d more", len(cs)-max))
			break
		}
		if c.Toxic == "" {
			out = append(out, c.Proxy+" disabled")
		} else {
			out = append(out, c.Proxy+" "+c.Stream)
		}
	}
	return strings.Join(out, ", ")
}

// apply puts fault fr in place and returns how to undo it. The undo may
// come with an error (a fault half in place): it is called all the same.
func (row faultRow) apply(ctx context.Context, fr *faultRun) (Revert, error) {
	switch {
	case row.proxies != nil:
		cs, notes, sides, err := row.proxies(fr.r.topo, fr.f, func(sel string) ([]int, error) { return fr.resolve(ctx, sel) }, fr.tag)
		if err != nil {
			return nil, err
		}
		fr.af.Notes = append(fr.af.Notes, notes...)
		fr.af.Sides, fr.af.Actions = sides, len(cs)
		return fr.r.changes.revertFunc(cs), fr.r.changes.apply(ctx, cs)
	case row.process != nil:
		nodes, err := fr.resolve(ctx, fr.f.Target)
		if err != nil {
			return nil, fmt.Errorf("target: %w", err)
		}
		var rest []int
		for i, n := range fr.r.topo.Nodes {
			if !n.Process && slices.Contains(nodes, i) {
				return nil, fmt.Errorf("target %s: %s is not a process", fr.f.Target, n.Name)
			}
			if !slices.Contains(nodes, i) {
				rest = append(rest, i)
			}
		}
		fr.af.Sides, fr.af.Actions = [][]int{rest}, len(nodes)
		return row.process(fr.r.sys, ctx, nodes)
	}
	return nil, nil
}

// faultRun is one fault being applied.
type faultRun struct {
	r   *run
	f   *scenarios.Fault
	tag string // names its toxics
	af  *Applied
}

// resolve returns the nodes a selector names, a role's at this moment.
func (fr *faultRun) resolve(ctx context.Context, sel string) ([]int, error) {
	t := fr.r.topo
	if t.isRole(sel) {
		i, err := fr.r.sys.Role(ctx, sel)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sel, err)
		}
		if i < 0 || i >= len(t.Nodes) {
			return nil, fmt.Errorf("%s: no node holds it at the fault's start", sel)
		}
		fr.af.Target = t.Nodes[i].Name
		return []int{i}, nil
	}
	return t.static(sel)
}

// roleNote says that a selector is resolved at the fault's start.
func (t *topo) roleNote(sels ...string) string {
	for _, s := range sels {
		if t.isRole(s) {
			return fmt.Sprintf(" (%s is whichever node holds that role at the fault's start)", s)
		}
	}
	return ""
}

// linkWhat says what a link fault becomes.
func linkWhat(f *scenarios.Fault, toxic toxicFunc) string {
	typ, toxicity, attrs, notes := toxic(f)
	how := fmt.Sprintf("Toxiproxy %s toxic %v, toxicity %g, on the streams from %s to %s", typ, attrs, toxicity, orAll(f.From), orAll(f.To))
	if f.TwoWay {
		how += " and back"
	}
	for _, n := range notes {
		how += "; note: " + n
	}
	return how
}

func orAll(sel string) string {
	if sel == "" {
		return "*"
	}
	return sel
}

// linkChanges puts the fault's toxic on every stream that carries
// messages from a node of from to one of to (and back with two_way); a
// stream shared with other dialers too, with a note.
func linkChanges(t *topo, f *scenarios.Fault, resolve resolver, tag string, toxic toxicFunc) ([]Change, []string, [][]int, error) {
	from, err := resolve(f.From)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("from: %w", err)
	}
	to, err := resolve(f.To)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("to: %w", err)
	}
	full, partial := t.crossing(directed(from, to, f.TwoWay))
	typ, toxicity, attrs, notes := toxic(f)
	if len(partial) > 0 {
		notes = append(notes, fmt.Sprintf("also acts on the other nodes that share these proxies with the selected ones (a caller's instances share their proxies): %s", t.describe(partial, 6)))
	}
	if len(full)+len(partial) == 0 {
		notes = append(notes, "no proxy stream carries messages between the selected nodes: nothing to do")
	}
	return t.toxicActions(append(full, partial...), tag, typ, toxicity, attrs), notes, nil, nil
}

// fault applies fault i at its time and undoes it at its end, or as soon
// as ctx (the faults') is done; the undo is registered before the first
// change. run is the run's context: when it is done the undo is told the
// run is stopping.
func (r *run) fault(ctx, run context.Context, i int) {
	f := &r.env.Scenario.Faults[i]
	if !SleepUntil(ctx, r.env.T0().Add(f.At)) {
		return
	}
	af := Applied{Index: i + 1, Label: f.Label(), Type: f.Type}
	var undo Revert
	defer func() {
		if undo != nil {
			if err := undo(run.Err() != nil); err != nil {
				af.Err = strings.TrimPrefix(af.Err+"; revert: "+err.Error(), "; ")
			}
		}
		af.End = r.env.Since()
		for _, n := range af.Notes {
			r.env.Note("faults[%d] (%s): %s", i, af.Label, n)
		}
		if af.Err != "" {
			r.env.Note("faults[%d] (%s): did not act as planned: %s", i, af.Label, af.Err)
		}
		r.mu.Lock()
		r.applied = append(r.applied, af)
		r.mu.Unlock()
	}()
	var err error
	row, _ := rowOf(f.Type) // checked before the run
	undo, err = row.apply(ctx, &faultRun{r: r, f: f, tag: fmt.Sprintf("f%d", i+1), af: &af})
	af.Start = r.env.Since()
	if err != nil {
		af.Err = err.Error()
		return
	}
	if r.opt.Hooks.FaultApplied != nil {
		r.opt.Hooks.FaultApplied(i + 1)
	}
	SleepUntil(ctx, r.env.T0().Add(f.End()))
}

// SleepUntil waits until t or until ctx is done, and reports whether t
// came first.
func SleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

// errStopCondition is the cause of the load and the faults ending early
// because the scenario's stop condition held.
var errStopCondition = errors.New("stop condition")
