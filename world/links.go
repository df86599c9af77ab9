package world

import (
	"fmt"
	"slices"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
)

// buildLinks sets the network links of the topology (topology.links)
// between the nodes their selectors name, and gives each instance that
// scaling or a rollout adds later its name in the registry and the links
// the topology sets for it. Links are the network's state, so this part
// keeps none of its own.
func buildLinks(e *env, svcs *services) error {
	for i, l := range e.sc.Topology.Links {
		cfg, err := linkConfig(l)
		if err != nil {
			return fmt.Errorf("topology.links[%d].latency: %w", i, err)
		}
		for _, a := range e.nodes.resolve(l.From) {
			for _, b := range e.nodes.resolve(l.To) {
				if a == b {
					continue
				}
				if err := e.net.SetLink(a, b, cfg); err != nil {
					return fmt.Errorf("topology.links[%d]: %w", i, err)
				}
				if !l.OneWay {
					if err := e.net.SetLink(b, a, cfg); err != nil {
						return fmt.Errorf("topology.links[%d]: %w", i, err)
					}
				}
			}
		}
	}
	for _, svc := range svcs.list {
		svc.OnAdd(func(j int) { addInstance(e, svc, j) })
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

// addInstance makes instance j of svc, created after the build, known to
// node selectors and gives it the links the topology sets for it.
func addInstance(e *env, svc *service.Service, j int) {
	node := svc.Nodes()[j]
	e.nodes.addMember(svc.Name(), svc.Nodes(), j)
	for _, l := range e.sc.Topology.Links {
		cfg, err := linkConfig(l)
		if err != nil {
			panic(err) // built once already: a broken invariant
		}
		from, to := e.nodes.resolve(l.From), e.nodes.resolve(l.To)
		for _, pair := range linkPairs(node, from, to, l.OneWay) {
			if pair[0] != pair[1] {
				_ = e.net.SetLink(pair[0], pair[1], cfg) // both nodes exist
			}
		}
	}
}

// linkPairs lists the directed links of a topology link that touch node.
func linkPairs(node sim.NodeID, from, to []sim.NodeID, oneWay bool) [][2]sim.NodeID {
	var out [][2]sim.NodeID
	if slices.Contains(from, node) {
		for _, b := range to {
			out = append(out, [2]sim.NodeID{node, b})
			if !oneWay {
				out = append(out, [2]sim.NodeID{b, node})
			}
		}
	}
	if slices.Contains(to, node) {
		for _, a := range from {
			out = append(out, [2]sim.NodeID{a, node})
			if !oneWay {
				out = append(out, [2]sim.NodeID{node, a})
			}
		}
	}
	return out
}
