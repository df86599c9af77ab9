package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/faultline-sim/faultline/chaos/internal/hostcpu"
	"github.com/faultline-sim/faultline/chaos/proxy"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
)

// Run defaults.
const (
	DefaultInterval    = time.Second
	DefaultSampleEvery = 100 * time.Millisecond
	// runSlack is added to the load's duration and timeout for a run's
	// hard deadline.
	runSlack = 10 * time.Second
)

// RunConfig is one experiment on a started chain.
type RunConfig struct {
	// Load is the open-loop load on the entry service.
	Load LoadConfig `yaml:"load"`
	// Faults are applied on their links at their times, from the start
	// of the load, and removed at their ends, or when the load ends or
	// the run stops if that is sooner.
	Faults []Fault `yaml:"faults"`
	// Interval is the step of the result's series. Default 1s; must be
	// in (0, load.duration].
	Interval time.Duration `yaml:"interval"`
	// SampleEvery is how often every service's status is read. Default
	// 100ms; must be >= 10ms.
	SampleEvery time.Duration `yaml:"sample_every"`
	// Stop, if set, ends the load and the faults early once its error
	// rate holds over its window; the run is then recorded as stopped
	// (metrics stopped, stopped_at_s, and a note), not failed.
	Stop *scenarios.Stop `yaml:"stop"`
}

// errStopCondition is the cause of a load ended by RunConfig.Stop.
var errStopCondition = errors.New("stop condition")

// SetDefaults fills every zero field that has a default.
func (c *RunConfig) SetDefaults() {
	c.Load.SetDefaults()
	if c.Interval == 0 {
		c.Interval = min(DefaultInterval, c.Load.Duration)
	}
	if c.SampleEvery == 0 {
		c.SampleEvery = DefaultSampleEvery
	}
	for i := range c.Faults {
		c.Faults[i].SetDefaults()
	}
}

// Validate reports the first invalid field; links and services are the
// chain's.
func (c *RunConfig) Validate(links, services []string) error {
	if err := c.Load.Validate(); err != nil {
		return under("load.", err)
	}
	switch {
	case c.Interval <= 0 || c.Interval > c.Load.Duration:
		return invalid("interval: must be in (0, load.duration %v], got %v", c.Load.Duration, c.Interval)
	case c.SampleEvery < 10*time.Millisecond:
		return invalid("sample_every: must be >= 10ms, got %v", c.SampleEvery)
	}
	for i := range c.Faults {
		if err := c.Faults[i].Validate(links, services); err != nil {
			return under(fmt.Sprintf("faults[%d].", i), err)
		}
	}
	return nil
}

// Sample is every instance's status at one time since the start of the
// load.
type Sample struct {
	At        time.Duration `json:"at_ns"`
	Instances []Status      `json:"instances"`
}

// experiment is the state of one Chain.Run.
type experiment struct {
	c  *Chain
	rc RunConfig
	t0 time.Time

	mu       sync.Mutex
	rec      *results.Recorder
	degraded int
	requests int // sent (not shed), for the client's retry amplification
	attempts int
	samples  []Sample
	applied  [][2]time.Duration // each fault's real start and end; -1 if never applied
	errs     []error
	window   *scenarios.Window // the stop condition's, nil without one
	cpu      []hostcpu.Sample  // how busy the machine was
	stopped  time.Duration     // when the stop condition ended the load; 0: it did not
	load     LoadStats         // the generator's counts, once it has ended
	notes    []string
}

// Run drives the load and the faults on the chain (one Run at a time on
// a chain; several in a row are fine), reads every service's
// status all along, and returns the results, with the simulator's series
// and metric names where they exist (offered, goodput, p99...) and per
// call "breaker <caller>-><target>" (0 closed, 1 half-open, 2 open, the
// state at the end of each interval). Faults are always removed before
// Run returns. If dir is set, the status samples go to status.jsonl and
// the record of every toxic and signal to faults.json there.
func (c *Chain) Run(ctx context.Context, rc RunConfig) (results.Run, error) {
	rc.Faults = append([]Fault(nil), rc.Faults...)
	rc.Load = rc.Load.clone()
	rc.SetDefaults()
	if err := rc.Validate(c.links, c.names()); err != nil {
		return results.Run{}, err
	}
	for i, f := range rc.Faults {
		if _, err := c.linkProxies(f); err != nil {
			return results.Run{}, under(fmt.Sprintf("faults[%d].", i), err)
		}
	}
	fs, fe := faultSpan(rc)
	rec, err := results.NewRecorder(results.RecorderConfig{Duration: rc.Load.Duration, Interval: rc.Interval, FaultStart: fs, FaultEnd: fe})
	if err != nil {
		return results.Run{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, rc.Load.Duration+rc.Load.longest()+runSlack)
	defer cancel()
	e := &experiment{c: c, rc: rc, rec: rec, applied: make([][2]time.Duration, len(rc.Faults))}
	if rc.Stop != nil {
		e.window = scenarios.NewWindow(*rc.Stop)
	}
	e.t0 = time.Now()
	c.h.SetStart(e.t0)
	err = e.drive(ctx)
	return e.results(), errors.Join(append(e.errs, err)...)
}

// faultSpan is the During phase: from the first fault's start to the last
// one's end, within the load; the whole run is Before without faults.
func faultSpan(rc RunConfig) (time.Duration, time.Duration) {
	d := rc.Load.Duration
	if len(rc.Faults) == 0 {
		return d, d
	}
	start, end := d, time.Duration(0)
	for _, f := range rc.Faults {
		start, end = min(start, f.At), max(end, f.End())
	}
	start = min(start, d)
	return start, min(max(end, start), d)
}

// drive runs the load, the faults and the sampler; it returns once the
// load has ended and every fault is removed.
func (e *experiment) drive(ctx context.Context) error {
	sctx, stopSampler := context.WithCancel(ctx)
	fctx, stopFaults := context.WithCancel(ctx)
	lctx, stopLoad := context.WithCancelCause(ctx)
	defer stopLoad(nil)
	cpu := hostcpu.Start(ctx, e.t0, 250*time.Millisecond)
	defer func() {
		samples := cpu.Stop()
		e.mu.Lock()
		e.cpu = samples
		e.mu.Unlock()
	}()
	var sampler, faults sync.WaitGroup
	sampler.Go(func() { e.sample(sctx) })
	if e.window != nil {
		sampler.Go(func() {
			e.window.Watch(sctx, e.t0, 100*time.Millisecond, &e.mu, func(at time.Duration, rate float64) {
				e.mu.Lock()
				e.stopped = at
				e.notes = append(e.notes, e.rc.Stop.Note(at, rate))
				e.mu.Unlock()
				stopLoad(errStopCondition)
				stopFaults()
			})
		})
	}
	for i := range e.rc.Faults {
		faults.Go(func() { e.fault(fctx, i) })
	}
	stats, err := generate(lctx, e.c.EntryAddrs(), e.rc.Load, e.t0, e.observe)
	e.mu.Lock()
	e.load = stats
	e.mu.Unlock()
	if errors.Is(context.Cause(lctx), errStopCondition) && ctx.Err() == nil {
		err = nil // stopped by the stop condition, not failed
	}
	stopFaults() // a fault outlasting the load ends with it
	faults.Wait()
	stopSampler()
	sampler.Wait()
	e.record(e.snapshot(context.Background())) // the final counters, for the metrics
	if err != nil {
		return fmt.Errorf("chain run stopped: %w", err)
	}
	if name := e.c.exited(); name != "" {
		return fmt.Errorf("%w: service %s exited during the run (see %s.log)", ErrHarness, name, name)
	}
	return nil
}

// observe records a request; its retries count in the "retries" series
// (the simulator's name for the client's retries) at its end.
func (e *experiment) observe(r Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rec.Observe(r.Start, r.End, r.Outcome)
	if e.window != nil {
		e.window.Add(r.End, r.Outcome != results.OK)
	}
	if r.Degraded {
		e.degraded++
	}
	if r.Attempts > 0 {
		e.requests++
		e.attempts += r.Attempts
	}
	if r.Attempts > 1 && r.End < e.rc.Load.Duration {
		e.rec.Add("retries", "retries/s", r.End, float64(r.Attempts-1)/e.rc.Interval.Seconds())
	}
}

// fault applies fault i at its time and removes it at its end, or as
// soon as ctx is done; the removal is registered before the change.
func (e *experiment) fault(ctx context.Context, i int) {
	f := e.rc.Faults[i]
	e.setApplied(i, -1, -1)
	if !sleep(ctx, time.Until(e.t0.Add(f.At))) {
		return
	}
	revert, err := e.c.Inject(ctx, fmt.Sprintf("f%d", i+1), f)
	start := time.Since(e.t0)
	defer func() {
		if revert != nil {
			if rerr := revert(); rerr != nil {
				e.fail(fmt.Errorf("faults[%d]: revert: %w", i, rerr))
			}
		}
		e.setApplied(i, start, time.Since(e.t0))
	}()
	if err != nil {
		e.fail(fmt.Errorf("faults[%d]: %w", i, err))
		return
	}
	sleep(ctx, time.Until(e.t0.Add(f.End())))
}

func (e *experiment) setApplied(i int, start, end time.Duration) {
	e.mu.Lock()
	e.applied[i] = [2]time.Duration{start, end}
	e.mu.Unlock()
}

func (e *experiment) fail(err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

// sample reads every service's status every SampleEvery until ctx is
// done; a service that does not answer is left out of that sample.
func (e *experiment) sample(ctx context.Context) {
	tick := time.NewTicker(e.rc.SampleEvery)
	defer tick.Stop()
	for {
		e.record(e.snapshot(ctx))
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// snapshot reads every instance's status, each within SampleEvery.
func (e *experiment) snapshot(ctx context.Context) Sample {
	s := Sample{At: time.Since(e.t0)}
	for i := range e.c.insts {
		qctx, cancel := context.WithTimeout(ctx, e.rc.SampleEvery)
		st, err := e.c.instanceStatus(qctx, i)
		cancel()
		if err == nil {
			s.Instances = append(s.Instances, st)
		}
	}
	return s
}

// services sums a sample's instances per service, in the services'
// order (a service none of whose instances answered is left out); open
// is, per service and call, the mean of the instances' breaker_open
// values (0 closed, 0.5 half-open, 1 open), as the simulator averages
// over instances.
func (s *Sample) services(cfg Config) (sums []Status, open [][]float64) {
	for _, svc := range cfg.Services {
		var insts []Status
		for _, st := range s.Instances {
			if st.Name == svc.Name {
				insts = append(insts, st)
			}
		}
		if len(insts) == 0 {
			continue
		}
		st := sum(insts)
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

// record keeps a sample and puts it in the series, named as the
// simulator names them: per service (suffixed ".<name>" when there are
// several) queue_depth and in_service, summed over instances; per call
// ("<caller>-><target>") breaker_open, averaged over the caller's
// instances, and the rates of retries, calls_refused (by a breaker, the
// rate limit or the bulkhead) and fallbacks once they occur.
func (e *experiment) record(s Sample) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var prev []Status
	if n := len(e.samples); n > 0 {
		prev, _ = e.samples[n-1].services(e.c.cfg)
	}
	e.samples = append(e.samples, s)
	if s.At >= e.rc.Load.Duration {
		return
	}
	sums, open := s.services(e.c.cfg)
	for k, st := range sums {
		suffix := ""
		if len(e.c.cfg.Services) > 1 {
			suffix = "." + st.Name
		}
		e.rec.Set("queue_depth"+suffix, "requests", s.At, float64(st.Waiting))
		e.rec.Set("in_service"+suffix, "requests", s.At, float64(st.Active))
		for j, cs := range st.Calls {
			link := Link(st.Name, cs.Target)
			if cs.Breaker != "" {
				e.rec.Set("breaker_open."+link, "fraction open", s.At, open[k][j])
			}
			if old, ok := prevCall(prev, st.Name, j); ok {
				e.rates(link, s.At, cs, old)
			}
		}
	}
}

// rates adds to the per-call rate series what happened between two
// samples.
func (e *experiment) rates(link string, at time.Duration, now, before CallStatus) {
	step := e.rc.Interval.Seconds()
	add := func(name, unit string, n, b uint64) {
		if n > b {
			e.rec.Add(name+"."+link, unit, at, float64(n-b)/step)
		}
	}
	add("retries", "retries/s", now.Retries, before.Retries)
	add("calls_refused", "calls/s", now.refused(), before.refused())
	add("fallbacks", "calls/s", now.Fallbacks, before.Fallbacks)
}

// prevCall finds call j of service name in a previous sample's sums.
func prevCall(prev []Status, name string, j int) (CallStatus, bool) {
	for _, st := range prev {
		if st.Name == name && j < len(st.Calls) {
			return st.Calls[j], true
		}
	}
	return CallStatus{}, false
}

// results finishes the recorder and adds the run's metrics: the real
// fault windows, the degraded answers, the load's retry_amplification
// (attempts per request sent), and per call the simulator's
// calls.<link>.* totals (attempts, failed with or without a
// fallback, short_circuited, fallbacks, amplification) with the time its
// breaker was seen open and its state changes.
func (e *experiment) results() results.Run {
	e.mu.Lock()
	defer e.mu.Unlock()
	if note := hostcpu.Record(e.rec, e.cpu, e.rc.Load.Duration); note != "" {
		e.notes = append(e.notes, note)
	}
	run := e.rec.Finish()
	run.Engine = "real"
	run.Seed = e.rc.Load.Seed
	run.Metrics["degraded"] = float64(e.degraded)
	if e.rc.Stop != nil {
		run.Metrics["stopped"] = 0
		if e.stopped > 0 {
			run.Metrics["stopped"], run.Metrics["stopped_at_s"] = 1, e.stopped.Seconds()
		}
	}
	run.Notes = append(run.Notes, e.notes...)
	if e.requests > 0 {
		run.Metrics["retry_amplification"] = float64(e.attempts) / float64(e.requests)
	}
	if e.rc.Load.OutlierDetection != nil {
		run.Metrics["ejections"] = float64(e.load.Ejections)
	}
	for i, a := range e.applied {
		if a[0] >= 0 {
			run.Metrics[fmt.Sprintf("real_fault%d_start_s", i+1)] = a[0].Seconds()
			run.Metrics[fmt.Sprintf("real_fault%d_end_s", i+1)] = a[1].Seconds()
		}
	}
	open := e.openTimes()
	if n := len(e.samples); n > 0 {
		sums, _ := e.samples[n-1].services(e.c.cfg)
		for _, st := range sums {
			e.workerMetrics(run.Metrics, st)
			for _, cs := range st.Calls {
				link := Link(st.Name, cs.Target)
				// The simulator's transformation of the link's name, kept
				// so that the names match ("gateway->a" gives
				// "calls.gateway_>a.").
				p := "calls." + strings.ReplaceAll(link, "-", "_") + "."
				run.Metrics[p+"attempts"] = float64(cs.Attempts)
				run.Metrics[p+"failed"] = float64(cs.Failed + cs.Fallbacks)
				run.Metrics[p+"short_circuited"] = float64(cs.BreakerRejected)
				run.Metrics[p+"fallbacks"] = float64(cs.Fallbacks)
				if cs.Calls > 0 {
					run.Metrics[p+"amplification"] = float64(cs.Attempts) / float64(cs.Calls)
				}
				if outlierDetection(e.c.cfg, st.Name, cs.Target) {
					run.Metrics[p+"ejections"] = float64(cs.Ejections)
				}
				if cs.Breaker != "" {
					run.Metrics[p+"breaker_open_s"] = open[link].Seconds()
					run.Metrics[p+"breaker_transitions"] = float64(cs.BreakerTransitions)
				}
			}
		}
	}
	e.writeArtefacts()
	return run
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
func (e *experiment) workerMetrics(m map[string]float64, st Status) {
	if st.Served == 0 {
		return
	}
	suffix := ""
	if len(e.c.cfg.Services) > 1 {
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
func (e *experiment) openTimes() map[string]time.Duration {
	out := map[string]time.Duration{}
	for i := 1; i < len(e.samples); i++ {
		sums, _ := e.samples[i-1].services(e.c.cfg)
		for _, st := range sums {
			for _, cs := range st.Calls {
				if cs.Breaker == resilience.StateOpen.String() {
					out[Link(st.Name, cs.Target)] += e.samples[i].At - e.samples[i-1].At
				}
			}
		}
	}
	return out
}

// writeArtefacts writes the samples and the fault record into the
// chain's folder when it is the user's; errors are the run's.
func (e *experiment) writeArtefacts() {
	if e.c.tempDir {
		return
	}
	f, err := os.Create(filepath.Join(e.c.dir, "status.jsonl"))
	if err == nil {
		enc := json.NewEncoder(f)
		for _, s := range e.samples {
			if err = enc.Encode(s); err != nil {
				break
			}
		}
		err = errors.Join(err, f.Close())
	}
	if err == nil {
		var data []byte
		record := struct {
			Proxy   []proxy.Event  `json:"proxy"`
			Process []ProcessEvent `json:"process"`
		}{e.c.h.Events(), e.c.ProcessEvents()}
		if data, err = json.MarshalIndent(record, "", "  "); err == nil {
			err = os.WriteFile(filepath.Join(e.c.dir, "faults.json"), data, 0o644)
		}
	}
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%w: artefacts: %v", ErrHarness, err))
	}
}

// Execute starts the chain, runs rc on it and closes it, whatever
// happens: on success, failure, panic, ctx's cancellation and SIGINT or
// SIGTERM (which cancel the run instead of killing the process). An
// interrupted run returns an error wrapping the context's. onStart, if
// not nil, is called once the chain is up.
func Execute(ctx context.Context, cfg Config, opt Options, rc RunConfig, onStart func(*Chain)) (res results.Run, err error) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := Start(ctx, cfg, opt)
	if err != nil {
		return res, err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("chain run: panic: %v", p)
		}
		err = errors.Join(err, c.Close())
	}()
	if onStart != nil {
		onStart(c)
	}
	return c.Run(ctx, rc)
}

// outlierDetection reports whether service name's calls to target have
// outlier detection.
func outlierDetection(cfg Config, name, target string) bool {
	for _, s := range cfg.Services {
		if s.Name == name {
			return slices.ContainsFunc(s.Calls, func(c CallConfig) bool { return c.Target == target && c.OutlierDetection != nil })
		}
	}
	return false
}
