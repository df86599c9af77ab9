package search

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/world"

	"go.yaml.in/yaml/v3"
	"pgregory.net/rapid"
)

// Counterexample is a scenario whose own hypotheses fail on one seed,
// shrunk, ready to be written as a scenario file that replays it.
type Counterexample struct {
	// Scenario is the shrunk failing scenario, reduced to the variant that
	// failed; its Seed is the failing seed and Seeds is 1.
	Scenario *scenarios.Scenario
	// Seed is the failing seed.
	Seed uint64
	// Failed are the hypotheses that fail on the shrunk scenario.
	Failed []results.Verdict
	// TraceHash is the failing run's trace hash: a replay gives the same.
	TraceHash string
	// Cases is how many cases ran before the first violation (it included).
	Cases int
	// Shrinks is how many shrinking steps were accepted, and Tries how
	// many were run.
	Shrinks, Tries int
}

// Outcome is one case's verdict: the hypotheses that failed and the run
// of the first variant that failed (or of the first variant).
type Outcome struct {
	Failed []results.Verdict
	Run    results.Run
}

// Violated reports whether a hypothesis failed.
func (o Outcome) Violated() bool { return len(o.Failed) > 0 }

// Check runs every variant of sc on seed alone in the simulator and judges
// the scenario's hypotheses; only hypotheses that could be judged and
// failed count.
func Check(ctx context.Context, sc *scenarios.Scenario, seed uint64) (Outcome, error) {
	return check(ctx, sc, seed, 1)
}

// check is Check with up to parallel variants running at once.
func check(ctx context.Context, sc *scenarios.Scenario, seed uint64, parallel int) (Outcome, error) {
	rep, err := scenarios.Execute(ctx, sc, world.Engine{}, scenarios.Options{Seeds: 1, Seed: seed, Parallel: parallel})
	if err != nil {
		return Outcome{}, err
	}
	var out Outcome
	for _, v := range rep.Verdicts {
		// A hypothesis that cannot be judged (no requests in its phase,
		// say, once shrinking has removed the faults) is no evidence.
		if !v.Pass && v.Reason == "" {
			out.Failed = append(out.Failed, v)
		}
	}
	out.Run = rep.Runs[0]
	if out.Violated() {
		for _, r := range rep.Runs {
			if r.Variant == out.Failed[0].Variant {
				out.Run = r
			}
		}
	}
	return out, nil
}

// Run runs sc's first variant on seed in the simulator.
func Run(ctx context.Context, sc *scenarios.Scenario, seed uint64) (results.Run, error) {
	c, err := sc.Case(sc.VariantNames()[0])
	if err != nil {
		return results.Run{}, err
	}
	return world.Engine{}.Run(ctx, c, seed)
}

// Search looks for a violation of base's own hypotheses (its expect
// section) in budget cases: each case draws a run seed and, when base has
// faults, new start times and durations for them inside the run (types and
// targets are kept). The first violation is shrunk (fewer variants,
// fewer and shorter faults, a shorter run) and returned; nil when every
// case held. Everything drawn comes from seed, so a search replays.
//
// Up to parallel runs go at once: a case's variants (or, with one
// variant, several cases) and, while shrinking, candidates. The
// counterexample, and every count in it, is the one a serial search finds.
func Search(ctx context.Context, base *scenarios.Scenario, budget int, seed uint64, parallel int) (*Counterexample, error) {
	if len(base.Expect) == 0 {
		return nil, errors.New("search: the scenario has no hypotheses (expect) to violate")
	}
	// A case's variants run at once when it has several (no run is wasted
	// then); a scenario of one variant runs several cases at once.
	cases, variants := 1, parallel
	if c, err := base.Cases(); err == nil && len(c) == 1 {
		cases, variants = parallel, 1
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	return first(ctx, budget, cases, variants, func(i int) (*scenarios.Scenario, uint64) {
		sc := clone(base)
		if i > 0 { // the first case is the scenario as written
			jitterFaults(rng, sc)
		}
		runSeed := rng.Uint64()>>1 + 1
		if i == 0 {
			runSeed = base.Seed
		}
		return sc, runSeed
	})
}

// Find draws up to budget scenarios from gen (the i-th with
// gen.Example(seed+i), so a search replays) and checks each one's own
// hypotheses on a run seed drawn from seed; the first violation is shrunk
// and returned, nil when none was found. parallel is as for Search.
func Find(ctx context.Context, gen *rapid.Generator[*scenarios.Scenario], budget int, seed uint64, parallel int) (*Counterexample, error) {
	rng := rand.New(rand.NewPCG(seed, 0xf1d))
	return first(ctx, budget, parallel, 1, func(i int) (*scenarios.Scenario, uint64) {
		return gen.Example(int(seed) + i), rng.Uint64()>>1 + 1
	})
}

// first checks the cases draw(0), draw(1), ... up to budget, cases at
// once, each with up to variants of its variants at once, and shrinks the
// first (by index) that fails, with max(cases, variants) candidates at
// once. draw is called in index order on the caller's goroutine, so what
// it draws does not depend on cases; a later case that ran while an
// earlier one failed is dropped. Running variants at once wastes no run,
// so a search of a scenario with variants runs one case at a time.
func first(ctx context.Context, budget, cases, variants int, draw func(i int) (*scenarios.Scenario, uint64)) (*Counterexample, error) {
	type tried struct {
		sc    *scenarios.Scenario
		seed  uint64
		index int
		out   Outcome
		err   error
	}
	var stop *tried
	inOrder(ctx, budget, cases, func(i int) func(context.Context) tried {
		sc, seed := draw(i)
		return func(ctx context.Context) tried {
			out, err := check(ctx, sc, seed, variants)
			return tried{sc, seed, i, out, err}
		}
	}, func(t tried) bool {
		if t.err != nil || t.out.Violated() {
			stop = &t
		}
		return stop != nil
	})
	switch {
	case stop == nil:
		return nil, nil
	case stop.err != nil:
		return nil, stop.err
	}
	ce, err := shrink(ctx, stop.sc, stop.seed, stop.out, max(cases, variants))
	if ce != nil {
		ce.Cases = stop.index + 1
	}
	return ce, err
}

// inOrder runs job(0), job(1), ... up to n, up to parallel (at least 1)
// at once, and hands their results to take in index order until take
// returns true. job(i) is called in index order on the caller's
// goroutine and returns the work to run on a goroutine of its own; work
// still running when take stops is cancelled and its result dropped. With
// parallel 1 it is a plain loop.
func inOrder[T any](ctx context.Context, n, parallel int, job func(i int) func(context.Context) T, take func(T) bool) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()       // runs first: stops the work no longer wanted
	var running []chan T // in index order
	started := 0
	for i := range n {
		for ; started < n && started < i+max(parallel, 1); started++ {
			work, done := job(started), make(chan T, 1)
			wg.Go(func() { done <- work(ctx) })
			running = append(running, done)
		}
		v := <-running[0]
		running = running[1:]
		if take(v) {
			return
		}
	}
}

// jitterFaults draws each fault a new start and length inside the run,
// at least 100ms long (or the whole run if shorter).
func jitterFaults(rng *rand.Rand, sc *scenarios.Scenario) {
	minFor := min(100*time.Millisecond, sc.Duration)
	for i := range sc.Faults {
		f := &sc.Faults[i]
		f.At = time.Duration(rng.Int64N(int64(sc.Duration-minFor) + 1))
		f.For = minFor + time.Duration(rng.Int64N(int64(sc.Duration-f.At-minFor)+1))
	}
}

// clone deep-copies a scenario through its YAML form, the form a
// counterexample is written in.
func clone(sc *scenarios.Scenario) *scenarios.Scenario {
	b, err := yaml.Marshal(sc)
	if err != nil {
		panic(fmt.Sprintf("search: a scenario does not encode: %v", err))
	}
	out, err := scenarios.Parse(sc.File(), b)
	if err != nil {
		panic(fmt.Sprintf("search: a valid scenario does not decode: %v\n%s", err, b))
	}
	return out
}

// YAML is the counterexample as a scenario file.
func (c *Counterexample) YAML() ([]byte, error) {
	b, err := yaml.Marshal(c.Scenario)
	if err != nil {
		return nil, err
	}
	head := fmt.Sprintf("# Counterexample found by faultline's search: seed %d, trace hash %s.\n# Failing: %s\n# Replay: go run ./cmd/simulate -scenario <this file>\n",
		c.Seed, c.TraceHash, verdictList(c.Failed))
	return append([]byte(head), b...), nil
}

// WriteFile writes the counterexample as a scenario file that
// `simulate -scenario path` replays exactly.
func (c *Counterexample) WriteFile(path string) error {
	b, err := c.YAML()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// ReplayCommand is the command that replays the counterexample once it is
// written to path.
func ReplayCommand(path string) string {
	return "go run ./cmd/simulate -scenario " + path
}

// String summarises the counterexample in a line.
func (c *Counterexample) String() string {
	return fmt.Sprintf("seed %d: %s (after %d case(s); %d fault(s), %v, after %d of %d shrink tries)",
		c.Seed, verdictList(c.Failed), c.Cases, len(c.Scenario.Faults), c.Scenario.Duration, c.Shrinks, c.Tries)
}

func verdictList(vs []results.Verdict) string {
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("%s [%s]: got %g", v.Expr, v.Variant, v.Got)
	}
	return s
}

// shrink reduces a failing scenario greedily: every candidate runs on the
// same seed and is kept when one of the originally failing hypotheses still
// fails. Up to parallel candidates run at once, in order; the first that
// fails is kept, as one by one, and Tries counts the candidates up to it.
func shrink(ctx context.Context, sc *scenarios.Scenario, seed uint64, out Outcome, parallel int) (*Counterexample, error) {
	want := map[string]bool{}
	for _, v := range out.Failed {
		want[v.Expr] = true
	}
	ce := &Counterexample{Seed: seed}
	cur := onlyVariant(sc, out.Failed[0].Variant)
	cur.Seed, cur.Seeds = seed, 1
	for changed := true; changed && ce.Tries < maxShrinkTries; {
		changed = false
		var valid []*scenarios.Scenario
		for _, cand := range candidates(cur) {
			if cand.SetDefaults(); cand.Validate() == nil && loadable(cand) {
				valid = append(valid, cand)
			}
		}
		type tried struct {
			sc  *scenarios.Scenario
			out Outcome
			err error
		}
		try := func(cands []*scenarios.Scenario, parallel int) {
			inOrder(ctx, len(cands), parallel, func(i int) func(context.Context) tried {
				return func(ctx context.Context) tried {
					o, err := Check(ctx, cands[i], seed)
					return tried{cands[i], o, err}
				}
			}, func(t tried) bool {
				ce.Tries++
				if t.err == nil && slices.ContainsFunc(t.out.Failed, func(v results.Verdict) bool { return want[v.Expr] }) {
					cur, changed = t.sc, true // (an error: e.g. a phase the smaller case no longer has)
					ce.Shrinks++
				}
				return changed
			})
		}
		// The first candidate, the most aggressive, is kept most often:
		// it runs alone, and the others at once only if it is not.
		try(valid[:min(1, len(valid))], 1)
		if !changed {
			try(valid[min(1, len(valid)):], parallel)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	final, err := Check(ctx, cur, seed)
	if err != nil {
		return nil, err
	}
	if !final.Violated() {
		return nil, fmt.Errorf("search: seed %d: the shrunk scenario no longer fails (nondeterminism?)", seed)
	}
	ce.Scenario, ce.Failed, ce.TraceHash = clone(cur), final.Failed, final.Run.TraceHash
	return ce, nil
}

// maxShrinkTries bounds the runs spent shrinking one counterexample.
const maxShrinkTries = 200

// onlyVariant keeps the named variant and the hypotheses that apply to it.
func onlyVariant(sc *scenarios.Scenario, name string) *scenarios.Scenario {
	out := clone(sc)
	if len(out.Variants) > 0 {
		out.Variants = slices.DeleteFunc(out.Variants, func(v scenarios.Variant) bool { return v.Name != name })
	}
	out.Expect = slices.DeleteFunc(out.Expect, func(e scenarios.Expectation) bool {
		return e.Variant != "" && e.Variant != name
	})
	out.Sweep = nil
	return out
}

// candidates are the one-step reductions of sc, most aggressive first.
func candidates(sc *scenarios.Scenario) []*scenarios.Scenario {
	var out []*scenarios.Scenario
	add := func(edit func(*scenarios.Scenario)) {
		c := clone(sc)
		edit(c)
		dropLostHypotheses(c)
		out = append(out, c)
	}
	for i := range sc.Faults {
		add(func(c *scenarios.Scenario) { c.Faults = slices.Delete(c.Faults, i, i+1) })
	}
	if d := max(lastEnd(sc), sc.Duration/2, time.Second); d < sc.Duration {
		add(func(c *scenarios.Scenario) { c.Duration = d })
	}
	for i := range sc.Load {
		if len(sc.Load) > 1 {
			add(func(c *scenarios.Scenario) { dropClient(c, i) })
		}
	}
	for i, f := range sc.Faults {
		if f.For > 200*time.Millisecond {
			add(func(c *scenarios.Scenario) { c.Faults[i].For = f.For / 2 })
		}
	}
	for i, st := range sc.Topology.Stores {
		if st.Replicas > 3 {
			add(func(c *scenarios.Scenario) { c.Topology.Stores[i].Replicas = 3 })
		}
	}
	return out
}

func lastEnd(sc *scenarios.Scenario) time.Duration {
	var end time.Duration
	for _, f := range sc.Faults {
		end = max(end, f.End())
	}
	return end
}

// dropClient removes load generator i with its links, and removes it from
// the faults that name it (a fault left with nothing to cut goes too).
func dropClient(sc *scenarios.Scenario, i int) {
	name := sc.Load[i].Name
	sc.Load = slices.Delete(sc.Load, i, i+1)
	sc.Topology.Links = slices.DeleteFunc(sc.Topology.Links, func(l scenarios.Link) bool { return l.From == name || l.To == name })
	sc.Faults = slices.DeleteFunc(sc.Faults, func(f scenarios.Fault) bool {
		if f.Isolate == name || f.From == name || f.To == name || f.Target == name {
			return true
		}
		for g := range f.Groups {
			f.Groups[g] = slices.DeleteFunc(f.Groups[g], func(n string) bool { return n == name })
			if len(f.Groups[g]) == 0 {
				return true
			}
		}
		return false
	})
}

// dropLostHypotheses drops the hypotheses on metrics sc can no longer have
// once a reduction removed what they measure (failover_ms_fault2 without a
// second fault, availability_during_<client> without the client): they
// could not be judged, and a file naming them does not load.
func dropLostHypotheses(sc *scenarios.Scenario) {
	known, err := sc.VariantMetrics()
	if err != nil {
		return // the candidate does not load; shrink skips it
	}
	sc.Expect = slices.DeleteFunc(sc.Expect, func(e scenarios.Expectation) bool {
		h, err := scenarios.ParseHypothesis(e.Check)
		_, ok := known[h.Metric]
		return err == nil && !ok
	})
}

// loadable reports whether sc, written as a file, loads again (the form a
// counterexample takes): Validate alone does not check hypotheses against
// the metrics the scenario can have.
func loadable(sc *scenarios.Scenario) bool {
	b, err := yaml.Marshal(sc)
	if err != nil {
		return false
	}
	_, err = scenarios.Parse(sc.File(), b)
	return err == nil
}
