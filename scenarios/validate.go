package scenarios

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/models/service"
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Validate checks the scenario after defaults: every error is a
// *field.Error whose path is the field's from the scenario's root, naming
// the allowed range.
func (s *Scenario) Validate() error {
	switch {
	case !nameRE.MatchString(s.Name):
		return field.Errorf("name", "must be lower-case letters, digits and dashes, got %q", s.Name)
	case s.Duration <= 0:
		return field.Errorf("duration", "must be > 0, got %v", s.Duration)
	case s.Duration > 24*time.Hour:
		return field.Errorf("duration", "must be <= 24h, got %v", s.Duration)
	case s.Seeds < 1 || s.Seeds > 1000:
		return field.Errorf("seeds", "must be in [1, 1000], got %d", s.Seeds)
	case s.Interval < time.Millisecond || s.Interval > s.Duration:
		return field.Errorf("interval", "must be in [1ms, duration (%v)], got %v", s.Duration, s.Interval)
	case s.TraceSample != nil && !(*s.TraceSample >= 0 && *s.TraceSample <= 1):
		return field.Errorf("trace_sample", "must be in [0, 1] (a share of requests), got %v", *s.TraceSample)
	case s.Mesh != nil && s.Mesh.Validate() != nil:
		return field.Under("", s.Mesh.Validate())
	case s.Stop != nil && s.Stop.validate(s.Duration) != nil:
		return s.Stop.validate(s.Duration)
	}
	nodes, err := s.validateTopology()
	if err != nil {
		return err
	}
	if err := s.validateLoad(nodes); err != nil {
		return err
	}
	if err := s.validateFaults(nodes); err != nil {
		return err
	}
	return s.validateExperiment()
}

// LeaderSuffix names, after a store's name, the replica that leads it when
// a fault starts (kv.leader): resolved at that moment, in partitions'
// isolate only. Designs without a leader resolve it to replica 0 (the
// primary of async followers).
const LeaderSuffix = ".leader"

// nodeSet is what a node selector may name: services (all instances),
// instances, and load generators.
type nodeSet map[string]bool

func (s *Scenario) validateTopology() (nodeSet, error) {
	nodes := nodeSet{"*": true}
	if len(s.Topology.Services) == 0 && len(s.Topology.Stores) == 0 {
		return nil, &field.Error{Path: "topology.services", Msg: "must list at least one service or store"}
	}
	for i, svc := range s.Topology.Services {
		path := fmt.Sprintf("topology.services[%d]", i)
		if err := svc.Validate(); err != nil {
			return nil, field.Under(path, err)
		}
		if svc.Rollout != nil && svc.Rollout.At >= s.Duration {
			return nil, field.Errorf(path+".rollout.at", "must be before the end of the run (%v), got %v", s.Duration, svc.Rollout.At)
		}
		if nodes[svc.Name] {
			return nil, field.Errorf(path+".name", "%q is already used by another service or instance", svc.Name)
		}
		nodes[svc.Name] = true
		for j := range svc.Instances {
			nodes[svc.Name+"-"+strconv.Itoa(j)] = true
		}
	}
	if err := s.validateCalls(); err != nil {
		return nil, err
	}
	if err := s.validateBrokers(nodes); err != nil {
		return nil, err
	}
	for i := range s.Topology.Stores {
		st := &s.Topology.Stores[i]
		path := fmt.Sprintf("topology.stores[%d]", i)
		if err := st.validate(); err != nil {
			return nil, field.Under(path, err)
		}
		if nodes[st.Name] {
			return nil, field.Errorf(path+".name", "%q is already used by a service, store or instance", st.Name)
		}
		nodes[st.Name] = true
		for j := range st.Replicas {
			nodes[st.Name+"-"+strconv.Itoa(j)] = true
		}
	}
	for i, l := range s.Load {
		if nodes[l.Name] {
			return nil, field.Errorf(fmt.Sprintf("load[%d].name", i), "%q is already used by a service, instance or other load", l.Name)
		}
		nodes[l.Name] = true
	}
	for i, l := range s.Topology.Links {
		if err := l.validate(nodes); err != nil {
			return nil, field.Under(fmt.Sprintf("topology.links[%d]", i), err)
		}
	}
	return nodes, nil
}

func (l *Link) validate(nodes nodeSet) error {
	if err := nodes.check("from", l.From); err != nil {
		return err
	}
	if err := nodes.check("to", l.To); err != nil {
		return err
	}
	if l.Latency.Kind != "" {
		if _, err := l.Latency.Build(); err != nil {
			return field.Under("latency", err)
		}
	}
	switch {
	case l.Jitter < 0:
		return field.Errorf("jitter", "must be >= 0, got %v", l.Jitter)
	case !(l.Loss >= 0 && l.Loss <= 1):
		return field.Errorf("loss", "must be in [0, 1], got %v", l.Loss)
	case !(l.Bandwidth >= 0):
		return field.Errorf("bytes_per_s", "must be >= 0 (0 = unlimited), got %v", l.Bandwidth)
	}
	return nil
}

func (n nodeSet) check(name, sel string) error {
	if sel == "" {
		return field.Errorf(name, "must name a node, service or load (or *)")
	}
	if !n[sel] {
		return field.Errorf(name, "%q is not a service, instance or load of this scenario (known: %s)", sel, n.names())
	}
	return nil
}

func (n nodeSet) names() string {
	var out []string
	for k := range n {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func (s *Scenario) validateLoad(nodes nodeSet) error {
	if len(s.Load) == 0 {
		return &field.Error{Path: "load", Msg: "must describe at least one load generator"}
	}
	for i, l := range s.Load {
		path := fmt.Sprintf("load[%d]", i)
		if s.store(l.Target) != nil {
			if err := s.validateStoreClient(i); err != nil {
				return err
			}
			continue
		}
		if l.Via != "" || l.Ops != nil {
			return &field.Error{Path: path + ".ops", Msg: "via and ops are read only for clients of a store"}
		}
		if err := l.Config.Validate(); err != nil {
			return field.Under(path, err)
		}
		if !s.isService(l.Target) {
			return field.Errorf(path+".target", "%q is not a service or store of this scenario", l.Target)
		}
	}
	return nil
}

func (s *Scenario) isService(name string) bool {
	for _, svc := range s.Topology.Services {
		if svc.Name == name {
			return true
		}
	}
	return false
}

func (s *Scenario) validateFaults(nodes nodeSet) error {
	for i := range s.Faults {
		f := &s.Faults[i]
		path := fmt.Sprintf("faults[%d]", i)
		if err := f.validate(s.Duration); err != nil {
			return field.Under(path, err)
		}
		for _, sel := range []struct{ field, v string }{{"from", f.From}, {"to", f.To}, {"isolate", f.Isolate}, {"target", f.Target}} {
			if st, ok := strings.CutSuffix(sel.v, LeaderSuffix); ok && sel.field == "isolate" {
				if s.store(st) == nil {
					return field.Errorf(path+".isolate", "%q: %s is not a store of this scenario", sel.v, st)
				}
				continue
			}
			if sel.v != "" {
				if err := nodes.check(sel.field, sel.v); err != nil {
					return field.Under(path, err)
				}
			}
		}
		for g, group := range f.Groups {
			for j, sel := range group {
				if err := nodes.check(fmt.Sprintf("groups[%d][%d]", g, j), sel); err != nil {
					return field.Under(path, err)
				}
			}
		}
		if f.Target != "" && !s.isProcess(f.Target) {
			return field.Errorf(path+".target", "%q is not a service or instance (load generators cannot crash or pause)", f.Target)
		}
	}
	return nil
}

func (s *Scenario) isProcess(sel string) bool {
	for _, svc := range s.Topology.Services {
		if sel == svc.Name || strings.HasPrefix(sel, svc.Name+"-") {
			return true
		}
	}
	for _, st := range s.Topology.Stores {
		if sel == st.Name || strings.HasPrefix(sel, st.Name+"-") {
			return true
		}
	}
	return false
}

func (s *Scenario) validateExperiment() error {
	seen := map[string]bool{}
	for i, v := range s.Variants {
		path := fmt.Sprintf("variants[%d]", i)
		if !nameRE.MatchString(v.Name) {
			return field.Errorf(path+".name", "must be lower-case letters, digits and dashes, got %q", v.Name)
		}
		if seen[v.Name] {
			return field.Errorf(path+".name", "%q is used by another variant", v.Name)
		}
		seen[v.Name] = true
		for _, o := range v.Set {
			if strings.HasPrefix(o.Path, "variants") || strings.HasPrefix(o.Path, "sweep") {
				return field.Errorf(path+".set", "%s: a variant cannot change variants or sweep", o.Path)
			}
		}
	}
	if len(s.Sweep) > 2 {
		return field.Errorf("sweep", "sweeps one or two parameters, got %d", len(s.Sweep))
	}
	for i, p := range s.Sweep {
		if len(p.Values) == 0 {
			return &field.Error{Path: fmt.Sprintf("sweep[%d].values", i), Msg: "must list at least one value"}
		}
		if p.Param == "" {
			return &field.Error{Path: fmt.Sprintf("sweep[%d].param", i), Msg: "must be a field path, e.g. topology.services.api.instances"}
		}
	}
	for i, e := range s.Expect {
		if _, err := ParseHypothesis(e.Check); err != nil {
			return &field.Error{Path: fmt.Sprintf("expect[%d]", i), Msg: err.Error()}
		}
		if e.Variant != "" && !seen[e.Variant] && !(len(s.Variants) == 0 && e.Variant == BaseVariant) {
			return field.Errorf(fmt.Sprintf("expect[%d].variant", i), "%q is not a variant of this scenario", e.Variant)
		}
	}
	if len(s.Compare) != 0 && len(s.Compare) != 2 {
		return field.Errorf("compare", "must name exactly two metrics, got %d", len(s.Compare))
	}
	return nil
}

// callPath is one call of the topology and its field path.
type callPath struct {
	path string // topology.services[i].calls[j] or ...endpoints[e].calls[j]
	call service.Call
}

// callsOf lists the calls of service i: its own, then its endpoints'.
func (s *Scenario) callsOf(i int) []callPath {
	svc := s.Topology.Services[i]
	var out []callPath
	for j, c := range svc.Calls {
		out = append(out, callPath{fmt.Sprintf("topology.services[%d].calls[%d]", i, j), c})
	}
	for e, ep := range svc.Endpoints {
		for j, c := range ep.Calls {
			out = append(out, callPath{fmt.Sprintf("topology.services[%d].endpoints[%d].calls[%d]", i, e, j), c})
		}
	}
	return out
}

// validateCalls checks that every call names a service of the topology
// (and an endpoint of it, if it names one) and that the calls form no
// cycle (a request would call itself forever).
func (s *Scenario) validateCalls() error {
	index := map[string]int{}
	for i, svc := range s.Topology.Services {
		index[svc.Name] = i
	}
	for i := range s.Topology.Services {
		for _, cp := range s.callsOf(i) {
			if err := s.checkCallTargets(index, cp); err != nil {
				return err
			}
		}
	}
	// Depth-first search for a cycle: 1 on the path, 2 done.
	state := make([]int, len(s.Topology.Services))
	var visit func(i int) error
	visit = func(i int) error {
		state[i] = 1
		for _, cp := range s.callsOf(i) {
			c := cp.call
			for _, to := range []struct{ field, name string }{{"service", c.Service}, {"fallback_to", c.FallbackTo}, {"compensate", c.Compensate}} {
				if to.name == "" {
					continue
				}
				k := index[to.name]
				if state[k] == 1 {
					return field.Errorf(cp.path+"."+to.field, "calling %q closes a cycle: calls must form a graph without cycles", to.name)
				}
				if state[k] == 0 {
					if err := visit(k); err != nil {
						return err
					}
				}
			}
		}
		state[i] = 2
		return nil
	}
	for i := range s.Topology.Services {
		if state[i] == 0 {
			if err := visit(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkCallTargets checks that the services (and the endpoint) a call
// names exist.
func (s *Scenario) checkCallTargets(index map[string]int, cp callPath) error {
	c := cp.call
	for _, to := range []struct{ field, name string }{{"service", c.Service}, {"fallback_to", c.FallbackTo}, {"compensate", c.Compensate}} {
		if _, ok := index[to.name]; to.name != "" && !ok {
			return field.Errorf(cp.path+"."+to.field, "%q is not a service of the topology", to.name)
		}
	}
	if c.Endpoint == "" {
		return nil
	}
	callee := s.Topology.Services[index[c.Service]]
	if callee.EndpointIndex(c.Endpoint) < 0 {
		names := make([]string, len(callee.Endpoints))
		for i, e := range callee.Endpoints {
			names[i] = e.Name
		}
		known := "it has none"
		if len(names) > 0 {
			known = "endpoints: " + strings.Join(names, ", ")
		}
		return field.Errorf(cp.path+".endpoint", "%q is not an endpoint of service %s (%s)", c.Endpoint, c.Service, known)
	}
	return nil
}

// validateBrokers checks each broker's settings and names, what services
// publish to, and what brokers depend on; it adds the brokers' nodes.
func (s *Scenario) validateBrokers(nodes nodeSet) error {
	names := map[string]bool{}
	for i := range s.Topology.Brokers {
		b := &s.Topology.Brokers[i]
		path := fmt.Sprintf("topology.brokers[%d]", i)
		if err := b.Config.Validate(); err != nil {
			return field.Under(path, err)
		}
		if nodes[b.Name] {
			return field.Errorf(path+".name", "%q is already used by a service or instance", b.Name)
		}
		if a := b.Autoscale; a != nil {
			ap := path + ".autoscale."
			switch {
			case !(a.LagThreshold > 0):
				return field.Errorf(ap+"lag_threshold", "must be > 0, got %v", a.LagThreshold)
			case a.MinConsumers < 1:
				return field.Errorf(ap+"min_consumers", "must be >= 1, got %d", a.MinConsumers)
			case a.MaxConsumers < a.MinConsumers:
				return field.Errorf(ap+"max_consumers", "must be >= min_consumers (%d), got %d", a.MinConsumers, a.MaxConsumers)
			case a.Period <= 0:
				return field.Errorf(ap+"period", "must be > 0, got %v", a.Period)
			case a.ScaleDownWindow < 0:
				return field.Errorf(ap+"scale_down_window", "must be >= 0, got %v", a.ScaleDownWindow)
			}
		}
		if b.Downstream != "" && !s.hasService(b.Downstream) {
			return field.Errorf(path+".downstream", "%q is not a service of the topology", b.Downstream)
		}
		names[b.Name] = true
		nodes[b.Name] = true
		for j := range b.Producers {
			nodes[fmt.Sprintf("%s-producer-%d", b.Name, j)] = true
		}
		for j := range b.Consumers {
			nodes[fmt.Sprintf("%s-consumer-%d", b.Name, j)] = true
		}
	}
	for i, svc := range s.Topology.Services {
		if svc.Publish != "" && !names[svc.Publish] {
			return field.Errorf(fmt.Sprintf("topology.services[%d].publish", i), "%q is not a broker of the topology", svc.Publish)
		}
	}
	return nil
}

func (s *Scenario) hasService(name string) bool {
	for _, svc := range s.Topology.Services {
		if svc.Name == name {
			return true
		}
	}
	return false
}
