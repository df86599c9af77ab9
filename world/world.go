package world

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/models/store/raft"
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

// World is one simulated architecture on one kernel.
type World struct {
	sc       *scenarios.Scenario
	k        *sim.Kernel
	net      *sim.Network
	services []*service.Service
	clients  []*load.Client
	byName   map[string][]sim.NodeID // selector -> nodes (lookup only)
	nodes    []sim.NodeID            // every node, in creation order
	rec      *results.Recorder
	sampler  sim.HandlerID

	retries []int64 // per client, retries counted at the last sample

	deadlines *service.Deadlines // nil unless a service honours deadlines
	calls     []callSeries       // calls.go

	clientStats []*clientStats // clients.go, with several service clients
	endpoints   endpointStats  // endpoints.go

	tracer *service.Tracer // traces.go, nil when nothing is traced

	brokers []*brokerRun // brokers.go

	ledger *service.Ledger // sagas.go, nil without sagas

	failovers map[string]float64 // failover.go: metric name -> ms, -1 if none

	scalers []*scaler // autoscale.go

	stores   []*storeRun
	caseName string
}

// Build creates the world for sc on a kernel seeded with seed.
func Build(sc *scenarios.Scenario, seed uint64) (*World, error) {
	w := &World{sc: sc, k: sim.New(seed), byName: map[string][]sim.NodeID{}, failovers: map[string]float64{}}
	var err error
	if w.net, err = sim.NewNetwork(w.k, sim.LinkConfig{}); err != nil {
		return nil, err
	}
	start, end := faultWindow(sc)
	w.rec, err = results.NewRecorder(results.RecorderConfig{Duration: sc.Duration, Interval: sc.Interval, FaultStart: start, FaultEnd: end})
	if err != nil {
		return nil, err
	}
	steps := []func() error{w.buildServices, w.buildTracer, w.buildLedger, w.useMesh, w.connectServices, w.buildBrokers, w.buildStores, w.buildClients, w.buildLinks, w.buildMeshLinks, w.scheduleFaults, w.scheduleRollouts, w.buildAutoscalers}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	w.sampler = w.k.Register("world/sampler", samplerFunc(w.sample))
	return w, nil
}

// faultWindow spans from the first fault's start to the last one's end, or
// is empty at the end of the run when there are no faults.
func faultWindow(sc *scenarios.Scenario) (time.Duration, time.Duration) {
	if len(sc.Faults) == 0 {
		return sc.Duration, sc.Duration
	}
	start, end := sc.Faults[0].At, sc.Faults[0].End()
	for _, f := range sc.Faults[1:] {
		start, end = min(start, f.At), max(end, f.End())
	}
	return start, end
}

func (w *World) buildServices() error {
	for i, cfg := range w.sc.Topology.Services {
		svc, err := service.New(w.k, w.net, cfg)
		if err != nil {
			return fmt.Errorf("topology.services[%d]: %w", i, err)
		}
		w.services = append(w.services, svc)
		w.byName[cfg.Name] = svc.Nodes()
		for j, n := range svc.Nodes() {
			w.byName[fmt.Sprintf("%s-%d", cfg.Name, j)] = []sim.NodeID{n}
			w.nodes = append(w.nodes, n)
		}
	}
	return nil
}

func (w *World) service(name string) *service.Service {
	for _, s := range w.services {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

func (w *World) buildClients() error {
	w.endpoints.faultStart, w.endpoints.faultEnd = faultWindow(w.sc)
	for i, l := range w.sc.Load {
		node := w.net.AddNode(l.Name)
		w.byName[l.Name] = []sim.NodeID{node}
		w.nodes = append(w.nodes, node)
		if st := w.storeNamed(l.Target); st != nil {
			if err := w.buildStoreClient(i, node, st); err != nil {
				return fmt.Errorf("load[%d]: %w", i, err)
			}
			continue
		}
		observe := w.observe
		if w.serviceClients() > 1 {
			start, end := faultWindow(w.sc)
			cs := newClientStats(l.Name, start, end)
			w.clientStats = append(w.clientStats, cs)
			observe = cs.observer(w.observe)
		}
		c, err := load.NewClient(w.k, w.net, node, l.Name, l.Config, w.service(l.Target), observe)
		if err != nil {
			return fmt.Errorf("load[%d]: %w", i, err)
		}
		c.UseDeadlines(w.deadlines)
		w.endpoints.watch(c, w.service(l.Target))
		if w.tracer != nil {
			c.UseTracer(w.tracer, *w.sc.TraceSample)
		}
		w.clients = append(w.clients, c)
	}
	return nil
}

func (w *World) observe(start, end sim.Time, o results.Outcome) {
	w.rec.Observe(time.Duration(start), time.Duration(end), o)
}

// resolve returns the nodes a selector names; "*" is every node.
func (w *World) resolve(sel string) []sim.NodeID {
	if sel == "*" || sel == "" {
		return w.nodes
	}
	return w.byName[sel]
}

func (w *World) buildLinks() error {
	for i, l := range w.sc.Topology.Links {
		cfg, err := linkConfig(l)
		if err != nil {
			return fmt.Errorf("topology.links[%d].latency: %w", i, err)
		}
		for _, a := range w.resolve(l.From) {
			for _, b := range w.resolve(l.To) {
				if a == b {
					continue
				}
				if err := w.net.SetLink(a, b, cfg); err != nil {
					return fmt.Errorf("topology.links[%d]: %w", i, err)
				}
				if !l.OneWay {
					if err := w.net.SetLink(b, a, cfg); err != nil {
						return fmt.Errorf("topology.links[%d]: %w", i, err)
					}
				}
			}
		}
	}
	return nil
}

// linkConfig is the network setting a topology link asks for.
func linkConfig(l scenarios.Link) (sim.LinkConfig, error) {
	cfg := sim.LinkConfig{Jitter: l.Jitter, Loss: l.Loss, Bandwidth: l.Bandwidth}
	if l.Latency.Kind != "" {
		d, err := l.Latency.Build()
		if err != nil {
			return cfg, err
		}
		cfg.Latency = d
	}
	return cfg, nil
}

// samplerFunc adapts a method to sim.Handler.
type samplerFunc func(sim.Event)

func (f samplerFunc) HandleEvent(ev sim.Event) { f(ev) }

// sample records the gauges at the end of each interval.
func (w *World) sample(sim.Event) {
	t := time.Duration(w.k.Now())
	at := t - 1 // the interval that just ended
	for _, s := range w.services {
		suffix := ""
		if len(w.services) > 1 {
			suffix = "." + s.Name()
		}
		w.rec.Set("queue_depth"+suffix, "requests", at, float64(s.QueueDepth()))
		w.rec.Set("in_service"+suffix, "requests", at, float64(s.InService()))
		w.rec.Set("instances_up"+suffix, "instances", at, float64(s.Up()))
	}
	w.sampleStores(at)
	w.sampleCalls(at)
	w.sampleBrokers(at)
	w.sampleRollouts(at)
	w.sampleRetries(at)
	w.sampleAutoscale(at)
	if next := t + w.sc.Interval; next <= w.sc.Duration {
		w.k.After(w.sc.Interval, w.sampler, 0, 0, 0)
	}
}

// Run simulates the world to the end of the scenario, lets every request
// still open finish (each is bounded by its timeout), and returns the run.
func (w *World) Run(ctx context.Context) (results.Run, error) {
	end := sim.At(w.sc.Duration)
	for _, c := range w.clients {
		c.Start(end)
	}
	for _, s := range w.stores {
		s.start(end)
	}
	w.startBrokers(end)
	w.k.After(w.sc.Interval, w.sampler, 0, 0, 0)
	w.startAutoscalers()
	w.watchConvergence()
	w.watchFailovers()
	// Stores run forever (heartbeats, anti-entropy): stop after the settle
	// time. Services alone go idle once the last request ends.
	limit := end.Add(w.settle() + w.maxTimeout())
	var steps int
	var err error
	w.k.RunWhile(func() bool {
		steps++
		if steps&0xffff == 0 && ctx.Err() != nil {
			err = ctx.Err()
			return false
		}
		next, ok := w.k.NextAt()
		return ok && (len(w.stores) == 0 || next <= limit)
	})
	if err != nil {
		return results.Run{}, err
	}
	run := w.rec.Finish()
	w.sloMetrics(&run) // autoscale_slo.go
	if err := w.checkStores(&run); err != nil {
		return results.Run{}, err
	}
	run.TraceHash = fmt.Sprintf("%016x", w.k.Hash())
	run.Events = w.k.Dispatched()
	for i, c := range w.clients {
		if c.Attempts() > 0 {
			run.Metrics[w.clientPrefix(i)+"retry_amplification"] = c.Amplification()
			run.Metrics[w.clientPrefix(i)+"retries_denied"] = float64(c.RetriesDenied())
		}
		if c.Config().OutlierDetection != nil {
			run.Metrics[w.clientPrefix(i)+"ejections"] = float64(c.Ejections())
		}
	}
	w.callMetrics(&run)
	w.brokerMetrics(&run)
	w.sagaMetrics(&run)
	w.rolloutMetrics(&run)
	for name, ms := range w.failovers { // into a map: order does not matter
		run.Metrics[name] = ms
	}
	for _, s := range w.stores {
		if _, isRaft := s.cluster.(*raft.Cluster); !isRaft {
			continue
		}
		if ms, ok := scenarios.LeaderFailoverMS(w.sc, s.cfg.Name, w.prefix(s), run.Metrics); ok {
			run.Metrics[w.prefix(s)+scenarios.LeaderFailoverMetric] = ms
		}
	}
	if err := w.traceResults(&run); err != nil {
		return results.Run{}, err
	}
	for _, cs := range w.clientStats {
		cs.metrics(&run)
	}
	w.endpoints.metrics(&run)
	st := w.net.Stats()
	run.Metrics["net_lost"] = float64(st.Lost + st.BlackHoled)
	run.Metrics["net_refused"] = float64(st.Refused)
	return run, nil
}

// clientPrefix names a service client's metrics when there are several.
func (w *World) clientPrefix(i int) string {
	if len(w.clients) == 1 {
		return ""
	}
	return strings.ReplaceAll(w.clients[i].Name(), "-", "_") + "_"
}

func (w *World) maxTimeout() time.Duration {
	var m time.Duration
	for _, l := range w.sc.Load {
		m = max(m, l.Timeout)
	}
	return m
}

// sampleRetries records the retries each client started in the interval
// that just ended ("retries", summed over clients).
func (w *World) sampleRetries(at time.Duration) {
	if len(w.retries) < len(w.clients) {
		w.retries = make([]int64, len(w.clients))
	}
	for i, c := range w.clients {
		if c.Retries() == 0 && w.retries[i] == 0 {
			continue
		}
		w.rec.Add("retries", "retries/s", at, float64(c.Retries()-w.retries[i])/w.sc.Interval.Seconds())
		w.retries[i] = c.Retries()
	}
}

// Kernel exposes the world's kernel (for traces and tests).
func (w *World) Kernel() *sim.Kernel { return w.k }

// Run builds and runs case c on seed.
func (e Engine) Run(ctx context.Context, c scenarios.Case, seed uint64) (results.Run, error) {
	w, err := Build(c.Scenario, seed)
	if err != nil {
		return results.Run{}, err
	}
	w.caseName = c.Name
	if e.Trace != nil {
		if tw := e.Trace(c.Name, seed); tw != nil {
			w.k.SetTrace(tw)
			defer w.k.Flush()
		}
	}
	return w.Run(ctx)
}

// serviceClients counts the load generators that call services (not
// stores).
func (w *World) serviceClients() int {
	n := 0
	for _, l := range w.sc.Load {
		if w.storeNamed(l.Target) == nil {
			n++
		}
	}
	return n
}
