// Package timelinetest helps test an adapter of the real engine on the
// real timeline, as net/http/httptest helps test a handler: Run runs a
// case and hands back, with the results, what the run's hooks saw (its
// environment, its proxy harness for Remaining and Events, the faults as
// applied) and the adapter it made.
//
// Imports: the timeline, the Toxiproxy harness, the language and the
// result schema.
package timelinetest

import (
	"context"

	"github.com/faultline-sim/faultline/chaos/proxy"
	"github.com/faultline-sim/faultline/chaos/timeline"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
)

// Run is one real run, watched from inside.
type Run[S timeline.System] struct {
	// System is the adapter the factory made (its zero value if it
	// failed).
	System S
	// Env, Proxies and Faults are the run's, as its Finished hook saw
	// them after the cleanup (nil if the run never started).
	Env     *timeline.Env
	Proxies *proxy.Harness
	Faults  []timeline.Applied
	// Result and Err are what timeline.Run returned.
	Result results.Run
	Err    error
}

// Execute runs case c on seed with opt on the system newSystem makes,
// whose concrete type must be S. started, if not nil, is called once the
// system is up, before the load (a test may change the scaled
// scenario's faults there); opt's Started and Finished hooks are the
// helper's.
func Execute[S timeline.System](ctx context.Context, opt timeline.Options, c scenarios.Case, seed uint64,
	newSystem timeline.Factory, started func(S)) *Run[S] {
	w := &Run[S]{}
	opt.Hooks.Started = func(*timeline.Env) {
		if started != nil {
			started(w.System)
		}
	}
	opt.Hooks.Finished = func(env *timeline.Env, h *proxy.Harness, faults []timeline.Applied) {
		w.Env, w.Proxies, w.Faults = env, h, faults
	}
	w.Result, w.Err = timeline.Run(ctx, opt, c, seed, func(env *timeline.Env) (timeline.System, error) {
		s, err := newSystem(env)
		if err == nil {
			w.System = s.(S)
		}
		return s, err
	})
	return w
}
