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

	"github.com/faultline-sim/faultline/chaos/chain"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
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
	rc.Load = chain.LoadConfig{Rate: l.Open.RPS, Duration: s(sc.Duration), Timeout: l.Timeout, Seed: seed, Retry: l.Retry.Clone(),
		Balancer: l.Balancer, OutlierDetection: clonePtr(l.OutlierDetection)}
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
		if hasOutlierDetection(sc) {
			notes = append(notes, "outlier detection's interval and ejection times are not scaled either: an ejection lasts longer against the schedule than simulated")
		}
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
		out.Calls = append(out.Calls, chain.CallConfig{Target: call.Service, Balancer: call.Balancer, Timeout: call.Timeout,
			Retry: call.Retry.Clone(), Breaker: call.Breaker, WindowBreaker: call.WindowBreaker, Bulkhead: call.Bulkhead,
			RateLimit: call.RateLimit, Fallback: call.Fallback, OutlierDetection: clonePtr(call.OutlierDetection)})
	}
	return out, nil
}

// chainFaults maps one scenario fault onto the chain's: a link fault on
// every link into (to) or out of (from) the services it names (only the
// proxies of the instance named, for to: api-1), a crash or a pause on a
// service or instance, a partition on the proxies that cross it
// (chainPartition). Simulated latency is added to requests (Toxiproxy's
// upstream stream); Toxiproxy counts whole milliseconds.
func chainFaults(sc *scenarios.Scenario, f scenarios.Fault) ([]chain.Fault, string, error) {
	switch f.Type {
	case "window":
		return nil, "", nil
	case "crash", "pause":
		return []chain.Fault{{Type: string(f.Type), Service: f.Target}}, "", nil
	case "partition":
		return chainPartition(sc, f)
	case "latency", "loss", "bandwidth", "timeout", "reset_peer", "slow_close", "slicer", "limit_data":
		links, note := chainLinks(sc, f.From, f.To)
		if len(links) == 0 {
			return nil, "", fmt.Errorf("no link of the chain matches from %q to %q", f.From, f.To)
		}
		// The same toxic as on the store's links; a request travels
		// upstream on its caller's proxy, the answer downstream.
		typ, toxicity, attrs, notes := linkToxic(&f)
		for _, n := range notes {
			note = join(note, n)
		}
		var out []chain.Fault
		for _, l := range links {
			out = append(out, chain.Fault{Link: l.link, Instances: l.instances, Type: typ, Stream: "upstream", Attributes: attrs, Toxicity: toxicity})
			if f.TwoWay {
				out = append(out, chain.Fault{Link: l.link, Instances: l.instances, Type: typ, Stream: "downstream", Attributes: attrs, Toxicity: toxicity})
			}
		}
		return out, note, nil
	}
	return nil, "", fmt.Errorf("fault type %s on the chain has %w", f.Type, ErrNoRealCounterpart)
}

func join(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// chainLink is a link of the chain, narrowed to some of its target's
// instances (none: all).
type chainLink struct {
	link      string
	instances []int
}

// chainNode is a node of the chain as a partition sees it: a load client
// (service -1) or instance k of topology service i.
type chainNode struct{ service, instance int }

var loadClient = chainNode{-1, 0}

// chainMembers resolves a scenario's selector (a service: every
// instance; an instance, "api-1", as the simulator names them whatever
// the count; a load's name; "" or "*": everything) to the chain's nodes.
func chainMembers(sc *scenarios.Scenario, sel string) []chainNode {
	var out []chainNode
	for _, l := range sc.Load {
		if sel == "" || sel == "*" || sel == l.Name {
			out = append(out, loadClient)
		}
	}
	for i, s := range sc.Topology.Services {
		for k := range max(s.Instances, 1) {
			if sel == "" || sel == "*" || sel == s.Name || sel == fmt.Sprintf("%s-%d", s.Name, k) {
				out = append(out, chainNode{i, k})
			}
		}
	}
	return out
}

// chainLinks returns the chain's links (caller->callee, client->entry)
// whose caller matches from and callee matches to (a service, one of its
// instances, a load; "" or "*" matches any), narrowed to the callee's
// instances to names. The instances of a caller share their proxies: a
// from naming some instances of a service selects all of them, which the
// note says.
func chainLinks(sc *scenarios.Scenario, from, to string) ([]chainLink, string) {
	callers, callees := chainMembers(sc, from), chainMembers(sc, to)
	// instancesOf returns the instances of service i among nodes, nil if
	// all, and whether there is any.
	instancesOf := func(nodes []chainNode, i int) ([]int, bool) {
		var ks []int
		for _, n := range nodes {
			if n.service == i {
				ks = append(ks, n.instance)
			}
		}
		if i >= 0 && len(ks) == max(sc.Topology.Services[i].Instances, 1) {
			return nil, true
		}
		return ks, len(ks) > 0
	}
	var out []chainLink
	var widened []string
	add := func(callee int, link string) {
		if ks, in := instancesOf(callees, callee); in {
			out = append(out, chainLink{link, ks})
		}
	}
	services := sc.Topology.Services
	index := func(name string) int {
		return slices.IndexFunc(services, func(c service.Config) bool { return c.Name == name })
	}
	for _, l := range sc.Load {
		if e := index(l.Target); e >= 0 && (from == "" || from == "*" || from == l.Name) {
			add(e, chain.Link(chain.Client, l.Target))
		}
	}
	for i, s := range services {
		some, in := instancesOf(callers, i)
		if !in {
			continue
		}
		n := len(out)
		for _, c := range s.Calls {
			if j := index(c.Service); j >= 0 {
				add(j, chain.Link(s.Name, c.Service))
			}
		}
		if some != nil && len(out) > n {
			widened = append(widened, s.Name)
		}
	}
	note := ""
	if len(widened) > 0 {
		note = fmt.Sprintf("applied to the calls of every instance of %s (the instances of a caller share their proxies on the chain)", strings.Join(widened, ", "))
	}
	return out, note
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// chainPartition maps a partition onto the chain's proxies, as the store
// engine does (partition.go): a direction x -> y is cut on the stream
// that carries it, the upstream (requests) of the proxy from caller x to
// callee y, or the downstream (answers) of the proxy from caller y to
// callee x. black-hole puts a timeout toxic with timeout 0 on every
// crossing stream; refuse disables every proxy whose requests cross (the
// link's down fault: connections refused, open ones dropped), and, since
// a proxy cannot refuse answers alone, black-holes the answers of one
// whose answers only cross (one_way), with a note. The instances of a
// caller share their proxies, so a cut between some of them and a
// callee has no counterpart, except for an isolated instance: cut off
// from all its callers, it gets no new requests to call on with, so its
// own calls are left alone (noted).
func chainPartition(sc *scenarios.Scenario, f scenarios.Fault) ([]chain.Fault, string, error) {
	var groups [][]chainNode
	if f.Isolate != "" {
		alone := chainMembers(sc, f.Isolate)
		if len(alone) == 0 {
			return nil, "", fmt.Errorf("isolate: %q names no load, service or instance of the chain", f.Isolate)
		}
		groups = [][]chainNode{alone, slices.DeleteFunc(chainMembers(sc, "*"), func(n chainNode) bool { return slices.Contains(alone, n) })}
	} else {
		for gi, g := range f.Groups {
			var side []chainNode
			for _, sel := range g {
				ns := chainMembers(sc, sel)
				if len(ns) == 0 {
					return nil, "", fmt.Errorf("groups[%d]: %q names no load, service or instance of the chain", gi, sel)
				}
				side = append(side, ns...)
			}
			groups = append(groups, side)
		}
	}
	side := map[chainNode]int{}
	for gi, g := range groups {
		for _, n := range g {
			if _, ok := side[n]; !ok {
				side[n] = gi
			}
		}
	}
	cut := func(x, y chainNode) bool {
		gx, okx := side[x]
		gy, oky := side[y]
		return okx && oky && gx != gy && (!f.OneWay || gx == 0)
	}
	// Every proxy: its link, its callers and its callee.
	type proxy struct {
		link     string
		callers  []chainNode
		callee   chainNode
		instance int
	}
	var proxies []proxy
	services := sc.Topology.Services
	index := func(name string) int {
		return slices.IndexFunc(services, func(c service.Config) bool { return c.Name == name })
	}
	instances := func(i int) []chainNode {
		var out []chainNode
		for k := range max(services[i].Instances, 1) {
			out = append(out, chainNode{i, k})
		}
		return out
	}
	seen := map[string]bool{}
	addLink := func(link string, callers []chainNode, callee int) {
		if seen[link] || callee < 0 {
			return
		}
		seen[link] = true
		for _, n := range instances(callee) {
			proxies = append(proxies, proxy{link, callers, n, n.instance})
		}
	}
	for _, l := range sc.Load {
		addLink(chain.Link(chain.Client, l.Target), []chainNode{loadClient}, index(l.Target))
	}
	for i, s := range services {
		for _, c := range s.Calls {
			addLink(chain.Link(s.Name, c.Service), instances(i), index(c.Service))
		}
	}
	type stream struct{ link, dir string }
	crossing := map[stream][]int{}
	var order []stream
	var left []string
	for _, p := range proxies {
		for _, dir := range []string{"upstream", "downstream"} {
			n := 0
			for _, x := range p.callers {
				if dir == "upstream" && cut(x, p.callee) || dir == "downstream" && cut(p.callee, x) {
					n++
				}
			}
			switch {
			case n == 0:
				continue
			case n < len(p.callers) && f.Isolate == "":
				return nil, "", fmt.Errorf("the partition separates some instances of %s from %s-%d, which share their proxies on the chain: that %w",
					services[p.callers[0].service].Name, services[p.callee.service].Name, p.instance, ErrNoRealCounterpart)
			case n < len(p.callers):
				if msg := fmt.Sprintf("%s (to instance %d)", p.link, p.instance); !slices.Contains(left, msg) {
					left = append(left, msg)
				}
				continue
			}
			k := stream{p.link, dir}
			if _, ok := crossing[k]; !ok {
				order = append(order, k)
			}
			crossing[k] = append(crossing[k], p.instance)
		}
	}
	if len(order) == 0 {
		return nil, "", fmt.Errorf("the partition crosses no link of the chain")
	}
	var notes []string
	if len(left) > 0 {
		notes = append(notes, fmt.Sprintf("the isolated instance's own calls are not cut (its service's instances share their proxies; it gets no new requests): %s", strings.Join(left, ", ")))
	}
	blackHole := map[string]any{"timeout": 0}
	var out []chain.Fault
	for _, k := range order {
		ks := crossing[k]
		switch {
		case f.Mode != "refuse":
			out = append(out, chain.Fault{Link: k.link, Instances: ks, Type: chain.FaultTimeout, Stream: k.dir, Attributes: blackHole})
		case k.dir == "upstream":
			out = append(out, chain.Fault{Link: k.link, Instances: ks, Type: chain.FaultDown})
		default:
			// Answers only: those whose requests cross are down already.
			ks = slices.DeleteFunc(slices.Clone(ks), func(i int) bool { return slices.Contains(crossing[stream{k.link, "upstream"}], i) })
			if len(ks) > 0 {
				out = append(out, chain.Fault{Link: k.link, Instances: ks, Type: chain.FaultTimeout, Stream: k.dir, Attributes: blackHole})
				notes = append(notes, fmt.Sprintf("refuse: the answers on %s (instances %v) are black-holed, not refused (a proxy refuses connections, not answers)", k.link, ks))
			}
		}
	}
	return out, strings.Join(notes, "; "), nil
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
