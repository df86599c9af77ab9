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
		// One rule a direction: its pairs share a link until one needs its own.
		from, to := e.nodes.resolve(l.From), e.nodes.resolve(l.To)
		if err := e.net.SetLinks(from, to, cfg); err != nil {
			return fmt.Errorf("topology.links[%d]: %w", i, err)
		}
		if !l.OneWay {
			if err := e.net.SetLinks(to, from, cfg); err != nil {
				return fmt.Errorf("topology.links[%d]: %w", i, err)
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
		self := []sim.NodeID{node}
		// Every node exists and cfg was validated when the world was built.
		if slices.Contains(from, node) {
			_ = e.net.SetLinks(self, to, cfg)
			if !l.OneWay {
				_ = e.net.SetLinks(to, self, cfg)
			}
		}
		if slices.Contains(to, node) {
			_ = e.net.SetLinks(from, self, cfg)
			if !l.OneWay {
				_ = e.net.SetLinks(self, from, cfg)
			}
		}
	}
}
