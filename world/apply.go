package world

import (
	"fmt"
	"strings"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
)

// faults is the part that schedules the scenario's faults (faults) at
// their virtual times, each as its type's row in simFaults says: on the
// network's links and cuts, on the services' instances, on a store's
// leader, and on the brokers whose downstream a crash takes out. Its work
// is done once the faults are scheduled; it reports nothing.
type faults struct {
	e       *env
	svcs    *services
	stores  *stores
	brokers *brokers
}

// scheduleFaults arranges every fault's start and end on the kernel. A
// fault that cannot be applied is a build error, found before the run.
func scheduleFaults(e *env, svcs *services, stores *stores, brokers *brokers) error {
	fs := &faults{e: e, svcs: svcs, stores: stores, brokers: brokers}
	for i := range e.sc.Faults {
		f := &e.sc.Faults[i]
		if err := fs.schedule(f); err != nil {
			return fmt.Errorf("faults[%d] (%s): %w", i, f.Type, err)
		}
	}
	return nil
}

// scheduler arranges one fault's start and end on the kernel.
type scheduler func(fs *faults, f *scenarios.Fault) error

// simFaults is the simulator's row for every fault type: how it schedules
// it, as its FaultSpec.Sim documents, or, for a type with no effect on
// simulated requests, why. A test checks it covers the language.
var simFaults = scenarios.FaultTable[scheduler]{
	{Type: scenarios.FaultPartition, Do: (*faults).schedulePartition},
	{Type: scenarios.FaultLatency, Do: onLinks(func(f *scenarios.Fault) sim.LinkFault {
		return sim.LinkFault{Latency: f.Latency, Jitter: f.Jitter, Flush: true}
	})},
	{Type: scenarios.FaultLoss, Do: onLinks(func(f *scenarios.Fault) sim.LinkFault { return sim.LinkFault{Loss: f.Probability} })},
	{Type: scenarios.FaultBandwidth, Do: onLinks(func(f *scenarios.Fault) sim.LinkFault { return sim.LinkFault{Bandwidth: f.Bandwidth} })},
	{Type: scenarios.FaultTimeout, Do: onLinks(func(f *scenarios.Fault) sim.LinkFault { return sim.LinkFault{Drop: true, After: f.Timeout} })},
	{Type: scenarios.FaultResetPeer, Do: onLinks(func(f *scenarios.Fault) sim.LinkFault { return sim.LinkFault{Reset: true, After: f.Timeout} })},
	{Type: scenarios.FaultSlowClose, None: "the simulator models requests and responses, not connection teardown: no effect on simulated requests"},
	{Type: scenarios.FaultSlicer, Do: onLinks(func(f *scenarios.Fault) sim.LinkFault {
		return sim.LinkFault{SliceBytes: f.AverageSize + f.SizeVariation, SliceDelay: f.Delay}
	})},
	{Type: scenarios.FaultLimitData, Do: onLinks(func(f *scenarios.Fault) sim.LinkFault { return sim.LinkFault{LimitBytes: f.Bytes} })},
	{Type: scenarios.FaultCrash, Do: onProcesses((*service.Service).Crash, (*service.Service).Restart, true)},
	{Type: scenarios.FaultPause, Do: onProcesses((*service.Service).Pause, (*service.Service).Resume, false)},
	{Type: scenarios.FaultWindow, None: "a window marks a phase for the report and acts on nothing"},
}

// schedule arranges fault f by its type's row.
func (fs *faults) schedule(f *scenarios.Fault) error {
	row, ok := simFaults.Lookup(f.Type)
	if !ok {
		return fmt.Errorf("the simulator does not implement fault type %q", f.Type)
	}
	if !row.Implemented() {
		return nil // no effect on simulated requests: row.None says why
	}
	return row.Do(fs, f)
}

// schedulePartition cuts the partition's groups apart for the fault's
// window; isolating <store>.leader picks the replica when the fault starts.
func (fs *faults) schedulePartition(f *scenarios.Fault) error {
	if name, ok := strings.CutSuffix(f.Isolate, scenarios.LeaderSuffix); ok {
		return fs.scheduleLeaderCut(f, name)
	}
	p, err := fs.partition(f)
	if err != nil {
		return err
	}
	return fs.e.net.ScheduleCut(sim.At(f.At), f.For, p)
}

// leader is implemented by designs that have one.
type leader interface{ Leader() int }

// scheduleLeaderCut isolates whichever replica leads store name when the
// fault starts (replica 0 for designs without a leader, or while none is
// elected), and heals that cut at the end.
func (fs *faults) scheduleLeaderCut(f *scenarios.Fault, name string) error {
	s := fs.stores.named(name)
	if s == nil {
		return fmt.Errorf("isolate %s: no store %s", f.Isolate, name)
	}
	mode := partitionMode(f)
	fs.e.k.AtFunc(sim.At(f.At), func() {
		i := 0
		if l, ok := s.cluster.(leader); ok && l.Leader() >= 0 {
			i = l.Leader()
		}
		node := s.cluster.Nodes()[i]
		id, err := fs.e.net.Cut(sim.Partition{Isolate: &node, Mode: mode})
		if err != nil {
			panic(err) // the node exists: a broken invariant
		}
		fs.e.k.Record(fs.e.sampler, 1, int64(i), int64(node))
		fs.e.k.AfterFunc(f.For, func() { fs.e.net.Heal(id) })
	})
	return nil
}

func partitionMode(f *scenarios.Fault) sim.CutMode {
	if f.Mode == scenarios.PartitionRefuse {
		return sim.Refuse
	}
	return sim.BlackHole
}

func (fs *faults) partition(f *scenarios.Fault) (sim.Partition, error) {
	mode := partitionMode(f)
	if f.Isolate != "" {
		nodes := fs.e.nodes.resolve(f.Isolate)
		if len(nodes) == 1 {
			return sim.Partition{Isolate: &nodes[0], Mode: mode}, nil
		}
		// A whole service: its instances on one side, every other node on
		// the other.
		return sim.Partition{Groups: [][]sim.NodeID{nodes, fs.e.nodes.others(nodes)}, Mode: mode}, nil
	}
	p := sim.Partition{OneWay: f.OneWay, Mode: mode}
	for _, g := range f.Groups {
		var nodes []sim.NodeID
		for _, sel := range g {
			nodes = append(nodes, fs.e.nodes.resolve(sel)...)
		}
		p.Groups = append(p.Groups, nodes)
	}
	return p, nil
}

// onLinks schedules a link fault: the sim.LinkFault that fault f stands
// for is added to every targeted directed link at the start, and exactly
// what was added is removed at the end.
func onLinks(linkFault func(f *scenarios.Fault) sim.LinkFault) scheduler {
	return func(fs *faults, f *scenarios.Fault) error {
		lf := linkFault(f)
		if err := lf.Validate(); err != nil {
			return err
		}
		type applied struct {
			from, to sim.NodeID
			id       sim.LinkFaultID
		}
		pairs := fs.linkPairs(f)
		var active []applied
		fs.e.k.AtFunc(sim.At(f.At), func() {
			for _, p := range pairs {
				id, err := fs.e.net.AddLinkFault(p[0], p[1], lf)
				if err != nil {
					panic(err) // validated above; nodes are never removed
				}
				active = append(active, applied{p[0], p[1], id})
			}
		})
		fs.e.k.AtFunc(sim.At(f.End()), func() {
			for _, a := range active {
				fs.e.net.RemoveLinkFault(a.from, a.to, a.id)
			}
			active = nil
		})
		return nil
	}
}

func (fs *faults) linkPairs(f *scenarios.Fault) [][2]sim.NodeID {
	var out [][2]sim.NodeID
	for _, a := range fs.e.nodes.resolve(f.From) {
		for _, b := range fs.e.nodes.resolve(f.To) {
			if a == b {
				continue
			}
			out = append(out, [2]sim.NodeID{a, b})
			if f.TwoWay {
				out = append(out, [2]sim.NodeID{b, a})
			}
		}
	}
	return out
}

// onProcesses schedules a process fault: down on each targeted instance
// at the start, up at the end. With outage, a fault on every instance of
// a service is also an outage of the brokers' downstream.
func onProcesses(down, up func(s *service.Service, i int), outage bool) scheduler {
	return func(fs *faults, f *scenarios.Fault) error {
		svc, idx, err := fs.svcs.instances(f.Target)
		if err != nil {
			return err
		}
		whole := outage && f.Target == svc.Name() // every instance: an outage
		fs.e.k.AtFunc(sim.At(f.At), func() {
			for _, i := range idx {
				down(svc, i)
			}
			if whole {
				fs.brokers.downstreamOutage(svc.Name(), false)
			}
		})
		fs.e.k.AtFunc(sim.At(f.End()), func() {
			for _, i := range idx {
				up(svc, i)
			}
			if whole {
				fs.brokers.downstreamOutage(svc.Name(), true)
			}
		})
		return nil
	}
}
