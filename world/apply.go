package world

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
)

// scheduleFaults arranges every fault's start and end on the kernel. A
// fault that cannot be applied is a build error, found before the run.
func (w *World) scheduleFaults() error {
	for i := range w.sc.Faults {
		f := &w.sc.Faults[i]
		if err := w.scheduleFault(f); err != nil {
			return fmt.Errorf("faults[%d] (%s): %w", i, f.Type, err)
		}
	}
	return nil
}

// scheduler arranges one fault's start and end on the kernel.
type scheduler func(w *World, f *scenarios.Fault) error

// simFaults is the simulator's row for every fault type: how it schedules
// it, as its FaultSpec.Sim documents, or, for a type with no effect on
// simulated requests, why. A test checks it covers the language.
var simFaults = scenarios.FaultTable[scheduler]{
	{Type: scenarios.FaultPartition, Do: (*World).schedulePartition},
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

func (w *World) scheduleFault(f *scenarios.Fault) error {
	row, ok := simFaults.Lookup(f.Type)
	if !ok {
		return fmt.Errorf("the simulator does not implement fault type %q", f.Type)
	}
	if !row.Implemented() {
		return nil // no effect on simulated requests: row.None says why
	}
	return row.Do(w, f)
}

// schedulePartition cuts the partition's groups apart for the fault's
// window; isolating <store>.leader picks the replica when the fault starts.
func (w *World) schedulePartition(f *scenarios.Fault) error {
	if name, ok := strings.CutSuffix(f.Isolate, scenarios.LeaderSuffix); ok {
		return w.scheduleLeaderCut(f, name)
	}
	p, err := w.partition(f)
	if err != nil {
		return err
	}
	return w.net.ScheduleCut(sim.At(f.At), f.For, p)
}

// leader is implemented by designs that have one.
type leader interface{ Leader() int }

// scheduleLeaderCut isolates whichever replica leads store name when the
// fault starts (replica 0 for designs without a leader, or while none is
// elected), and heals that cut at the end.
func (w *World) scheduleLeaderCut(f *scenarios.Fault, name string) error {
	s := w.storeNamed(name)
	if s == nil {
		return fmt.Errorf("isolate %s: no store %s", f.Isolate, name)
	}
	mode := partitionMode(f)
	w.k.AtFunc(sim.At(f.At), func() {
		i := 0
		if l, ok := s.cluster.(leader); ok && l.Leader() >= 0 {
			i = l.Leader()
		}
		node := s.cluster.Nodes()[i]
		id, err := w.net.Cut(sim.Partition{Isolate: &node, Mode: mode})
		if err != nil {
			panic(err) // the node exists: a broken invariant
		}
		w.k.Record(w.sampler, 1, int64(i), int64(node))
		w.k.AfterFunc(f.For, func() { w.net.Heal(id) })
	})
	return nil
}

func partitionMode(f *scenarios.Fault) sim.CutMode {
	if f.Mode == scenarios.PartitionRefuse {
		return sim.Refuse
	}
	return sim.BlackHole
}

func (w *World) partition(f *scenarios.Fault) (sim.Partition, error) {
	mode := partitionMode(f)
	if f.Isolate != "" {
		nodes := w.resolve(f.Isolate)
		if len(nodes) == 1 {
			return sim.Partition{Isolate: &nodes[0], Mode: mode}, nil
		}
		// A whole service: its instances on one side, every other node on
		// the other.
		return sim.Partition{Groups: [][]sim.NodeID{nodes, w.others(nodes)}, Mode: mode}, nil
	}
	p := sim.Partition{OneWay: f.OneWay, Mode: mode}
	for _, g := range f.Groups {
		var nodes []sim.NodeID
		for _, sel := range g {
			nodes = append(nodes, w.resolve(sel)...)
		}
		p.Groups = append(p.Groups, nodes)
	}
	return p, nil
}

func (w *World) others(nodes []sim.NodeID) []sim.NodeID {
	in := map[sim.NodeID]bool{}
	for _, n := range nodes {
		in[n] = true
	}
	var out []sim.NodeID
	for _, n := range w.nodes {
		if !in[n] {
			out = append(out, n)
		}
	}
	return out
}

// onLinks schedules a link fault: the sim.LinkFault that fault f stands
// for is added to every targeted directed link at the start, and exactly
// what was added is removed at the end.
func onLinks(linkFault func(f *scenarios.Fault) sim.LinkFault) scheduler {
	return func(w *World, f *scenarios.Fault) error {
		lf := linkFault(f)
		if err := lf.Validate(); err != nil {
			return err
		}
		type applied struct {
			from, to sim.NodeID
			id       sim.LinkFaultID
		}
		pairs := w.linkPairs(f)
		var active []applied
		w.k.AtFunc(sim.At(f.At), func() {
			for _, p := range pairs {
				id, err := w.net.AddLinkFault(p[0], p[1], lf)
				if err != nil {
					panic(err) // validated above; nodes are never removed
				}
				active = append(active, applied{p[0], p[1], id})
			}
		})
		w.k.AtFunc(sim.At(f.End()), func() {
			for _, a := range active {
				w.net.RemoveLinkFault(a.from, a.to, a.id)
			}
			active = nil
		})
		return nil
	}
}

func (w *World) linkPairs(f *scenarios.Fault) [][2]sim.NodeID {
	var out [][2]sim.NodeID
	for _, a := range w.resolve(f.From) {
		for _, b := range w.resolve(f.To) {
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
	return func(w *World, f *scenarios.Fault) error {
		svc, idx, err := w.instances(f.Target)
		if err != nil {
			return err
		}
		whole := outage && f.Target == svc.Name() // every instance: an outage
		w.k.AtFunc(sim.At(f.At), func() {
			for _, i := range idx {
				down(svc, i)
			}
			if whole {
				w.downstreamOutage(svc.Name(), false)
			}
		})
		w.k.AtFunc(sim.At(f.End()), func() {
			for _, i := range idx {
				up(svc, i)
			}
			if whole {
				w.downstreamOutage(svc.Name(), true)
			}
		})
		return nil
	}
}

func (w *World) instances(target string) (*service.Service, []int, error) {
	if s := w.service(target); s != nil {
		idx := make([]int, s.Len())
		for i := range idx {
			idx[i] = i
		}
		return s, idx, nil
	}
	cut := strings.LastIndex(target, "-")
	if cut > 0 {
		if s := w.service(target[:cut]); s != nil {
			if i, err := strconv.Atoi(target[cut+1:]); err == nil && i >= 0 && i < s.Len() {
				return s, []int{i}, nil
			}
		}
	}
	return nil, nil, fmt.Errorf("target %q is not a service or instance", target)
}
