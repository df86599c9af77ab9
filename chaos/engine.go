package chaos

import (
	"context"
	"io"

	"github.com/faultline-sim/faultline/chaos/adapters/httpchain"
	"github.com/faultline-sim/faultline/chaos/adapters/raftkv"
	"github.com/faultline-sim/faultline/chaos/timeline"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
)

// Errors of the real engine (see package timeline), for errors.Is.
var (
	// ErrNoRealCounterpart is returned (wrapped) for a case the real
	// engine cannot run: a store design other than raft, a setting or a
	// fault without a real implementation. Callers comparing engines
	// skip such cases.
	ErrNoRealCounterpart = timeline.ErrNoRealCounterpart
	// ErrHarness marks failures of the harness itself, as opposed to
	// failures of the system under test, which are measured.
	ErrHarness = timeline.ErrHarness
)

// Engine runs scenarios against real processes on 127.0.0.1, with a
// Toxiproxy proxy on every link. It implements scenarios.Engine.
type Engine struct {
	// Dir receives the run's artefacts (the fault log, porcupine's
	// visualisation) and a folder of each run's process logs, and is
	// where Run.Files paths point; "" means a temporary folder removed
	// after the run (and no Files).
	Dir string
	// TimeScale multiplies every time of the scenario's schedule: the
	// duration, each fault's at and for, the stores' settle and the
	// rate schedules' times. 0 means 1. Raft's timeouts, client timeouts,
	// service times and request rates are not scaled: 0.2 runs the 90 s
	// partition scenario in 18 s with the same protocol timing.
	TimeScale float64
	// Toxiproxy is the API address (host:port) of a Toxiproxy server to
	// use; "" starts one embedded in this process, so no fault can outlive
	// it.
	Toxiproxy string
	// Log, if set, receives a line for every setting of the scenario that
	// the run could apply only approximately or not at all (they are also
	// in the run's notes and fault log).
	Log io.Writer

	hooks timeline.Hooks // tests only
}

// Name is "real".
func (e *Engine) Name() string { return "real" }

func (e *Engine) options() timeline.Options {
	return timeline.Options{Dir: e.Dir, TimeScale: e.TimeScale, Toxiproxy: e.Toxiproxy, Log: e.Log, Hooks: e.hooks}
}

// Run runs one case on one seed (the seed draws the load; Toxiproxy and
// the OS are not seeded) on the system that implements its scenario. It
// cleans up every process and proxy it started on return, on panic, on
// ctx's cancellation and on SIGINT/SIGTERM; an interrupted run returns an
// error wrapping the context's.
func (e *Engine) Run(ctx context.Context, c scenarios.Case, seed uint64) (results.Run, error) {
	return timeline.Run(ctx, e.options(), c, seed, System)
}

// Plan writes to w what a real run of case c would do at the engine's
// time scale, without starting anything or touching Toxiproxy: the
// processes, the proxies, how the topology's links and each fault would
// be applied, the load, the stop condition and how long it would last. A
// case the engine cannot run returns the error Run would (wrapping
// ErrNoRealCounterpart where that is why).
func (e *Engine) Plan(w io.Writer, c scenarios.Case, seed uint64) error {
	return timeline.Plan(w, e.options(), c, seed, System)
}

// System makes the adapter of the real system that implements env's
// scenario: a scenario of services runs as the HTTP service chain, one
// with a store as the raft key-value store. It is the one place that
// knows every adapter.
func System(env *timeline.Env) (timeline.System, error) {
	if len(env.Scenario.Topology.Services) > 0 {
		return httpchain.New(env)
	}
	return raftkv.New(env)
}
