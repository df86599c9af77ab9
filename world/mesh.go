package world

import (
	"github.com/faultline-sim/faultline/sim"
)

// useMesh puts every service's calls through sidecars (before the calls
// are built).
func (w *World) useMesh() error {
	if m := w.sc.Mesh; m != nil {
		for _, s := range w.services {
			s.UseMesh(m)
		}
	}
	return nil
}

// buildMeshLinks adds the two sidecars' latency (the sender's and the
// receiver's) to every message between clients and services. Links to
// instances that scaling adds later do not get it.
func (w *World) buildMeshLinks() error {
	m := w.sc.Mesh
	if m == nil || m.HopLatency == 0 {
		return nil
	}
	var ends []sim.NodeID
	for _, s := range w.services {
		ends = append(ends, s.Nodes()...)
	}
	for _, c := range w.clients {
		ends = append(ends, c.Node())
	}
	hop := sim.LinkFault{Latency: 2 * m.HopLatency}
	for _, a := range ends {
		for _, b := range ends {
			if a == b {
				continue
			}
			if _, err := w.net.AddLinkFault(a, b, hop); err != nil {
				return err
			}
		}
	}
	return nil
}
