package httpchain

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/chaos/chain"
	"github.com/faultline-sim/faultline/chaos/timeline"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/scenarios"
)

// maxInstances is the most processes the adapter starts for a service.
const maxInstances = chain.MaxInstances

// config maps a scenario of services onto the chain: its services (the
// load's target first), each seeded by seed and its index in the
// topology, and its one open-loop load. Settings the real chain cannot
// have are refused with ErrNoRealCounterpart; those it approximates are
// noted.
func config(env *timeline.Env) (chain.Config, chain.LoadConfig, error) {
	var cfg chain.Config
	var lc chain.LoadConfig
	sc := env.Scenario
	if len(sc.Topology.Stores) > 0 || len(sc.Topology.Brokers) > 0 || sc.Mesh != nil {
		return cfg, lc, fmt.Errorf("a chain with stores, brokers or a mesh has %w", timeline.ErrNoRealCounterpart)
	}
	if len(sc.Load) != 1 || sc.Load[0].Open == nil || sc.Load[0].Open.Shape != "constant" {
		return cfg, lc, fmt.Errorf("the real chain takes one open-loop client at a constant rate: %w", timeline.ErrNoRealCounterpart)
	}
	l := sc.Load[0]
	entry := slices.IndexFunc(sc.Topology.Services, func(c service.Config) bool { return c.Name == l.Target })
	order := []int{entry}
	for i := range sc.Topology.Services {
		if i != entry {
			order = append(order, i)
		}
	}
	for _, i := range order {
		svc, err := serviceConfig(sc.Topology.Services[i], env.Seed+uint64(i))
		if err != nil {
			return cfg, lc, fmt.Errorf("topology.services[%d] (%s): %w", i, sc.Topology.Services[i].Name, err)
		}
		cfg.Services = append(cfg.Services, svc)
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return cfg, lc, err
	}
	lc = chain.LoadConfig{Rate: l.Open.RPS, Duration: sc.Duration, Timeout: l.Timeout, Seed: env.Seed, Retry: l.Retry.Clone(),
		Balancer: l.Balancer, OutlierDetection: clonePtr(l.OutlierDetection)}
	lc.SetDefaults()
	if err := lc.Validate(); err != nil {
		return cfg, lc, fmt.Errorf("load: %w", err)
	}
	if env.Scale != 1 {
		env.Note("the schedule runs %.2gx as fast (duration and fault times scaled; service times and timeouts not)", 1/env.Scale)
		if hasOutlierDetection(sc) {
			env.Note("outlier detection's interval and ejection times are not scaled either: an ejection lasts longer against the schedule than simulated")
		}
	}
	return cfg, lc, nil
}

// serviceConfig maps one simulated service onto a real one.
func serviceConfig(c service.Config, seed uint64) (chain.ServiceConfig, error) {
	switch {
	case c.Instances > maxInstances:
		return chain.ServiceConfig{}, fmt.Errorf("more than %d instances has %w", maxInstances, timeline.ErrNoRealCounterpart)
	case c.CallMode == service.Route || c.CallMode == service.Saga:
		return chain.ServiceConfig{}, fmt.Errorf("call_mode %s has %w", c.CallMode, timeline.ErrNoRealCounterpart)
	case c.Discipline == "lifo" || c.Overflow == service.OverflowDropOldest:
		return chain.ServiceConfig{}, fmt.Errorf("lifo queues and drop_oldest have %w", timeline.ErrNoRealCounterpart)
	case c.Autoscale != nil || c.HealthCheck != nil || c.Restart != nil || c.Publish != "":
		return chain.ServiceConfig{}, fmt.Errorf("autoscale, health_check, restart and publish have %w", timeline.ErrNoRealCounterpart)
	}
	out := chain.ServiceConfig{Name: c.Name, Instances: c.Instances, Workers: c.Workers, QueueLimit: c.QueueLimit,
		ServiceTime: c.ServiceTime, ErrorRate: c.ErrorRate, Seed: seed, RateLimit: c.RateLimit,
		HonorDeadlines: c.HonorDeadlines, Mode: c.CallMode, CallQuorum: c.CallQuorum}
	for j, call := range c.Calls {
		if call.FallbackTo != "" {
			return chain.ServiceConfig{}, fmt.Errorf("calls[%d].fallback_to has %w", j, timeline.ErrNoRealCounterpart)
		}
		out.Calls = append(out.Calls, chain.CallConfig{Target: call.Service, Balancer: call.Balancer, Timeout: call.Timeout,
			Retry: call.Retry.Clone(), Breaker: call.Breaker, WindowBreaker: call.WindowBreaker, Bulkhead: call.Bulkhead,
			RateLimit: call.RateLimit, Fallback: call.Fallback, OutlierDetection: clonePtr(call.OutlierDetection)})
	}
	return out, nil
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// hasOutlierDetection reports whether the load or any call has outlier
// detection.
func hasOutlierDetection(sc *scenarios.Scenario) bool {
	if slices.ContainsFunc(sc.Load, func(l scenarios.Client) bool { return l.OutlierDetection != nil }) {
		return true
	}
	for _, s := range sc.Topology.Services {
		if slices.ContainsFunc(s.Calls, func(c service.Call) bool { return c.OutlierDetection != nil }) {
			return true
		}
	}
	return false
}

// Plan implements timeline.System: the services as processes, their
// calls through proxies, and the load.
func (s *System) Plan(w io.Writer) {
	procs := 0
	for _, svc := range s.cfg.Services {
		procs += svc.Instances
		var calls []string
		for _, call := range svc.Calls {
			calls = append(calls, call.Target)
		}
		desc := "calls nothing"
		if len(calls) > 0 {
			desc = "calls " + strings.Join(calls, ", ")
		}
		fmt.Fprintf(w, "  service %s: %d process(es) on 127.0.0.1, %d workers each, queue limit %d, service time %s, %s\n",
			svc.Name, svc.Instances, svc.Workers, svc.QueueLimit, svc.ServiceTime.Kind, desc)
	}
	fmt.Fprintf(w, "  processes: %d; proxies: %d in Toxiproxy (one per link per callee instance, the load's included; a caller's instances share them)\n", procs, len(s.spec.Links))
	lc := s.load
	retry := "no retries"
	if lc.Retry != nil {
		retry = fmt.Sprintf("up to %d attempts", lc.Retry.MaxAttempts)
	}
	balancer := lc.Balancer
	if od := lc.OutlierDetection; od != nil {
		balancer += fmt.Sprintf(" with outlier detection (%d failures in a row eject for %v, sweeps every %v)", od.ConsecutiveErrors, od.BaseEjectionTime, od.Interval)
	}
	fmt.Fprintf(w, "  load: %g req/s (open loop) to %s for %v, timeout %v, %s, %s\n", lc.Rate, s.cfg.Services[0].Name, lc.Duration.Round(time.Millisecond), lc.Timeout, retry, balancer)
}
