package chaos

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/faultline-sim/faultline/scenarios"
)

// targets resolves a crash or pause target to replica indexes: one
// replica, the store (every replica) or <store>.leader (the replica that
// leads at the fault's start; the scenario language accepts it only in
// partitions today, Go callers may set it). It also returns the replicas
// left running if they are a majority.
func (r *run) targets(ctx context.Context, f *scenarios.Fault, af *appliedFault) ([]int, error) {
	idx, target, err := resolve(r.eps, r.st.Name, f.Target, func() int { return r.leaderNow(ctx) })
	if err != nil {
		return nil, err
	}
	af.Target = target
	var down, up []int
	for i := range r.st.Replicas {
		if slices.Contains(idx, i) {
			down = append(down, i)
		} else {
			up = append(up, i)
		}
	}
	if 2*len(up) > r.st.Replicas {
		af.Majority = up
	}
	if len(down) == 0 {
		return nil, fmt.Errorf("target %s: no replica", f.Target)
	}
	return down, nil
}

// crashFault kills the targets with SIGKILL (their process groups) and
// restarts them with the same configuration, ports, data folder and log
// file at the fault's end, unless the run is being stopped. Raft's log,
// term and vote are in a file the kill does not lose (kv's fileStore), so
// the node comes back as raft expects; its key-value state is in memory
// and is rebuilt by replaying the log once the node learns the commit
// index from a leader.
func crashFault(ctx context.Context, r *run, f *scenarios.Fault, _ string, af *appliedFault) (func(stopping bool) error, error) {
	idx, err := r.targets(ctx, f, af)
	if err != nil {
		return nil, err
	}
	af.Actions = len(idx)
	undo := func(stopping bool) error {
		if stopping {
			return nil // the run is stopping: the node stays down
		}
		var errs []error
		for _, i := range idx {
			errs = append(errs, r.c.restart(i))
		}
		return errors.Join(errs...)
	}
	var errs []error
	for _, i := range idx {
		errs = append(errs, r.c.crash(i))
	}
	return undo, errors.Join(errs...)
}

// pauseFault stops the targets with SIGSTOP and continues them with
// SIGCONT at the fault's end (also when the run is stopped).
func pauseFault(ctx context.Context, r *run, f *scenarios.Fault, _ string, af *appliedFault) (func(stopping bool) error, error) {
	idx, err := r.targets(ctx, f, af)
	if err != nil {
		return nil, err
	}
	af.Actions = len(idx)
	undo := func(bool) error {
		var errs []error
		for _, i := range idx {
			errs = append(errs, r.c.resume(i))
		}
		return errors.Join(errs...)
	}
	var errs []error
	for _, i := range idx {
		errs = append(errs, r.c.pause(i))
	}
	return undo, errors.Join(errs...)
}

// windowFault does nothing: a window only marks a period of interest.
func windowFault(context.Context, *run, *scenarios.Fault, string, *appliedFault) (func(stopping bool) error, error) {
	return nil, nil
}

// faultKind puts one fault in place and returns how to undo it. The undo
// is returned even when err is not nil (a fault may be half in place) and
// is called at the fault's end, or at once, with stopping set, when the
// run is being stopped.
type faultKind func(ctx context.Context, r *run, f *scenarios.Fault, tag string, af *appliedFault) (undo func(stopping bool) error, err error)

// faultKinds is every fault type the real store engine runs, keyed by
// the language's constants.
var faultKinds = map[scenarios.FaultType]faultKind{
	scenarios.FaultPartition: partitionFault,
	scenarios.FaultLatency:   linkFault,
	scenarios.FaultLoss:      linkFault,
	scenarios.FaultBandwidth: linkFault,
	scenarios.FaultTimeout:   linkFault,
	scenarios.FaultResetPeer: linkFault,
	scenarios.FaultSlowClose: linkFault,
	scenarios.FaultSlicer:    linkFault,
	scenarios.FaultLimitData: linkFault,
	scenarios.FaultCrash:     crashFault,
	scenarios.FaultPause:     pauseFault,
	scenarios.FaultWindow:    windowFault,
}
