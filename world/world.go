package world

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
)

// Engine runs scenarios in the simulator. The zero value is ready to use.
type Engine struct {
	// Trace, if set, returns where to write the JSON-lines trace of a run
	// (nil for none). It is called once per run with the case's name.
	Trace func(name string, seed uint64) io.Writer
}

// Name is "sim".
func (Engine) Name() string { return "sim" }

// Run builds and runs case c on seed.
func (e Engine) Run(ctx context.Context, c scenarios.Case, seed uint64) (results.Run, error) {
	w, err := Build(c.Scenario, seed)
	if err != nil {
		return results.Run{}, err
	}
	w.env.caseName = c.Name
	if e.Trace != nil {
		if tw := e.Trace(c.Name, seed); tw != nil {
			w.env.k.SetTrace(tw)
			defer w.env.k.Flush()
		}
	}
	return w.Run(ctx)
}

// World is one simulated architecture on one kernel. Each model family
// contributes a part (services, calls, brokers, stores, load clients,
// links, faults, ...) that builds from its section of the scenario and
// from the parts it names, starts, samples its gauges at the end of every
// interval and reports its metrics at the end of the run; the parts share
// only an environment (the kernel, the network, the recorder, the node
// registry and the scenario). Build wires the parts; Run starts them all,
// runs the kernel and collects what each part reports.
type World struct {
	env     *env
	stores  *stores  // the run ends when the stores have settled
	clients *clients // and when every request still open has timed out

	// Each phase visits the parts in the order Build sets.
	starts    []starter
	reporters []reporter
}

// env is what every part shares.
type env struct {
	sc     *scenarios.Scenario
	phases results.PhaseWindows // sc's, for the recorder and every per-phase count
	k      *sim.Kernel
	net    *sim.Network
	rec    *results.Recorder
	nodes  *registry

	// sampler is the sampler's handler, to which the world's trace records
	// (a leader cut's replica, a scaling decision) are attributed. It is
	// registered after every part is built, and used only once the run
	// has started.
	sampler sim.HandlerID

	caseName string // names the run's artifacts
}

// observe records one request of a load client.
func (e *env) observe(start, end sim.Time, o results.Outcome) {
	e.rec.Observe(time.Duration(start), time.Duration(end), o)
}

// A starter schedules what its part does from the start of the run to
// end, the end of the scenario's load.
type starter interface{ start(end sim.Time) }

// A gauge records its part's series for the interval that ends at at.
type gauge interface{ sample(at time.Duration) }

// A reporter adds its part's metrics (and traces, artifacts) to the run.
type reporter interface{ report(run *results.Run) }

// Build creates the world for sc on a kernel seeded with seed.
//
// The parts are built in the order below, each from the parts it names,
// and each phase of the run visits them in the order its list gives. The
// orders are the simulator's, not a convenience: nodes, handlers, random
// streams, scheduled events (their ties and closure slots) and the
// recorder's series follow them, and the golden trace hashes and every
// scenario's results pin them. A new part takes its place at the end of
// each list it joins.
func Build(sc *scenarios.Scenario, seed uint64) (*World, error) {
	e, err := newEnv(sc, seed)
	if err != nil {
		return nil, err
	}
	var (
		svcs     *services
		tr       *tracing
		sagas    *sagas
		mesh     *mesh
		calls    *calls
		brokers  *brokers
		stores   *stores
		outcomes *outcomes
		clients  *clients
		rollouts *rollouts
		scalers  *scalers
	)
	steps := []func() error{
		func() (err error) { svcs, err = buildServices(e); return err },
		func() error { tr = buildTracing(e, svcs); return nil },
		func() error { sagas = buildSagas(e, svcs); return nil },
		func() error { mesh = useMesh(e, svcs); return nil },
		func() (err error) { calls, err = buildCalls(e, svcs); return err },
		func() (err error) { brokers, err = buildBrokers(e, svcs); return err },
		func() (err error) { stores, err = buildStores(e); return err },
		func() error { outcomes = newOutcomes(e); return nil },
		func() (err error) {
			clients, err = buildClients(e, svcs, stores, calls.deadlines, tr, outcomes)
			return err
		},
		func() error { return buildLinks(e, svcs) },
		func() error { return mesh.addHops(svcs, clients) },
		func() error { return scheduleFaults(e, svcs, stores, brokers) },
		func() error { rollouts = scheduleRollouts(e, svcs); return nil },
		func() (err error) { scalers, err = buildScalers(e, svcs); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	recovery := newRecovery(e, stores)
	smp := newSampler(e, svcs, stores, calls, brokers, rollouts, clients, scalers)
	return &World{env: e, stores: stores, clients: clients,
		starts:    []starter{clients, stores, brokers, smp, scalers, recovery},
		reporters: []reporter{svcs, scalers, stores, clients, calls, brokers, sagas, rollouts, recovery, tr, outcomes},
	}, nil
}

// newEnv makes the kernel, its network with no link configured (every
// link perfect until the topology says otherwise) and the recorder.
func newEnv(sc *scenarios.Scenario, seed uint64) (*env, error) {
	e := &env{sc: sc, phases: sc.PhaseWindows(), k: sim.New(seed), nodes: newRegistry()}
	var err error
	if e.net, err = sim.NewNetwork(e.k, sim.LinkConfig{}); err != nil {
		return nil, err
	}
	e.rec, err = results.NewRecorder(results.RecorderConfig{Phases: e.phases, Interval: sc.Interval})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Run simulates the world to the end of the scenario, lets every request
// still open finish (each is bounded by its timeout), and returns the run.
func (w *World) Run(ctx context.Context) (results.Run, error) {
	e := w.env
	end := sim.At(e.sc.Duration)
	for _, s := range w.starts {
		s.start(end)
	}
	if err := w.runKernel(ctx, end); err != nil {
		return results.Run{}, err
	}
	run := e.rec.Finish()
	run.TraceHash = fmt.Sprintf("%016x", e.k.Hash())
	run.Events = e.k.Dispatched()
	for _, r := range w.reporters {
		r.report(&run)
	}
	st := e.net.Stats()
	run.Metrics["net_lost"] = float64(st.Lost + st.BlackHoled)
	run.Metrics["net_refused"] = float64(st.Refused)
	return run, nil
}

// runKernel runs events until none is left or, with stores, which run
// forever (heartbeats, anti-entropy), until they have settled after end.
// Services alone go idle once the last request ends.
func (w *World) runKernel(ctx context.Context, end sim.Time) error {
	k := w.env.k
	limit := end.Add(w.stores.settle() + w.clients.maxTimeout())
	if w.stores.empty() {
		limit = sim.MaxTime
	}
	const batch = 1 << 16 // events between two looks at ctx
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if k.RunBatch(limit, batch) < batch {
			return nil
		}
	}
}

// Kernel exposes the world's kernel (for traces and tests).
func (w *World) Kernel() *sim.Kernel { return w.env.k }

// sampler records every part's gauges at the end of each interval, in the
// order of its list.
type sampler struct {
	e      *env
	gauges []gauge
}

// newSampler registers the sampler's handler, after every part's.
func newSampler(e *env, gauges ...gauge) *sampler {
	s := &sampler{e: e, gauges: gauges}
	e.sampler = e.k.Register("world/sampler", s)
	return s
}

// start schedules the first sample, at the end of the first interval.
func (s *sampler) start(sim.Time) { s.e.k.After(s.e.sc.Interval, s.e.sampler, 0, 0, 0) }

// HandleEvent samples the interval that just ended and schedules the next
// sample within the run.
func (s *sampler) HandleEvent(sim.Event) {
	t := time.Duration(s.e.k.Now())
	at := t - 1 // the interval that just ended
	for _, g := range s.gauges {
		g.sample(at)
	}
	if next := t + s.e.sc.Interval; next <= s.e.sc.Duration {
		s.e.k.After(s.e.sc.Interval, s.e.sampler, 0, 0, 0)
	}
}
