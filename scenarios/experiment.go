package scenarios

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/results"

	"go.yaml.in/yaml/v3"
)

// BaseVariant names the only variant of a scenario that declares none.
const BaseVariant = "base"

// Engine runs one case (a variant, with any sweep values applied) on one
// seed. The simulator and the real engine both implement it, so every
// report can show both.
type Engine interface {
	Name() string
	Run(ctx context.Context, c Case, seed uint64) (results.Run, error)
}

// Case is one variant (at one sweep point) ready to run.
type Case struct {
	Name     string
	Variant  string
	Sweep    []float64 // values of the swept parameters, numeric
	Scenario *Scenario
}

// Case returns the named variant as a case to run (no sweep applied).
func (s *Scenario) Case(variant string) (Case, error) {
	sc, err := s.Variant(variant)
	if err != nil {
		return Case{}, err
	}
	return Case{Name: variant, Variant: variant, Scenario: sc}, nil
}

// Variant returns the scenario with the named variant's overrides applied,
// validated ("base" when the scenario has no variants).
func (s *Scenario) Variant(name string) (*Scenario, error) {
	if len(s.Variants) == 0 && name == BaseVariant {
		return s.patched(nil)
	}
	for _, v := range s.Variants {
		if v.Name == name {
			r, err := s.patched(v.Set)
			if err != nil {
				return nil, fmt.Errorf("variant %s: %w", name, err)
			}
			return r, nil
		}
	}
	return nil, fmt.Errorf("no variant %q (variants: %s)", name, strings.Join(s.VariantNames(), ", "))
}

// VariantNames lists the variants in the order written.
func (s *Scenario) VariantNames() []string {
	if len(s.Variants) == 0 {
		return []string{BaseVariant}
	}
	out := make([]string, len(s.Variants))
	for i, v := range s.Variants {
		out[i] = v.Name
	}
	return out
}

// document returns the scenario, as it is now, as a YAML mapping to
// patch. It is encoded from the struct, not taken from the file, so changes
// made in Go after loading count; its nodes have no lines, while the values
// an override brings keep theirs, so errors still point into the file.
func (s *Scenario) document() (*yaml.Node, error) {
	var n yaml.Node
	if err := n.Encode(s); err != nil {
		return nil, err
	}
	return &n, nil
}

func (s *Scenario) patched(set Overrides) (*Scenario, error) {
	root, err := s.document()
	if err != nil {
		return nil, err
	}
	for _, o := range set {
		if err := apply(root, o.Path, &o.Value); err != nil {
			return nil, fmt.Errorf("set %w", err)
		}
	}
	out, err := decode(s.file, root, false)
	if err != nil {
		return nil, err
	}
	out.source = s.source
	return out, nil
}

// Cases returns every variant at every sweep point, in order: variants
// outermost, then the first swept parameter, then the second.
func (s *Scenario) Cases() ([]Case, error) {
	points := sweepPoints(s.Sweep)
	var out []Case
	for _, name := range s.VariantNames() {
		var set Overrides
		if v := s.variant(name); v != nil {
			set = v.Set
		}
		for _, pt := range points {
			c, err := s.sweepCase(name, set, pt)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *Scenario) variant(name string) *Variant {
	for i := range s.Variants {
		if s.Variants[i].Name == name {
			return &s.Variants[i]
		}
	}
	return nil
}

// sweepPoint holds one value index per swept parameter.
type sweepPoint []int

func sweepPoints(params []SweepParam) []sweepPoint {
	pts := []sweepPoint{{}}
	for _, p := range params {
		var next []sweepPoint
		for _, pt := range pts {
			for i := range p.Values {
				next = append(next, append(append(sweepPoint{}, pt...), i))
			}
		}
		pts = next
	}
	return pts
}

func (s *Scenario) sweepCase(variant string, set Overrides, pt sweepPoint) (Case, error) {
	c := Case{Name: variant, Variant: variant}
	set = append(Overrides{}, set...)
	var labels []string
	for i, idx := range pt {
		p := s.Sweep[i]
		raw := p.Values[idx]
		set = append(set, Override{Path: p.Param, Value: yaml.Node{Kind: yaml.ScalarNode, Value: raw}})
		c.Sweep = append(c.Sweep, numeric(raw))
		labels = append(labels, lastSegment(p.Param)+"="+raw)
	}
	if len(labels) > 0 {
		c.Name = variant + "@" + strings.Join(labels, ",")
	}
	sc, err := s.patched(set)
	if err != nil {
		return c, fmt.Errorf("%s: %w", c.Name, err)
	}
	c.Scenario = sc
	return c, nil
}

func lastSegment(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[i+1:]
	}
	return path
}

// numeric reads a sweep value as a number: durations in seconds.
func numeric(s string) float64 {
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds()
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// Options tune Execute.
type Options struct {
	Seeds    int    // runs per case; 0 = the scenario's seeds
	Seed     uint64 // first seed; 0 = the scenario's seed. Runs use Seed, Seed+1, ...
	Parallel int    // runs at once; 0 = 1. Results do not depend on it.
	// Progress, if set, is called after each run with the count done.
	Progress func(done, total int)
	// Keep, if set, is called after each run with its result, before the
	// run's artifacts are dropped: engines write no files, so this is where
	// a caller writes them (reports.ArtifactWriter does, and lists them in
	// run.Files). It may be called from several goroutines at once. An
	// error fails the run.
	Keep func(run *results.Run) error
}

// Execute runs every case on the same seeds and returns the report.
func Execute(ctx context.Context, s *Scenario, eng Engine, opt Options) (*results.Report, error) {
	cases, err := s.Cases()
	if err != nil {
		return nil, err
	}
	seeds := seedList(s, opt)
	runs, err := runAll(ctx, eng, cases, seeds, opt)
	if err != nil {
		return nil, err
	}
	return s.report(cases, seeds, runs)
}

func seedList(s *Scenario, opt Options) []uint64 {
	n, first := s.Seeds, s.Seed
	if opt.Seeds > 0 {
		n = opt.Seeds
	}
	if opt.Seed != 0 {
		first = opt.Seed
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = first + uint64(i)
	}
	return out
}

// runAll runs every (case, seed) pair on opt.Parallel workers. Each result
// lands in its own slot, so the outcome is the same as a serial run.
func runAll(ctx context.Context, eng Engine, cases []Case, seeds []uint64, opt Options) ([]results.Run, error) {
	total := len(cases) * len(seeds)
	runs := make([]results.Run, total)
	errs := make([]error, total)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range max(opt.Parallel, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				c, seed := cases[j/len(seeds)], seeds[j%len(seeds)]
				r, err := runOne(ctx, eng, c, seed)
				r.Variant, r.Seed, r.Engine = c.Name, seed, eng.Name()
				if err == nil && opt.Keep != nil {
					err = opt.Keep(&r)
				}
				r.Artifacts = nil // written or not, they are not kept
				runs[j], errs[j] = r, err
				mu.Lock()
				done++
				if opt.Progress != nil {
					opt.Progress(done, total)
				}
				mu.Unlock()
			}
		}()
	}
	for j := range total {
		if ctx.Err() != nil {
			break
		}
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for j, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s seed %d: %w", cases[j/len(seeds)].Name, seeds[j%len(seeds)], err)
		}
	}
	return runs, nil
}

// PanicError is a run that panicked: a bug in Faultline, never bad input.
// The CLI gives it an exit status of its own and asks for a report with
// the command that replays it.
type PanicError struct {
	Case  string
	Seed  uint64
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("internal error (a bug in Faultline) in %s seed %d: %v", e.Case, e.Seed, e.Value)
}

// runOne runs one case and turns a panic into a *PanicError, so that one
// broken run neither kills the other workers' goroutines silently nor
// passes for bad input.
func runOne(ctx context.Context, eng Engine, c Case, seed uint64) (r results.Run, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Case: c.Name, Seed: seed, Value: p, Stack: debug.Stack()}
		}
	}()
	return eng.Run(ctx, c, seed)
}

func (s *Scenario) report(cases []Case, seeds []uint64, runs []results.Run) (*results.Report, error) {
	r := &results.Report{
		Scenario: s.Name, Description: strings.TrimSpace(s.Description), Source: s.source,
		Duration: s.Duration.Seconds(), Interval: s.Interval.Seconds(), Seeds: seeds,
		Version: Version(), Runs: runs, Compare: s.Compare,
	}
	if r.Source == "" {
		b, err := yaml.Marshal(s)
		if err != nil {
			return nil, err
		}
		r.Source = string(b)
	}
	for _, f := range s.Faults {
		r.Faults = append(r.Faults, results.FaultWindow{Type: string(f.Type), Label: f.Label(), Start: f.At.Seconds(), End: f.End().Seconds()})
	}
	for i := range cases {
		r.Variants = append(r.Variants, results.Aggregate(runs[i*len(seeds):(i+1)*len(seeds)]))
	}
	if len(s.Sweep) > 0 {
		r.Sweep = &results.Sweep{}
		for _, p := range s.Sweep {
			r.Sweep.Params = append(r.Sweep.Params, p.Param)
		}
		for _, c := range cases {
			r.Sweep.Points = append(r.Sweep.Points, results.SweepPoint{Values: c.Sweep, Variant: c.Name})
		}
	}
	verdicts, err := s.judge(cases, r.Variants)
	r.Verdicts = verdicts
	return r, err
}

// judge checks every expectation against every variant it applies to.
func (s *Scenario) judge(cases []Case, vs []results.VariantSummary) ([]results.Verdict, error) {
	var out []results.Verdict
	for i, e := range s.Expect {
		h, err := ParseHypothesis(e.Check)
		if err != nil {
			return nil, &field.Error{Path: fmt.Sprintf("expect[%d]", i), Msg: err.Error()}
		}
		for j := range vs {
			if e.Variant == "" || e.Variant == cases[j].Variant {
				out = append(out, h.judge(e.Check, &vs[j]))
			}
		}
	}
	return out, nil
}

// Version identifies the build in reports.
func Version() string {
	v := "faultline (devel)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = "faultline " + bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v += " " + s.Value[:min(12, len(s.Value))]
			}
		}
		v += ", " + bi.GoVersion
	}
	return v
}
