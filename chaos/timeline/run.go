package timeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/faultline-sim/faultline/chaos/internal/hostcpu"
	"github.com/faultline-sim/faultline/chaos/proxy"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
)

// Limits and periods of a run.
const (
	// runSlack is added to the load's duration, the settle time and the
	// drain time for a run's hard deadline.
	runSlack = 30 * time.Second
	// cpuEvery is how often a run reads how busy the machine is.
	cpuEvery = 250 * time.Millisecond
	// minInterval is the shortest step of a run's series.
	minInterval = 100 * time.Millisecond
)

// Options are the real engine's settings for a run.
type Options struct {
	// Dir receives the run's artefacts (the fault log and the system's)
	// and a folder of its processes' logs; "" means a temporary folder
	// removed after the run, and no artefacts.
	Dir string
	// TimeScale multiplies every time of the scenario's schedule (see
	// scenarios.Scenario.Scaled); 0 means 1. It must be in (0, 100].
	TimeScale float64
	// Toxiproxy is the API address (host:port) of a Toxiproxy server to
	// use; "" starts one embedded in this process, so no fault can
	// outlive it.
	Toxiproxy string
	// Log, if set, receives the run's notes as they are made.
	Log io.Writer
	// Hooks let tests watch a run from inside.
	Hooks Hooks
}

// Hooks are called at points of a run, for tests.
type Hooks struct {
	// Started: the system is up and the proxies are in place.
	Started func(env *Env)
	// FaultApplied: fault i (from 1) is in place.
	FaultApplied func(i int)
	// Finished: after the cleanup, with the run's proxy harness and
	// the faults as applied.
	Finished func(env *Env, proxies *proxy.Harness, faults []Applied)
}

var runCounter atomic.Int64

// run is the state of one Run.
type run struct {
	opt     Options
	env     *Env
	sys     System
	topo    *topo
	h       *proxy.Harness
	changes changes
	links   []linkSetting // how topology.links were applied

	mu      sync.Mutex
	applied []Applied
	cpu     []hostcpu.Sample
}

// newEnv scales the case's scenario for a real run.
func newEnv(opt Options, c scenarios.Case, seed uint64) (*Env, error) {
	if c.Scenario == nil {
		return nil, errors.New("real engine: case has no scenario")
	}
	scale := opt.TimeScale
	if scale == 0 {
		scale = 1
	}
	if !(scale > 0 && scale <= 100) {
		return nil, fmt.Errorf("real engine: TimeScale must be in (0, 100], got %v", opt.TimeScale)
	}
	sc, err := c.Scenario.Scaled(scale)
	if err != nil {
		return nil, err
	}
	// The series' step shrinks with the schedule, so that a real run has
	// as many points as a simulated one and its series, stretched back to
	// the scenario's time, overlay the simulator's.
	if sc.Interval <= 0 {
		sc.Interval = time.Second
	}
	sc.Interval = min(max(time.Duration(float64(sc.Interval)*scale), minInterval), sc.Duration)
	return &Env{Scenario: sc, Case: c.Name, Seed: seed, Scale: scale, Dir: opt.Dir, log: opt.Log}, nil
}

// Run runs case c on seed for real on the system newSystem makes: it
// places a proxy on every link of the system, starts it, drives its
// load while it applies the scenario's faults at their (scaled) times,
// samples the system and the machine, watches the stop condition, lets
// the system settle, and returns the results with the simulator's metric
// names. It cleans up every process and proxy on return, on panic, on
// ctx's cancellation and on SIGINT/SIGTERM; an interrupted run returns
// an error wrapping the context's.
func Run(ctx context.Context, opt Options, c scenarios.Case, seed uint64, newSystem Factory) (res results.Run, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("real engine: panic: %v", p)
		}
	}()
	r, err := prepare(opt, c, seed, newSystem)
	if err != nil {
		return results.Run{}, err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if opt.Dir == "" {
		if r.env.Work, err = os.MkdirTemp("", "faultline-real-"); err != nil {
			return results.Run{}, err
		}
		defer os.RemoveAll(r.env.Work)
	} else {
		r.env.Work = filepath.Join(opt.Dir, "real-"+r.env.Case+fmt.Sprintf("-seed%d", seed))
		if err := os.MkdirAll(r.env.Work, 0o755); err != nil {
			return results.Run{}, err
		}
	}
	if opt.Hooks.Finished != nil { // also after a panic, once the cleanup is done
		defer func() {
			r.mu.Lock()
			applied := slices.Clone(r.applied)
			r.mu.Unlock()
			slices.SortFunc(applied, func(a, b Applied) int { return a.Index - b.Index })
			opt.Hooks.Finished(r.env, r.h, applied)
		}()
	}
	res, err = r.execute(ctx)
	res.Engine, res.Variant, res.Seed = "real", c.Name, seed
	return res, err
}

// prepare makes the run's environment and system and checks its faults,
// starting nothing.
func prepare(opt Options, c scenarios.Case, seed uint64, newSystem Factory) (*run, error) {
	env, err := newEnv(opt, c, seed)
	if err != nil {
		return nil, err
	}
	sys, err := newSystem(env)
	if err != nil {
		return nil, err
	}
	r := &run{opt: opt, env: env, sys: sys, topo: newTopo(sys.Spec())}
	if err := checkFaults(r.topo, env.Scenario.Faults); err != nil {
		return nil, err
	}
	return r, nil
}

// execute sets up, runs and collects; every resource is released by a
// deferred call registered before it is acquired.
func (r *run) execute(ctx context.Context) (res results.Run, err error) {
	api := r.opt.Toxiproxy
	if api == "" {
		if api, err = proxy.Embedded(); err != nil {
			return res, fmt.Errorf("%w: %v", ErrHarness, err)
		}
	}
	r.h = proxy.New(api, fmt.Sprintf("fl%d-%d-", os.Getpid(), runCounter.Add(1)), time.Now())
	r.changes = changes{r.h}
	defer func() {
		if cerr := r.h.Cleanup(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("%w: cleanup of toxiproxy: %v", ErrHarness, cerr))
		}
	}()
	defer func() {
		if cerr := r.sys.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("%w: close: %v", ErrHarness, cerr))
		}
	}()
	if err := r.place(ctx); err != nil {
		return res, err
	}
	if r.opt.Hooks.Started != nil {
		r.opt.Hooks.Started(r.env)
	}
	if err := r.drive(ctx); err != nil {
		return res, err
	}
	return r.results()
}

// place creates a proxy on every link of the system, puts the
// topology's link settings on them and starts the system behind them.
func (r *run) place(ctx context.Context) error {
	ups, err := r.sys.Bind()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrHarness, err)
	}
	listen := make([]string, len(r.topo.Links))
	for i, l := range r.topo.Links {
		if listen[i], err = r.h.Create(ctx, l.Name, ups[i]); err != nil {
			return fmt.Errorf("%w: %v", ErrHarness, err)
		}
	}
	if err := r.applyLinks(ctx); err != nil {
		return fmt.Errorf("%w: topology.links: %v", ErrHarness, err)
	}
	return r.sys.Start(ctx, listen)
}

// drive runs the load, the faults, the samplers and the stop condition,
// then waits for the settle time with no faults.
func (r *run) drive(ctx context.Context) error {
	sc, spec := r.env.Scenario, r.topo.Spec
	ctx, cancel := context.WithTimeout(ctx, sc.Duration+spec.Drain+spec.Settle+runSlack)
	defer cancel()
	rec, err := results.NewRecorder(results.RecorderConfig{Phases: sc.PhaseWindows(), Interval: sc.Interval})
	if err != nil {
		return err
	}
	// The load and the faults end early if the stop condition holds; the
	// settle time and the results still come.
	lctx, stopLoad := context.WithCancelCause(ctx)
	defer stopLoad(nil)
	fctx, stopFaults := context.WithCancel(lctx)
	defer stopFaults()
	t0 := time.Now()
	r.env.mu.Lock()
	r.env.t0, r.env.rec = t0, rec
	if sc.Stop != nil {
		r.env.window = NewWindow(*sc.Stop)
	}
	r.env.mu.Unlock()
	r.h.SetStart(t0)

	sctx, stopSamplers := context.WithCancel(ctx)
	var samplers sync.WaitGroup
	cpu := hostcpu.New()
	samplers.Go(func() { every(sctx, cpuEvery, func() bool { cpu.Sample(r.env.Since()); return true }) })
	if spec.SampleEvery > 0 {
		samplers.Go(func() {
			r.sys.Sample(sctx)
			every(sctx, spec.SampleEvery, func() bool { r.sys.Sample(sctx); return true })
		})
	}
	if sc.Stop != nil {
		samplers.Go(func() {
			every(sctx, stopEvery, func() bool {
				if r.env.checkStop() {
					stopLoad(errStopCondition)
					return false
				}
				return true
			})
		})
	}
	endSampling := func() {
		stopSamplers()
		samplers.Wait()
		r.mu.Lock()
		r.cpu = cpu.Samples()
		r.mu.Unlock()
	}
	var faults sync.WaitGroup
	for i := range sc.Faults {
		faults.Go(func() { r.fault(fctx, ctx, i) })
	}
	derr := r.sys.Drive(lctx)
	stopFaults() // a fault outlasting the load ends with it
	faults.Wait()
	stopped := errors.Is(context.Cause(lctx), errStopCondition)
	switch {
	case ctx.Err() != nil:
		endSampling()
		return fmt.Errorf("real run stopped: %w", context.Cause(ctx))
	case derr != nil && !stopped:
		endSampling()
		return derr
	}
	if name := r.sys.Exited(); name != "" {
		endSampling()
		return fmt.Errorf("%s exited during the run (see its log in %s)", name, r.env.Work)
	}
	if stopped {
		SleepUntil(ctx, time.Now().Add(spec.Settle))
	} else {
		SleepUntil(ctx, t0.Add(sc.Duration+spec.Settle))
	}
	endSampling()
	if ctx.Err() != nil {
		return fmt.Errorf("real run stopped: %w", context.Cause(ctx))
	}
	return nil
}

// every calls f every period until ctx is done or f returns false.
func every(ctx context.Context, period time.Duration, f func() bool) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !f() {
			return
		}
	}
}

// results collects the system's results, the machine's load, the faults
// as applied, the stop and the notes, and writes the fault log.
func (r *run) results() (results.Run, error) {
	r.mu.Lock()
	applied := slices.Clone(r.applied)
	cpu := r.cpu
	r.mu.Unlock()
	slices.SortFunc(applied, func(a, b Applied) int { return a.Index - b.Index })
	sc := r.env.Scenario
	rec := r.env.rec
	files, err := r.sys.Results(context.Background(), rec, applied)
	if err != nil {
		return results.Run{}, err
	}
	if note := hostcpu.Record(rec, cpu, sc.Duration); note != "" {
		r.env.Note("%s", note)
	}
	run := rec.Finish()
	for _, f := range applied {
		run.Metrics[fmt.Sprintf("real_fault%d_start_s", f.Index)] = f.Start.Seconds()
		run.Metrics[fmt.Sprintf("real_fault%d_end_s", f.Index)] = f.End.Seconds()
	}
	if sc.Stop != nil {
		run.Metrics["stopped"] = 0
		if at := r.env.stoppedAt(); at > 0 {
			run.Metrics["stopped"], run.Metrics["stopped_at_s"] = 1, at.Seconds()
		}
	}
	run.Metrics["time_scale"] = r.env.Scale
	run.Notes = r.env.Notes()
	run.Metrics["real_settings_not_as_simulated"] = float64(len(run.Notes))
	run.Files = files
	return run, r.faultLog(&run, applied)
}

// faultLog writes every fault's real window, every toxic and proxy
// change and every process signal, with wall-clock times since the
// start of the load, into Dir, when set.
func (r *run) faultLog(run *results.Run, applied []Applied) error {
	if r.env.Dir == "" {
		return nil
	}
	log := struct {
		Faults    []Applied      `json:"faults"`
		Links     []linkSetting  `json:"topology_links"`
		Notes     []string       `json:"not_applied_as_simulated"`
		Toxiproxy []proxy.Event  `json:"toxiproxy_events"`
		Processes []ProcessEvent `json:"process_events"`
	}{applied, r.links, run.Notes, r.h.Events(), r.env.processEvents()}
	b, err := json.MarshalIndent(log, "", "  ")
	if err != nil {
		return err
	}
	name := "real-faults-" + r.env.Tag() + ".json"
	if err := os.WriteFile(filepath.Join(r.env.Dir, name), b, 0o644); err != nil {
		return err
	}
	run.Files = append([]results.File{{Label: "real fault windows and Toxiproxy changes", Path: name}}, run.Files...)
	return nil
}
