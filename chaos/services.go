package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"faultline/chaos/chain"
	"faultline/models/service"
	"faultline/reports/results"
	"faultline/scenarios"
)

// maxChainInstances is the most processes the chain harness starts for a
// service.
const maxChainInstances = 16

// runChain runs a scenario of services (no store) as the real HTTP service
// chain of package chain: one process per instance, a Toxiproxy proxy on
// every link, the scenario's load and faults on its (scaled) schedule.
func (e *Engine) runChain(ctx context.Context, c scenarios.Case, seed uint64) (results.Run, error) {
	scale, err := e.scale()
	if err != nil {
		return results.Run{}, err
	}
	cfg, rc, notes, err := chainPlan(c.Scenario, seed, scale)
	if err != nil {
		return results.Run{}, err
	}
	for _, n := range notes {
		e.logf("%s: %s", c.Name, n)
	}
	opt := chain.Options{Toxiproxy: e.Toxiproxy}
	if e.Dir != "" {
		opt.Dir = filepath.Join(e.Dir, "chain-"+c.Name)
		if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
			return results.Run{}, err
		}
	}
	res, err := chain.Execute(ctx, cfg, opt, rc, nil)
	if res.Metrics == nil {
		res.Metrics = map[string]float64{}
	}
	res.Metrics["real_settings_not_as_simulated"] = float64(len(notes))
	res.Metrics["time_scale"] = scale
	res.Notes = append(notes, res.Notes...)
	res.Engine, res.Variant, res.Seed = e.Name(), c.Name, seed
	if err != nil && errors.Is(err, chain.ErrHarness) {
		return res, fmt.Errorf("%w: %w", ErrHarness, err)
	}
	return res, err
}

// scale is the engine's time scale, checked.
func (e *Engine) scale() (float64, error) {
	s := e.TimeScale
	if s == 0 {
		s = 1
	}
	if !(s > 0 && s <= 100) {
		return 0, fmt.Errorf("real engine: TimeScale must be in (0, 100], got %v", e.TimeScale)
	}
	return s, nil
}

func (e *Engine) logf(format string, args ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, format+"\n", args...)
	}
}

// chainPlan maps a scenario of services onto the chain harness: its
// services (the load's target first), its load, and its faults with
// times multiplied by scale. Settings the real chain cannot have are
// refused with ErrNoRealCounterpart; those it approximates are returned
// as notes.
func chainPlan(sc *scenarios.Scenario, seed uint64, scale float64) (chain.Config, chain.RunConfig, []string, error) {
	var cfg chain.Config
	var rc chain.RunConfig
	var notes []string
	if len(sc.Topology.Stores) > 0 || len(sc.Topology.Brokers) > 0 || sc.Mesh != nil {
		return cfg, rc, nil, fmt.Errorf("a chain with stores, brokers or a mesh has %w", ErrNoRealCounterpart)
	}
	if len(sc.Load) != 1 || sc.Load[0].Open == nil || sc.Load[0].Open.Shape != "constant" {
		return cfg, rc, nil, fmt.Errorf("the real chain takes one open-loop client at a constant rate: %w", ErrNoRealCounterpart)
	}
	l := sc.Load[0]
	if l.OutlierDetection != nil {
		return cfg, rc, nil, fmt.Errorf("load.outlier_detection has %w yet", ErrNoRealCounterpart)
	}
	s := func(d time.Duration) time.Duration { return time.Duration(float64(d) * scale) }
	entry := slices.IndexFunc(sc.Topology.Services, func(c service.Config) bool { return c.Name == l.Target })
	order := append([]int{entry}, deleteIndex(len(sc.Topology.Services), entry)...)
	for _, i := range order {
		svc, err := chainService(sc.Topology.Services[i], seed+uint64(i))
		if err != nil {
			return cfg, rc, nil, fmt.Errorf("topology.services[%d] (%s): %w", i, sc.Topology.Services[i].Name, err)
		}
		cfg.Services = append(cfg.Services, svc)
	}
	rc.Load = chain.LoadConfig{Rate: l.Open.RPS, Duration: s(sc.Duration), Timeout: l.Timeout, Seed: seed, Retry: l.Retry.Clone()}
	rc.Interval = max(min(s(sc.Interval), rc.Load.Duration), 100*time.Millisecond)
	rc.Stop = sc.Stop
	for i, f := range sc.Faults {
		fs, note, err := chainFaults(sc, f)
		if err != nil {
			return cfg, rc, nil, fmt.Errorf("faults[%d] (%s): %w", i, f.Type, err)
		}
		if note != "" {
			notes = append(notes, fmt.Sprintf("faults[%d]: %s", i, note))
		}
		for _, cf := range fs {
			cf.At, cf.For = s(f.At), s(f.For)
			rc.Faults = append(rc.Faults, cf)
		}
	}
	if len(sc.Topology.Links) > 0 {
		notes = append(notes, "topology.links are not applied to the chain (loopback only, under 1 ms)")
	}
	if scale != 1 {
		notes = append(notes, fmt.Sprintf("the schedule runs %.2gx as fast (duration and fault times scaled; service times and timeouts not)", 1/scale))
	}
	return cfg, rc, notes, nil
}

func deleteIndex(n, i int) []int {
	var out []int
	for j := range n {
		if j != i {
			out = append(out, j)
		}
	}
	return out
}

// chainService maps one simulated service onto a real one.
func chainService(c service.Config, seed uint64) (chain.ServiceConfig, error) {
	switch {
	case c.Instances > maxChainInstances:
		return chain.ServiceConfig{}, fmt.Errorf("more than %d instances has %w", maxChainInstances, ErrNoRealCounterpart)
	case c.CallMode == service.Route || c.CallMode == service.Saga:
		return chain.ServiceConfig{}, fmt.Errorf("call_mode %s has %w", c.CallMode, ErrNoRealCounterpart)
	case c.Discipline == "lifo" || c.Overflow == service.OverflowDropOldest:
		return chain.ServiceConfig{}, fmt.Errorf("lifo queues and drop_oldest have %w", ErrNoRealCounterpart)
	case c.Autoscale != nil || c.HealthCheck != nil || c.Restart != nil || c.Publish != "":
		return chain.ServiceConfig{}, fmt.Errorf("autoscale, health_check, restart and publish have %w", ErrNoRealCounterpart)
	}
	out := chain.ServiceConfig{Name: c.Name, Instances: c.Instances, Workers: c.Workers, QueueLimit: c.QueueLimit,
		ServiceTime: c.ServiceTime, ErrorRate: c.ErrorRate, Seed: seed, RateLimit: c.RateLimit,
		HonorDeadlines: c.HonorDeadlines, Mode: c.CallMode, CallQuorum: c.CallQuorum}
	for j, call := range c.Calls {
		if call.FallbackTo != "" {
			return chain.ServiceConfig{}, fmt.Errorf("calls[%d].fallback_to has %w", j, ErrNoRealCounterpart)
		}
		if call.OutlierDetection != nil {
			return chain.ServiceConfig{}, fmt.Errorf("calls[%d].outlier_detection has %w yet", j, ErrNoRealCounterpart)
		}
		out.Calls = append(out.Calls, chain.CallConfig{Target: call.Service, Balancer: call.Balancer, Timeout: call.Timeout,
			Retry: call.Retry.Clone(), Breaker: call.Breaker, WindowBreaker: call.WindowBreaker, Bulkhead: call.Bulkhead,
			RateLimit: call.RateLimit, Fallback: call.Fallback})
	}
	return out, nil
}

// chainFaults maps one scenario fault onto the chain's: a link fault on
// every link into (to) or out of (from) the services it names, a crash or
// a pause on a service or instance. Simulated latency is added to
// requests (Toxiproxy's upstream stream); Toxiproxy counts whole
// milliseconds.
func chainFaults(sc *scenarios.Scenario, f scenarios.Fault) ([]chain.Fault, string, error) {
	switch f.Type {
	case "window":
		return nil, "", nil
	case "crash", "pause":
		return []chain.Fault{{Type: f.Type, Service: f.Target}}, "", nil
	case "latency":
		links := chainLinks(sc, f.From, f.To)
		if len(links) == 0 {
			return nil, "", fmt.Errorf("no link of the chain matches from %q to %q", f.From, f.To)
		}
		ms := f.Latency.Milliseconds()
		note := ""
		if time.Duration(ms)*time.Millisecond != f.Latency {
			note = fmt.Sprintf("latency %v rounded to %d ms (Toxiproxy counts milliseconds)", f.Latency, ms)
		}
		attrs := map[string]any{"latency": ms}
		if f.Jitter > 0 {
			attrs["jitter"] = f.Jitter.Milliseconds()
		}
		var out []chain.Fault
		for _, l := range links {
			out = append(out, chain.Fault{Link: l, Type: "latency", Stream: "upstream", Attributes: attrs})
			if f.TwoWay {
				out = append(out, chain.Fault{Link: l, Type: "latency", Stream: "downstream", Attributes: attrs})
			}
		}
		return out, note, nil
	}
	return nil, "", fmt.Errorf("fault type %s on the chain has %w", f.Type, ErrNoRealCounterpart)
}

// chainLinks returns the chain's links (caller->callee, client->entry)
// whose caller matches from and callee matches to; "" or "*" matches any.
func chainLinks(sc *scenarios.Scenario, from, to string) []string {
	match := func(sel, name string) bool {
		return sel == "" || sel == "*" || sel == name || strings.HasPrefix(sel, name+"-")
	}
	var out []string
	for _, l := range sc.Load {
		if match(from, l.Name) && match(to, l.Target) {
			out = append(out, chain.Link("client", l.Target))
		}
	}
	for _, s := range sc.Topology.Services {
		for _, c := range s.Calls {
			if match(from, s.Name) && match(to, c.Service) {
				out = append(out, chain.Link(s.Name, c.Service))
			}
		}
	}
	return out
}
