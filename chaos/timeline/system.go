package timeline

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/faultline-sim/faultline/results"
)

// Sentinel errors of a real run, wrapped by what Run, Plan and the
// adapters return.
var (
	// ErrNoRealCounterpart marks a case the real engine cannot run: a
	// store design, a setting or a fault with no real implementation.
	// Callers comparing engines skip such cases.
	ErrNoRealCounterpart = errors.New("no real counterpart")
	// ErrHarness marks failures of the harness itself (could not build
	// or start a process, port in use, Toxiproxy unreachable, cleanup
	// incomplete), as opposed to failures of the system under test, which
	// are measured, not returned.
	ErrHarness = errors.New("harness")
)

// System is one real system under test as the timeline drives it: the
// adapter of one kind of system (Faultline's raft key-value store and
// HTTP service chain today; etcd, Redis, a user's processes next). It
// says which processes it starts and which links they dial (the timeline
// places a proxy on each), how a process fault acts, how the load is
// driven and what it records. The timeline calls, in order: Spec and
// Plan at any time; then Bind, Start, Drive (with Sample, Role, Crash
// and Pause concurrently), Exited, Results, and Close last, whatever
// happened before.
type System interface {
	// Spec describes the system; it is fixed when the adapter is made.
	Spec() Spec
	// Plan writes, for a dry run, one indented line per process kind
	// and load of the system ("  processes: ...", "  load: ...").
	Plan(w io.Writer)
	// Bind reserves the addresses the system's processes will listen on
	// and returns, for each of Spec().Links, the address its proxy
	// forwards to.
	Bind() ([]string, error)
	// Start starts the processes, each dialling link i at listen[i] (its
	// proxy's address), and returns once the system is ready for load.
	Start(ctx context.Context, listen []string) error
	// Role resolves one of Spec().Roles to the node that holds it now.
	Role(ctx context.Context, role string) (int, error)
	// Crash kills the given process nodes and returns how to bring them
	// back at the fault's end.
	Crash(ctx context.Context, nodes []int) (Revert, error)
	// Pause stops the given process nodes and returns how to resume
	// them.
	Pause(ctx context.Context, nodes []int) (Revert, error)
	// Drive runs the scenario's load from Env.T0 until the scenario's
	// duration, or until ctx is done, reports each request's end with
	// Env.Ended, and returns once the last request has ended.
	Drive(ctx context.Context) error
	// Sample records the system's state; it is called every
	// Spec().SampleEvery from the start of the load to the end of the
	// settle time.
	Sample(ctx context.Context)
	// Exited names a process that ended on its own (not by a fault), or
	// is "".
	Exited() string
	// Results adds what the system measured to the run's recorder
	// (series, metrics; faults are the faults as applied) and returns
	// the files it wrote into Env.Dir, when Env.KeepFiles.
	Results(ctx context.Context, rec *results.Recorder, faults []Applied) ([]results.File, error)
	// Close stops every process and releases what the system holds; it
	// is called once, also after a Bind or Start that failed part-way.
	Close() error
}

// Factory makes the adapter of one run from its environment, or returns
// an error (wrapping ErrNoRealCounterpart where that is why) for a
// scenario it cannot run. It starts nothing.
type Factory func(env *Env) (System, error)

// Revert undoes a fault. stopping is set when the run is being torn down
// (cancelled, interrupted, out of time) rather than at the fault's end:
// a crashed process then stays down.
type Revert func(stopping bool) error

// Spec is what the timeline needs to know of a system before it starts.
type Spec struct {
	// Nodes are the system's processes and load clients; faults name
	// them by Name or Group.
	Nodes []Node
	// Links are the connections the processes and clients dial: a proxy
	// is placed on each.
	Links []Link
	// Roles are the selectors resolved at a fault's start by
	// System.Role, e.g. "kv.leader".
	Roles []string
	// SampleEvery is how often System.Sample is called; 0 never.
	SampleEvery time.Duration
	// Settle is how long the run goes on after the load, with no fault,
	// before the results are taken: the system's time to recover.
	Settle time.Duration
	// Drain bounds how long the last requests may take after the end of
	// the load (the longest timeout, with retries).
	Drain time.Duration
}

// Node is a process of the system, or a load client.
type Node struct {
	// Name is the node's selector, e.g. "kv-1", "api-0", "majority".
	Name string
	// Group, if set, is a selector naming every node of the group, e.g.
	// the store "kv" or the service "api".
	Group string
	// Process is set for a process the system started: crash and pause
	// act on it.
	Process bool
}

// Link is one proxied connection: the nodes in From dial the node To
// through one proxy. Several nodes share a link when they share the
// address they dial (the instances of a caller).
type Link struct {
	// Name names the proxy; unique in the run.
	Name string
	From []int
	To   int
}
