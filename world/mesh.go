package world

import (
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/sim"
)

// mesh is the part that puts a sidecar beside every instance and client
// when the scenario has a mesh section: the services' calls go through
// the sidecars (their retries and timeouts), and every message between
// clients and services crosses two of them.
type mesh struct {
	e   *env
	cfg *service.MeshConfig // nil without a mesh
}

// useMesh puts every service's calls through sidecars (before the calls
// are built).
func useMesh(e *env, svcs *services) *mesh {
	m := &mesh{e: e, cfg: e.sc.Mesh}
	if m.cfg != nil {
		for _, s := range svcs.list {
			s.UseMesh(m.cfg)
		}
	}
	return m
}

// addHops adds the two sidecars' latency (the sender's and the
// receiver's) to every message between clients and services. Links to
// instances that scaling adds later do not get it.
func (m *mesh) addHops(svcs *services, clients *clients) error {
	if m.cfg == nil || m.cfg.HopLatency == 0 {
		return nil
	}
	var ends []sim.NodeID
	for _, s := range svcs.list {
		ends = append(ends, s.Nodes()...)
	}
	for _, c := range clients.list {
		ends = append(ends, c.Node())
	}
	hop := sim.LinkFault{Latency: 2 * m.cfg.HopLatency}
	for _, a := range ends {
		for _, b := range ends {
			if a == b {
				continue
			}
			if _, err := m.e.net.AddLinkFault(a, b, hop); err != nil {
				return err
			}
		}
	}
	return nil
}
