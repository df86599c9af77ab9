package httpchain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/chaos/chain"
	"github.com/faultline-sim/faultline/chaos/timeline"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/results"
)

// Drive implements timeline.System: the open-loop load on the entry
// service's proxies (chain.Generate), each request recorded as it ends,
// its retries in the series "retries" (the simulator's name for the
// client's retries).
func (s *System) Drive(ctx context.Context) error {
	stats, err := chain.Generate(ctx, s.entry, s.load, s.env.T0(), s.observe)
	s.mu.Lock()
	s.stats = stats
	s.mu.Unlock()
	return err
}

func (s *System) observe(r chain.Request) {
	s.env.Record(func(rec *results.Recorder) {
		rec.Observe(r.Start, r.End, r.Outcome)
		if r.Attempts > 1 && r.End < s.load.Duration {
			rec.Add("retries", "retries/s", r.End, float64(r.Attempts-1)/rec.Interval().Seconds())
		}
	})
	s.env.Ended(r.End, r.Outcome != results.OK)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Degraded {
		s.degraded++
	}
	if r.Attempts > 0 {
		s.requests++
		s.attempts += r.Attempts
	}
}

// Sample implements timeline.System: every instance's status, each read
// within sampleEvery (one that does not answer is left out), into the
// series.
func (s *System) Sample(ctx context.Context) {
	smp := s.snapshot(ctx, s.env.Since())
	s.env.Record(func(rec *results.Recorder) { s.record(rec, smp) })
}

// snapshot reads every instance's status directly (not through a proxy,
// so faults do not blind the harness).
func (s *System) snapshot(ctx context.Context, at time.Duration) chain.Sample {
	smp := chain.Sample{At: at}
	for _, inst := range s.insts {
		qctx, cancel := context.WithTimeout(ctx, sampleEvery)
		st, err := chain.FetchStatus(qctx, s.status, inst.Listen)
		cancel()
		if err == nil {
			smp.Instances = append(smp.Instances, st)
		}
	}
	return smp
}

// record keeps a sample and puts it in the series, named as the
// simulator names them: per service (suffixed ".<name>" when there are
// several) queue_depth and in_service, summed over instances; per call
// ("<caller>-><target>") breaker_open, averaged over the caller's
// instances, and the rates of retries, calls_refused (by a breaker, the
// rate limit or the bulkhead) and fallbacks once they occur.
func (s *System) record(rec *results.Recorder, smp chain.Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var prev []chain.Status
	if n := len(s.samples); n > 0 {
		prev, _ = services(s.samples[n-1], s.cfg)
	}
	s.samples = append(s.samples, smp)
	if smp.At >= s.load.Duration {
		return
	}
	sums, open := services(smp, s.cfg)
	for k, st := range sums {
		suffix := ""
		if len(s.cfg.Services) > 1 {
			suffix = "." + st.Name
		}
		rec.Set("queue_depth"+suffix, "requests", smp.At, float64(st.Waiting))
		rec.Set("in_service"+suffix, "requests", smp.At, float64(st.Active))
		for j, cs := range st.Calls {
			link := chain.Link(st.Name, cs.Target)
			if cs.Breaker != "" {
				rec.Set("breaker_open."+link, "fraction open", smp.At, open[k][j])
			}
			if old, ok := prevCall(prev, st.Name, j); ok {
				rates(rec, link, smp.At, cs, old)
			}
		}
	}
}

// services sums a sample's instances per service, in the services'
// order (a service none of whose instances answered is left out); open
// is, per service and call, the mean of the instances' breaker_open
// values (0 closed, 0.5 half-open, 1 open), as the simulator averages
// over instances.
func services(smp chain.Sample, cfg chain.Config) (sums []chain.Status, open [][]float64) {
	for _, svc := range cfg.Services {
		var insts []chain.Status
		for _, st := range smp.Instances {
			if st.Name == svc.Name {
				insts = append(insts, st)
			}
		}
		if len(insts) == 0 {
			continue
		}
		st := chain.Sum(insts)
		o := make([]float64, len(st.Calls))
		for j := range o {
			for _, in := range insts {
				if j < len(in.Calls) {
					o[j] += openness[in.Calls[j].Breaker] / float64(len(insts))
				}
			}
		}
		sums, open = append(sums, st), append(open, o)
	}
	return sums, open
}

// openness maps a breaker state to the simulator's "breaker_open"
// value: 0 closed, 0.5 half-open, 1 open.
var openness = map[string]float64{
	resilience.StateClosed.String():   0,
	resilience.StateHalfOpen.String(): 0.5,
	resilience.StateOpen.String():     1,
}

// rates adds to the per-call rate series what happened between two
// samples.
func rates(rec *results.Recorder, link string, at time.Duration, now, before chain.CallStatus) {
	step := rec.Interval().Seconds()
	add := func(name, unit string, n, b uint64) {
		if n > b {
			rec.Add(name+"."+link, unit, at, float64(n-b)/step)
		}
	}
	add("retries", "retries/s", now.Retries, before.Retries)
	add("calls_refused", "calls/s", now.Refused(), before.Refused())
	add("fallbacks", "calls/s", now.Fallbacks, before.Fallbacks)
}

// prevCall finds call j of service name in a previous sample's sums.
func prevCall(prev []chain.Status, name string, j int) (chain.CallStatus, bool) {
	for _, st := range prev {
		if st.Name == name && j < len(st.Calls) {
			return st.Calls[j], true
		}
	}
	return chain.CallStatus{}, false
}

// Results implements timeline.System: a last reading of every status,
// then the metrics: the degraded answers, the load's
// retry_amplification (attempts per request sent) and ejections, per
// call the simulator's calls.<link>.* totals (attempts, failed with or
// without a fallback, short_circuited, fallbacks, amplification,
// ejections) with the time its breaker was seen open and its state
// changes, and what the workers measured; the samples go to
// Work/status.jsonl when the run keeps files.
func (s *System) Results(ctx context.Context, rec *results.Recorder, _ []timeline.Applied) ([]results.File, error) {
	s.record(rec, s.snapshot(ctx, s.env.Since()))
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]float64{"degraded": float64(s.degraded)}
	if s.requests > 0 {
		m["retry_amplification"] = float64(s.attempts) / float64(s.requests)
	}
	if s.load.OutlierDetection != nil {
		m["ejections"] = float64(s.stats.Ejections)
	}
	open := s.openTimes()
	if n := len(s.samples); n > 0 {
		sums, _ := services(s.samples[n-1], s.cfg)
		for _, st := range sums {
			s.workerMetrics(m, st)
			for _, cs := range st.Calls {
				link := chain.Link(st.Name, cs.Target)
				// The simulator's transformation of the link's name, kept
				// so that the names match ("gateway->a" gives
				// "calls.gateway_>a.").
				p := "calls." + strings.ReplaceAll(link, "-", "_") + "."
				m[p+"attempts"] = float64(cs.Attempts)
				m[p+"failed"] = float64(cs.Failed + cs.Fallbacks)
				m[p+"short_circuited"] = float64(cs.BreakerRejected)
				m[p+"fallbacks"] = float64(cs.Fallbacks)
				if cs.Calls > 0 {
					m[p+"amplification"] = float64(cs.Attempts) / float64(cs.Calls)
				}
				if s.outlierDetection(st.Name, cs.Target) {
					m[p+"ejections"] = float64(cs.Ejections)
				}
				if cs.Breaker != "" {
					m[p+"breaker_open_s"] = open[link].Seconds()
					m[p+"breaker_transitions"] = float64(cs.BreakerTransitions)
				}
			}
		}
	}
	for name, v := range m {
		rec.Metric(name, v)
	}
	return nil, s.writeSamples()
}

// workerMetrics adds what a service's workers measured (its final
// status, summed over instances), in ms, suffixed ".<name>" when the chain
// has several services, as its series are: per request served
// worker_hold_mean_ms (from taking a worker to releasing it),
// service_time_mean_ms (drawn), work_overshoot_mean_ms (the work's end
// past its drawn time), worker_calls_mean_ms (with calls) and
// worker_overhead_mean_ms (the hold beyond the drawn time and the calls);
// and, once a request waited for a worker, worker_handoffs and
// worker_handoff_mean_ms (from a worker's release to the next queued
// request's taking it).
func (s *System) workerMetrics(m map[string]float64, st chain.Status) {
	if st.Served == 0 {
		return
	}
	suffix := ""
	if len(s.cfg.Services) > 1 {
		suffix = "." + st.Name
	}
	perServed := func(ns float64) float64 { return ns / float64(st.Served) / 1e6 }
	m["worker_hold_mean_ms"+suffix] = perServed(float64(st.HeldNs))
	m["service_time_mean_ms"+suffix] = perServed(float64(st.ServiceNs))
	m["work_overshoot_mean_ms"+suffix] = perServed(float64(st.WorkNs) - float64(st.ServiceNs))
	m["worker_overhead_mean_ms"+suffix] = perServed(float64(st.HeldNs) - float64(st.ServiceNs) - float64(st.CallsNs))
	if len(st.Calls) > 0 {
		m["worker_calls_mean_ms"+suffix] = perServed(float64(st.CallsNs))
	}
	if st.Handoffs > 0 {
		m["worker_handoffs"+suffix] = float64(st.Handoffs)
		m["worker_handoff_mean_ms"+suffix] = float64(st.HandoffNs) / float64(st.Handoffs) / 1e6
	}
}

// openTimes sums, per call with a breaker, the time between samples
// that found it open (in any instance of the caller).
func (s *System) openTimes() map[string]time.Duration {
	out := map[string]time.Duration{}
	for i := 1; i < len(s.samples); i++ {
		sums, _ := services(s.samples[i-1], s.cfg)
		for _, st := range sums {
			for _, cs := range st.Calls {
				if cs.Breaker == resilience.StateOpen.String() {
					out[chain.Link(st.Name, cs.Target)] += s.samples[i].At - s.samples[i-1].At
				}
			}
		}
	}
	return out
}

// outlierDetection reports whether service name's calls to target have
// outlier detection.
func (s *System) outlierDetection(name, target string) bool {
	for _, svc := range s.cfg.Services {
		if svc.Name == name {
			return slices.ContainsFunc(svc.Calls, func(c chain.CallConfig) bool { return c.Target == target && c.OutlierDetection != nil })
		}
	}
	return false
}

// writeSamples writes the status samples to Work/status.jsonl when the
// run keeps its files.
func (s *System) writeSamples() error {
	if s.env.Dir == "" {
		return nil
	}
	f, err := os.Create(filepath.Join(s.env.Work, "status.jsonl"))
	if err != nil {
		return fmt.Errorf("%w: %v", timeline.ErrHarness, err)
	}
	enc := json.NewEncoder(f)
	for _, smp := range s.samples {
		if err = enc.Encode(smp); err != nil {
			break
		}
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("%w: status samples: %v", timeline.ErrHarness, err)
	}
	return nil
}
