package world

import (
	"fmt"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
)

// callSeries is one service's calls to one dependency, as sampled.
type callSeries struct {
	svc  *service.Service
	dep  int
	cfg  service.Call
	name string // "gateway->tier1", or "gateway.checkout->payments" for an endpoint's own call
	last service.CallStats
}

// connectServices gives every service its dependencies, and a deadline
// table when some service honours deadlines.
func (w *World) connectServices() error {
	for _, s := range w.services {
		if s.Config().HonorDeadlines {
			w.deadlines = service.NewDeadlines()
		}
	}
	for i, s := range w.services {
		if err := s.Connect(w.service, w.deadlines); err != nil {
			return fmt.Errorf("topology.services[%d]: %w", i, err)
		}
		for d, ref := range s.CallRefs() {
			from := s.Name()
			if ref.Endpoint != "" {
				from += "." + ref.Endpoint
			}
			w.calls = append(w.calls, callSeries{svc: s, dep: d, cfg: ref.Call, name: from + "->" + ref.Call.Service})
		}
	}
	return nil
}

// sampleCalls records, per call, the calls per second of a route, the
// state of its breakers (0 closed, 1
// open, averaged over the caller's instances) where it has one, and the
// rates of fallbacks and of attempts refused by a breaker, rate limiter
// or bulkhead, in the interval that just ended.
func (w *World) sampleCalls(at time.Duration) {
	secs := w.sc.Interval.Seconds()
	for i := range w.calls {
		cs := &w.calls[i]
		cfg := cs.cfg
		if cfg.Breaker != nil || cfg.WindowBreaker != nil {
			w.rec.Set("breaker_open."+cs.name, "fraction open", at, cs.svc.BreakerOpenness(cs.dep))
		}
		st := cs.svc.CallStats(cs.dep)
		if cs.svc.Config().CallMode == service.Route {
			w.rec.Set("calls."+cs.name, "calls/s", at, float64(st.Calls-cs.last.Calls)/secs)
		}
		if st.Rerouted > 0 || cs.last.Rerouted > 0 {
			w.rec.Set("rerouted."+cs.name, "calls/s", at, float64(st.Rerouted-cs.last.Rerouted)/secs)
		}
		refused := st.ShortCircuited + st.RateLimited + st.BulkheadFull
		lastRefused := cs.last.ShortCircuited + cs.last.RateLimited + cs.last.BulkheadFull
		if refused > 0 || lastRefused > 0 {
			w.rec.Set("calls_refused."+cs.name, "calls/s", at, float64(refused-lastRefused)/secs)
		}
		if st.Fallbacks > 0 || cs.last.Fallbacks > 0 {
			w.rec.Set("fallbacks."+cs.name, "calls/s", at, float64(st.Fallbacks-cs.last.Fallbacks)/secs)
		}
		cs.last = st
	}
}

// callMetrics adds each call's totals to the run's metrics.
func (w *World) callMetrics(run *results.Run) {
	for _, cs := range w.calls {
		st := cs.svc.CallStats(cs.dep)
		p := "call_" + strings.NewReplacer("->", "_to_", "-", "_", ".", "_").Replace(cs.name) + "_"
		run.Metrics[p+"attempts"] = float64(st.Attempts)
		run.Metrics[p+"failed"] = float64(st.Failed)
		run.Metrics[p+"short_circuited"] = float64(st.ShortCircuited)
		run.Metrics[p+"fallbacks"] = float64(st.Fallbacks)
		run.Metrics["policy_violations"] += float64(st.Violations)
		if cs.cfg.OutlierDetection != nil {
			run.Metrics[p+"ejections"] = float64(st.Ejections)
		}
		if w.sc.Mesh != nil && w.sc.Mesh.Retry != nil {
			run.Metrics[p+"mesh_retries"] = float64(st.MeshRetries)
		}
		if st.Calls > 0 {
			run.Metrics[p+"amplification"] = float64(st.Attempts) / float64(st.Calls)
		}
	}
}
