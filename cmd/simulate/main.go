// Simulate runs a Faultline scenario and writes its report.
//
// Usage:
//
//	simulate -scenario NAME|FILE [flags]   run a scenario, write its report
//	simulate -list                          list the built-in scenarios
//	simulate -validate FILE                 check a scenario file and exit
//
// A scenario is a built-in name (see -list) or the path of a YAML file
// (docs/scenarios.md describes the language). Every variant runs on the
// same seeds; the report (index.html, plots, summary.json, CSV) goes to
// -out, by default out/<scenario>.
//
// Flags:
//
//	-seed N      first seed (runs use N, N+1, ...); default: the scenario's
//	-seeds N     runs per variant; default: the scenario's
//	-parallel N  runs (with -search: cases) at once; results do not depend on
//	             it (default: cores)
//	-out DIR     report folder (default out/<scenario>)
//	-json        print summary.json on stdout instead of the table
//	-trace       also write each run's event trace as JSON lines to DIR/traces
//	-real        also run every variant that has a real counterpart against real
//	             processes behind an embedded Toxiproxy (package chaos), one seed,
//	             and add them to the report with a calibration table
//	-time-scale  with -real: multiply the scenario's times by this (default 0.2)
//	-toxiproxy   with -real: use the Toxiproxy server at HOST:PORT instead
//	-search      search for a violation of the scenario's hypotheses: random
//	             seeds and fault times (-budget cases), shrink the first one
//	             found and write it as a scenario file to replay; -parallel
//	             cases and shrinking candidates run at once, and the
//	             counterexample is the one a serial search finds
//	-force       write into an -out folder that holds other files too (only the
//	             report's own files are replaced)
//	-version     print the version and exit
//
// The report is written into a temporary folder beside -out and moved into
// place when complete, so an interrupted run leaves the previous report as it
// was; a folder holding files Faultline did not write is refused unless
// -force is given. "-validate -" reads the scenario from standard input.
//
// Exit status: 0 when every hypothesis holds, 1 when one fails, 2 for bad
// input or usage, 3 for an internal error (a bug: please report it with the
// command printed), 130 when interrupted (Ctrl-C or SIGTERM).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/faultline-sim/faultline/reports"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/world"
)

const usageText = `Usage:
  simulate -scenario NAME|FILE [flags]   run a scenario and write its report
  simulate -list                         list the built-in scenarios
  simulate -validate FILE                check a scenario file and exit

Examples:
  simulate -list
  simulate -scenario balancer                     # built-in scenario, 3 seeds
  simulate -scenario balancer -seeds 10 -out /tmp/lb
  simulate -scenario my-architecture.yaml -seed 42 -seeds 1
  simulate -scenario balancer -json | jq '.variants[].stats["during.availability"]'
  simulate -scenario partition -real              # simulation and real raft nodes, one report
  simulate -scenario cascade -real -time-scale 0.1  # and a real HTTP service chain
  simulate -scenario partition -real -dry-run     # what the real runs would do, starting nothing
  simulate -scenario my.yaml -search -budget 200  # find and shrink a case that breaks a hypothesis

Flags:
`

// exit codes
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInternal    = 3
	exitInterrupted = 130
)

// stdin is where "-validate -" reads from (a variable for tests).
var stdin io.Reader = os.Stdin

type options struct {
	scenario, validate, out string
	list, json, trace, real bool
	dryRun                  bool
	search                  bool
	force, version          bool
	args                    []string // as given, for the replay command
	budget                  int
	seed                    uint64
	seeds, parallel         int
	realSeeds               int
	timeScale               float64
	toxiproxy               string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			code = internalError(stderr, args, fmt.Sprint(p), debug.Stack())
		}
	}()
	opt, code := parseFlags(args, stderr)
	if code >= 0 {
		return code
	}
	switch {
	case opt.version:
		fmt.Fprintln(stdout, scenarios.Version())
		return exitOK
	case opt.list:
		return list(stdout)
	case opt.validate != "":
		return validate(opt.validate, stdout, stderr)
	}
	if opt.dryRun {
		return dryRun(opt, stdout, stderr)
	}
	// Ctrl-C and SIGTERM cancel the run wherever it is, and everything
	// started so far is cleaned up on the way out.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if opt.search {
		return searchCmd(ctx, opt, stdout, stderr)
	}
	return simulate(ctx, opt, stdout, stderr)
}

// internalError reports a panic: a bug, not bad input.
func internalError(stderr io.Writer, args []string, what string, stack []byte) int {
	fmt.Fprintf(stderr, "simulate: internal error (a bug in Faultline, not in your scenario): %s\n%s\n", what, stack)
	fmt.Fprintf(stderr, "simulate: please report it with this command, which replays it: simulate %s\n", strings.Join(args, " "))
	return exitInternal
}

// failure prints err and returns the exit status it calls for.
func failure(ctx context.Context, stderr io.Writer, args []string, prefix string, err error) int {
	var pe *scenarios.PanicError
	switch {
	case errors.As(err, &pe):
		return internalError(stderr, args, pe.Error(), pe.Stack)
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "simulate: interrupted; every process and temporary file it started is gone, and no report was written\n")
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "simulate: %s%v\n", prefix, err)
	return exitUsage
}

// parseFlags returns the options, or an exit code >= 0 when done.
func parseFlags(args []string, stderr io.Writer) (options, int) {
	var opt options
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&opt.scenario, "scenario", "", "built-in scenario name or scenario file `path`")
	fs.BoolVar(&opt.list, "list", false, "list the built-in scenarios")
	fs.StringVar(&opt.validate, "validate", "", "check the scenario `file` and exit")
	fs.Uint64Var(&opt.seed, "seed", 0, "first seed `N`; runs use N, N+1, ... (default: the scenario's)")
	fs.IntVar(&opt.seeds, "seeds", 0, "runs per variant `N` (default: the scenario's)")
	fs.IntVar(&opt.parallel, "parallel", runtime.NumCPU(), "runs (with -search: cases) at once; results do not depend on it")
	fs.StringVar(&opt.out, "out", "", "report folder (default out/<scenario>)")
	fs.BoolVar(&opt.json, "json", false, "print summary.json on stdout instead of the table")
	fs.BoolVar(&opt.trace, "trace", false, "write each run's event trace (JSON lines) under the report folder")
	fs.BoolVar(&opt.search, "search", false, "search random seeds and fault times for a violation of the scenario's hypotheses")
	fs.IntVar(&opt.budget, "budget", 100, "with -search: cases to try, in [1, 100000]")
	fs.BoolVar(&opt.real, "real", false, "also run the variants that have a real counterpart against real processes and Toxiproxy")
	fs.IntVar(&opt.realSeeds, "real-seeds", 1, "with -real: real runs per variant, on the report's first seeds, in [1, 20]")
	fs.Float64Var(&opt.timeScale, "time-scale", 0.2, "with -real: multiply the scenario's times by this, in (0, 1]")
	fs.StringVar(&opt.toxiproxy, "toxiproxy", "", "with -real: an external Toxiproxy `HOST:PORT` (default: embedded)")
	fs.BoolVar(&opt.force, "force", false, "write into an -out folder that also holds files Faultline did not write (only the report's own files are replaced)")
	fs.BoolVar(&opt.version, "version", false, "print the version and exit")
	fs.BoolVar(&opt.dryRun, "dry-run", false, "with -real: print what the real runs would do (processes, proxies, links, faults, load, stop condition) and exit, starting nothing")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return opt, exitOK
		}
		return opt, exitUsage
	}
	opt.args = args
	if err := check(opt, fs.NArg()); err != nil {
		fmt.Fprintf(stderr, "simulate: %v\nRun 'simulate -h' for usage.\n", err)
		return opt, exitUsage
	}
	return opt, -1
}

func check(opt options, extra int) error {
	switch {
	case extra > 0:
		return errors.New("unexpected arguments after the flags")
	case !opt.list && !opt.version && opt.validate == "" && opt.scenario == "":
		return errors.New("-scenario is required (try -list for the built-in scenarios)")
	case opt.seeds < 0 || opt.seeds > 1000:
		return fmt.Errorf("-seeds must be in [0, 1000] (0 = the scenario's), got %d", opt.seeds)
	case opt.parallel < 1 || opt.parallel > 256:
		return fmt.Errorf("-parallel must be in [1, 256], got %d", opt.parallel)
	case opt.budget < 1 || opt.budget > 100000:
		return fmt.Errorf("-budget must be in [1, 100000], got %d", opt.budget)
	case !(opt.timeScale > 0 && opt.timeScale <= 1):
		return fmt.Errorf("-time-scale must be in (0, 1], got %v", opt.timeScale)
	case opt.realSeeds < 1 || opt.realSeeds > 20:
		return fmt.Errorf("-real-seeds must be in [1, 20], got %d", opt.realSeeds)
	case opt.dryRun && !opt.real:
		return errors.New("-dry-run goes with -real: it prints what the real runs would do")
	}
	return nil
}

func list(stdout io.Writer) int {
	for _, s := range scenarios.Builtin() {
		fmt.Fprintf(stdout, "%-20s %s\n", s.Name, s.Description)
	}
	return exitOK
}

func validate(path string, stdout, stderr io.Writer) int {
	var sc *scenarios.Scenario
	var err error
	if path == "-" {
		path = "<stdin>"
		var data []byte
		if data, err = io.ReadAll(io.LimitReader(stdin, scenarios.MaxFileSize+1)); err == nil {
			sc, err = scenarios.Parse(path, data)
		}
	} else {
		sc, err = scenarios.Load(path)
	}
	if err == nil {
		_, err = sc.Cases() // every variant and sweep point must resolve too
	}
	if err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%s: ok (%s, %s, %s)\n", path, plural(len(sc.VariantNames()), "variant"), plural(len(sc.Faults), "fault"), plural(len(sc.Expect), "expectation"))
	return exitOK
}

// plural writes n with its noun, in the singular for one.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func simulate(ctx context.Context, opt options, stdout, stderr io.Writer) int {
	sc, err := scenarios.Load(opt.scenario)
	if err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return exitUsage
	}
	out := opt.out
	if out == "" {
		out = filepath.Join("out", sc.Name)
	}
	// Everything goes into a fresh folder beside out, moved into place at
	// the end: an interrupted or failed run leaves out as it was.
	folder, err := reports.OpenFolder(out, opt.force)
	if err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return exitUsage
	}
	defer folder.Abort()
	eng := world.Engine{}
	if opt.trace {
		tr, err := newTraces(filepath.Join(folder.Dir(), "traces"))
		if err != nil {
			fmt.Fprintf(stderr, "simulate: %v\n", err)
			return exitUsage
		}
		defer tr.close()
		eng.Trace = tr.open
		opt.parallel = 1 // one trace file at a time; results are the same
	}
	prog := newProgress(stderr, time.Now)
	rep, err := scenarios.Execute(ctx, sc, eng, scenarios.Options{
		Seeds: opt.seeds, Seed: opt.seed, Parallel: opt.parallel, Progress: prog.update,
		Keep: reports.ArtifactWriter(folder.Dir(), reports.KeepChecks(firstSeed(sc, opt))),
	})
	prog.done()
	if err != nil {
		return failure(ctx, stderr, opt.args, sc.Name+": ", err)
	}
	if opt.real {
		if err := runReal(ctx, opt, sc, rep, folder.Dir(), stderr); err != nil {
			return failure(ctx, stderr, opt.args, "real run: ", err)
		}
	}
	if _, err := reports.WriteContext(ctx, folder.Dir(), rep); err != nil {
		return failure(ctx, stderr, opt.args, "writing the report: ", err)
	}
	if err := folder.Commit(); err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return exitUsage
	}
	index := filepath.Join(out, "index.html")
	if opt.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "simulate: %v\n", err)
			return exitUsage
		}
	} else {
		printSummary(stdout, rep, index)
	}
	if !rep.Passed() {
		fmt.Fprintf(stderr, "simulate: %s failed; replay with: simulate -scenario %s -seed %d -seeds %d\n",
			plural(failed(rep), "hypothesis check"), opt.scenario, rep.Seeds[0], len(rep.Seeds))
		return exitFailed
	}
	return exitOK
}

// firstSeed is the seed the runs start from: -seed, or the scenario's.
func firstSeed(sc *scenarios.Scenario, opt options) uint64 {
	if opt.seed != 0 {
		return opt.seed
	}
	return sc.Seed
}

func failed(r *results.Report) int {
	n := 0
	for _, v := range r.Verdicts {
		if !v.Pass {
			n++
		}
	}
	return n
}
