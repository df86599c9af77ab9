package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/faultline-sim/faultline/chaos/internal/hostcpu"
	"github.com/faultline-sim/faultline/chaos/kv"
	"github.com/faultline-sim/faultline/chaos/proxy"
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/models/store/raft"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
)

// ErrNoRealCounterpart is returned (wrapped) for a case the real engine
// cannot run: a store design other than raft, services, a fault type
// without a real implementation yet. Callers comparing engines skip such
// cases: errors.Is(err, chaos.ErrNoRealCounterpart).
var ErrNoRealCounterpart = errors.New("no real counterpart")

// Limits of a run, so every run has a bounded length.
const (
	// leaderWait bounds the wait for the first leader after start-up.
	leaderWait = 15 * time.Second
	// runSlack is added to duration + settle + the longest client timeout
	// for the run's hard deadline.
	runSlack = 30 * time.Second
	// maxInflight caps each client's operations in flight; an arrival
	// beyond it is recorded as failed (shed) at once.
	maxInflight = 1000
	// sampleEvery is how often the engine asks every node for its raft
	// state (directly, not through the proxies).
	sampleEvery = 20 * time.Millisecond
)

// Engine runs scenarios against real processes: a hashicorp/raft
// key-value store (package chaos/kv), one OS process per replica, with a
// Toxiproxy proxy on every link. It implements scenarios.Engine.
type Engine struct {
	// Dir receives the nodes' logs and the run's artefacts (the fault log,
	// porcupine's visualisation) and is where Run.Files paths point; ""
	// means a temporary folder removed after the run (and no Files).
	Dir string
	// TimeScale multiplies every time of the scenario's schedule: the
	// duration, each fault's at and for, and the store's settle. 0 means
	// 1. Raft's timeouts, client timeouts and request rates are not
	// scaled: 0.2 runs the 90 s partition scenario in 18 s with the same
	// protocol timing.
	TimeScale float64
	// Binary is the kvnode executable (go build ./chaos/kv/cmd/kvnode);
	// "" builds it once per process with the go tool, which needs the
	// faultline module in the working directory's tree.
	Binary string
	// Toxiproxy is the API address (host:port) of a Toxiproxy server to
	// use; "" starts one embedded in this process, so no fault can outlive
	// it.
	Toxiproxy string
	// Log, if set, receives a line for every setting of the scenario that
	// the run could apply only approximately or not at all (they are also
	// in the run's fault log). Writes from one run are serialised.
	Log io.Writer

	hooks *hooks // tests only
}

// hooks let tests watch a run from inside.
type hooks struct {
	started      func(r *run) // nodes up, proxies created, leader elected
	faultApplied func(i int)  // fault i (from 1) is in place
	finished     func(r *run) // after cleanup
}

// Name is "real".
func (e *Engine) Name() string { return "real" }

var runCounter atomic.Int64

// run is the state of one Engine.Run.
type run struct {
	e      *Engine
	sc     *scenarios.Scenario // times scaled
	st     *scenarios.Store
	seed   uint64
	name   string // the case's name
	scale  float64
	settle time.Duration
	dir    string

	h       *proxy.Harness
	c       *cluster
	eps     []endpoint
	clients []string // store clients' names, by index in the history
	load    []int    // index in sc.Load of each store client
	via     []int
	addrs   []string // where each client sends (its proxy)
	t0      time.Time

	mu        sync.Mutex
	history   store.History
	faults    []appliedFault
	links     []linkSetting // how topology.links were applied
	notes     []string      // settings approximated or not applied
	samples   []sample
	converged time.Duration     // first time divergence was 0 after the last fault, or -1
	cpu       []hostcpu.Sample  // how busy the machine was
	window    *scenarios.Window // the stop condition's, nil without one
	stoppedAt time.Duration     // when the stop condition stopped the run; 0: it did not
}

// cpuPeriod is how often a real run reads how busy the machine is.
const cpuPeriod = 250 * time.Millisecond

// errStopCondition is the cause of a run's load and faults ending early
// because the scenario's stop condition held.
var errStopCondition = errors.New("stop condition")

type sample struct {
	at  time.Duration
	sts []kv.Status
}

// Run runs one case on one seed (the seed draws the load: arrival times,
// operations and keys; Toxiproxy and the OS are not seeded). It cleans up
// every process and proxy it started on return, on panic, on ctx's
// cancellation and on SIGINT/SIGTERM; an interrupted run returns an error
// wrapping the context's.
func (e *Engine) Run(ctx context.Context, c scenarios.Case, seed uint64) (res results.Run, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("real engine: panic: %v", p)
		}
	}()
	if c.Scenario != nil && len(c.Scenario.Topology.Services) > 0 {
		return e.runChain(ctx, c, seed)
	}
	r, err := e.newRun(c.Scenario, seed)
	if err != nil {
		return results.Run{}, err
	}
	r.name = c.Name
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if r.dir == "" {
		if r.dir, err = os.MkdirTemp("", "faultline-real-"); err != nil {
			return results.Run{}, err
		}
		defer os.RemoveAll(r.dir)
	} else if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return results.Run{}, err
	}
	res, err = r.execute(ctx)
	if e.hooks != nil && e.hooks.finished != nil {
		e.hooks.finished(r)
	}
	res.Engine, res.Variant, res.Seed = e.Name(), c.Name, seed
	return res, err
}

func (e *Engine) newRun(sc *scenarios.Scenario, seed uint64) (*run, error) {
	if sc == nil {
		return nil, errors.New("real engine: case has no scenario")
	}
	if len(sc.Topology.Stores) != 1 {
		return nil, fmt.Errorf("the real engine runs exactly one store, got %d: %w", len(sc.Topology.Stores), ErrNoRealCounterpart)
	}
	st := sc.Topology.Stores[0]
	if st.Design != scenarios.DesignRaft {
		return nil, fmt.Errorf("design %s has %w", st.Design, ErrNoRealCounterpart)
	}
	if err := checkFaults(sc); err != nil {
		return nil, err
	}
	scale := e.TimeScale
	if scale == 0 {
		scale = 1
	}
	if !(scale > 0 && scale <= 100) {
		return nil, fmt.Errorf("real engine: TimeScale must be in (0, 100], got %v", e.TimeScale)
	}
	r := &run{e: e, st: &st, seed: seed, scale: scale, dir: e.Dir, converged: -1}
	cp, err := sc.Scaled(scale)
	if err != nil {
		return nil, err
	}
	if cp.Interval <= 0 {
		cp.Interval = min(time.Second, cp.Duration)
	}
	r.sc, r.settle = cp, cp.Topology.Stores[0].Settle
	for i, l := range sc.Load {
		if l.Target != st.Name || l.Open == nil || l.Ops == nil {
			return nil, fmt.Errorf("load[%d] (%s): only open-loop clients of the store are real: %w", i, l.Name, ErrNoRealCounterpart)
		}
		r.load = append(r.load, i)
		r.clients = append(r.clients, l.Name)
		r.via = append(r.via, sc.StoreClientReplica(i))
	}
	for i := range st.Replicas {
		r.eps = append(r.eps, endpoint{name: fmt.Sprintf("%s-%d", st.Name, i), replica: i})
	}
	for i, name := range r.clients {
		r.eps = append(r.eps, endpoint{name: name, replica: -1, via: r.via[i]})
	}
	return r, nil
}

// execute sets up, runs and checks; every resource is released by a
// deferred call registered before it is acquired.
func (r *run) execute(ctx context.Context) (res results.Run, err error) {
	bin := r.e.Binary
	if bin == "" {
		if bin, err = kvnodeBinary(ctx); err != nil {
			return res, fmt.Errorf("%w: %v", ErrHarness, err)
		}
	}
	api := r.e.Toxiproxy
	if api == "" {
		if api, err = proxy.Embedded(); err != nil {
			return res, fmt.Errorf("%w: %v", ErrHarness, err)
		}
	}
	r.h = proxy.New(api, fmt.Sprintf("fl%d-%d-", os.Getpid(), runCounter.Add(1)), time.Now())
	defer func() {
		if cerr := r.h.Cleanup(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("%w: cleanup of toxiproxy: %v", ErrHarness, cerr))
		}
	}()
	var cfgs []kv.NodeConfig
	if r.c, r.addrs, err = newCluster(ctx, r.h, r.st, r.clients, r.via); err == nil {
		cfgs, err = r.c.nodeConfigs(ctx, r.st)
	}
	if err != nil {
		return res, fmt.Errorf("%w: %v", ErrHarness, err)
	}
	defer r.c.stop()
	if err := r.applyLinks(ctx); err != nil {
		return res, fmt.Errorf("%w: topology.links: %v", ErrHarness, err)
	}
	if err := r.c.start(bin, r.dir, cfgs); err != nil {
		return res, err
	}
	if _, err := r.c.waitLeader(ctx, leaderWait); err != nil {
		return res, err
	}
	if r.st.Raft.ReadMode == raft.ReadLocal {
		r.note("read_mode local: a hashicorp/raft leader steps down when its lease runs out, so a deposed leader serves local reads for at most leader_lease_timeout, where the simulated one (etcd/raft without CheckQuorum) keeps leading")
	}
	if want := r.st.FirstLeaderIndex(); want >= 0 {
		if err := r.c.moveLeader(ctx, want, leaderWait); err != nil {
			return res, err
		}
	}
	if r.e.hooks != nil && r.e.hooks.started != nil {
		r.e.hooks.started(r)
	}
	if err := r.drive(ctx); err != nil {
		return res, err
	}
	return r.results()
}

// drive runs the load, the faults and the sampler, then waits for the
// settle time with no faults.
func (r *run) drive(ctx context.Context) error {
	var longest time.Duration
	for _, i := range r.load {
		longest = max(longest, r.sc.Load[i].Timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, r.sc.Duration+r.settle+longest+runSlack)
	defer cancel()
	// The load and the faults end early if the stop condition holds; the
	// settle time and the checks still run.
	lctx, stopLoad := context.WithCancelCause(ctx)
	defer stopLoad(nil)
	r.t0 = time.Now()
	r.h.SetStart(r.t0)
	cpu := hostcpu.Start(ctx, r.t0, cpuPeriod)
	defer func() {
		samples := cpu.Stop()
		r.mu.Lock()
		r.cpu = samples
		r.mu.Unlock()
	}()
	var wg sync.WaitGroup
	sctx, stopSampler := context.WithCancel(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); r.sample(sctx) }()
	if r.sc.Stop != nil {
		r.window = scenarios.NewWindow(*r.sc.Stop)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.window.Watch(sctx, r.t0, 100*time.Millisecond, &r.mu, func(at time.Duration, rate float64) {
				r.mu.Lock()
				r.stoppedAt = at
				r.mu.Unlock()
				r.note("%s; the run settled and was checked", r.sc.Stop.Note(at, rate))
				stopLoad(errStopCondition)
			})
		}()
	}
	var fwg sync.WaitGroup
	for i := range r.sc.Faults {
		fwg.Add(1)
		go func() { defer fwg.Done(); r.fault(lctx, i) }()
	}
	r.runLoad(lctx)
	fwg.Wait()
	if err := ctx.Err(); err != nil {
		stopSampler()
		wg.Wait()
		return fmt.Errorf("real run stopped: %w", context.Cause(ctx))
	}
	if id := r.c.exited(); id != "" {
		stopSampler()
		wg.Wait()
		return fmt.Errorf("node %s exited during the run (see %s.log)", id, id)
	}
	if errors.Is(context.Cause(lctx), errStopCondition) {
		wait(ctx, time.Now().Add(r.settle))
	} else {
		wait(ctx, r.t0.Add(r.sc.Duration+r.settle))
	}
	stopSampler()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("real run stopped: %w", context.Cause(ctx))
	}
	return nil
}

// wait sleeps until t or until ctx is done.
func wait(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
	case <-tm.C:
	}
}

// leaderNow returns the replica that leads right now, or -1.
func (r *run) leaderNow(ctx context.Context) int {
	return leader(r.c.statuses(ctx, 200*time.Millisecond))
}

// fault applies fault i at its time and undoes it at its end, or as soon
// as ctx is done. The undo is registered before the first change.
func (r *run) fault(ctx context.Context, i int) {
	f := &r.sc.Faults[i]
	wait(ctx, r.t0.Add(f.At))
	if ctx.Err() != nil {
		return
	}
	af := appliedFault{Index: i + 1, Label: f.Label(), Type: string(f.Type)}
	var undo func(stopping bool) error
	defer func() {
		if undo != nil {
			if uerr := undo(ctx.Err() != nil); uerr != nil {
				af.Err += "; revert: " + uerr.Error()
			}
		}
		af.End = time.Since(r.t0)
		for _, n := range af.Notes {
			r.note("faults[%d] (%s): %s", i, af.Label, n)
		}
		r.mu.Lock()
		r.faults = append(r.faults, af)
		r.mu.Unlock()
	}()
	var err error
	undo, err = faultKinds[f.Type](ctx, r, f, fmt.Sprintf("f%d", i+1), &af)
	af.Start = time.Since(r.t0)
	if err != nil {
		af.Err = err.Error()
		return
	}
	if r.e.hooks != nil && r.e.hooks.faultApplied != nil {
		r.e.hooks.faultApplied(i + 1)
	}
	wait(ctx, r.t0.Add(f.End()))
}

// note records how the real run differs from the scenario (a setting
// approximated or not applied) and writes it to Engine.Log.
func (r *run) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, n)
	if r.e.Log != nil {
		fmt.Fprintf(r.e.Log, "real %s: %s\n", r.name, n)
	}
}

// sample records every node's latest raft state every sampleEvery and,
// once the last fault has ended, when the replicas first agree.
func (r *run) sample(ctx context.Context) {
	var lastEnd time.Duration
	for _, f := range r.sc.Faults {
		lastEnd = max(lastEnd, f.End())
	}
	p := r.c.poll(ctx, sampleEvery, 200*time.Millisecond)
	defer p.wait()
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	for {
		sts := p.latest()
		at := time.Since(r.t0)
		r.mu.Lock()
		r.samples = append(r.samples, sample{at: at, sts: sts})
		conv := r.converged
		r.mu.Unlock()
		if len(r.sc.Faults) > 0 && conv < 0 && at >= lastEnd {
			if _, div := finalValues(r.c.dumps(ctx)); div == 0 && ctx.Err() == nil {
				r.mu.Lock()
				r.converged = time.Since(r.t0)
				r.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
