package world

import (
	"fmt"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
)

// calls is the part that connects every service to its dependencies
// (services[].calls, and each endpoint's own calls), with a deadline
// table when some service honours deadlines. Every interval it records
// each call's rates and breakers; at the end, each call's totals.
type calls struct {
	e         *env
	deadlines *service.Deadlines // nil unless a service honours deadlines
	series    []callSeries
}

// callSeries is one service's calls to one dependency, as sampled.
type callSeries struct {
	svc  *service.Service
	dep  int
	cfg  service.Call
	name string // "gateway->tier1", or "gateway.checkout->payments" for an endpoint's own call
	last service.CallStats
}

// buildCalls gives every service its dependencies, and a deadline table
// when some service honours deadlines.
func buildCalls(e *env, svcs *services) (*calls, error) {
	c := &calls{e: e}
	for _, s := range svcs.list {
		if s.Config().HonorDeadlines {
			c.deadlines = service.NewDeadlines()
		}
	}
	for i, s := range svcs.list {
		if err := s.Connect(svcs.named, c.deadlines); err != nil {
			return nil, fmt.Errorf("topology.services[%d]: %w", i, err)
		}
		for d, ref := range s.CallRefs() {
			from := s.Name()
			if ref.Endpoint != "" {
				from += "." + ref.Endpoint
			}
			c.series = append(c.series, callSeries{svc: s, dep: d, cfg: ref.Call, name: from + "->" + ref.Call.Service})
		}
	}
	return c, nil
}

// sample records, per call, the calls per second of a route, the state
// of its breakers (0 closed, 1 open, averaged over the caller's
// instances) where it has one, and the rates of fallbacks and of attempts
// refused by a breaker, rate limiter or bulkhead, in the interval that
// just ended.
func (c *calls) sample(at time.Duration) {
	secs := c.e.sc.Interval.Seconds()
	rec := c.e.rec
	for i := range c.series {
		cs := &c.series[i]
		cfg := cs.cfg
		if cfg.Breaker != nil || cfg.WindowBreaker != nil {
			rec.Set("breaker_open."+cs.name, "fraction open", at, cs.svc.BreakerOpenness(cs.dep))
		}
		st := cs.svc.CallStats(cs.dep)
		if cs.svc.Config().CallMode == service.Route {
			rec.Set("calls."+cs.name, "calls/s", at, float64(st.Calls-cs.last.Calls)/secs)
		}
		if st.Rerouted > 0 || cs.last.Rerouted > 0 {
			rec.Set("rerouted."+cs.name, "calls/s", at, float64(st.Rerouted-cs.last.Rerouted)/secs)
		}
		refused := st.ShortCircuited + st.RateLimited + st.BulkheadFull
		lastRefused := cs.last.ShortCircuited + cs.last.RateLimited + cs.last.BulkheadFull
		if refused > 0 || lastRefused > 0 {
			rec.Set("calls_refused."+cs.name, "calls/s", at, float64(refused-lastRefused)/secs)
		}
		if st.Fallbacks > 0 || cs.last.Fallbacks > 0 {
			rec.Set("fallbacks."+cs.name, "calls/s", at, float64(st.Fallbacks-cs.last.Fallbacks)/secs)
		}
		cs.last = st
	}
}

// report adds each call's totals to the run's metrics.
func (c *calls) report(run *results.Run) {
	for _, cs := range c.series {
		st := cs.svc.CallStats(cs.dep)
		p := "call_" + strings.NewReplacer("->", "_to_", "-", "_", ".", "_").Replace(cs.name) + "_"
		// An attempt is every try a caller makes, refused locally (an open
		// breaker, the rate limiter, a full bulkhead) or sent; so every
		// call has at least one and amplification is never below 1. sent
		// counts those that reached the wire: the load on the callee.
		refused := st.ShortCircuited + st.RateLimited + st.BulkheadFull
		run.Metrics[p+"attempts"] = float64(st.Attempts + refused)
		run.Metrics[p+"sent"] = float64(st.Attempts)
		run.Metrics[p+"failed"] = float64(st.Failed)
		run.Metrics[p+"short_circuited"] = float64(st.ShortCircuited)
		run.Metrics[p+"fallbacks"] = float64(st.Fallbacks)
		run.Metrics["policy_violations"] += float64(st.Violations)
		if cs.cfg.OutlierDetection != nil {
			run.Metrics[p+"ejections"] = float64(st.Ejections)
		}
		if m := c.e.sc.Mesh; m != nil && m.Retry != nil {
			run.Metrics[p+"mesh_retries"] = float64(st.MeshRetries)
		}
		if st.Calls > 0 {
			run.Metrics[p+"amplification"] = float64(st.Attempts+refused) / float64(st.Calls)
			run.Metrics[p+"load_amplification"] = float64(st.Attempts) / float64(st.Calls)
		}
	}
}
