package results

import (
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/faultline-sim/faultline/field"
)

// Histogram range: 1 µs to 1 hour, 3 significant digits.
const (
	histMinMicros = 1
	histMaxMicros = int64(time.Hour / time.Microsecond)
)

// RecorderConfig sets the shape of a run's results.
type RecorderConfig struct {
	// Phases are the run's phase windows (PhasesOf); series cover
	// [0, Phases.Load).
	Phases PhaseWindows
	// Interval is the series step; 0 means 1 s.
	Interval time.Duration
}

// Validate reports the first field out of range.
func (c RecorderConfig) Validate() error {
	if c.Interval < 0 {
		return field.Errorf("interval", "must be >= 0 (0 = 1s), got %v", c.Interval)
	}
	return field.Under("phases", c.Phases.Validate())
}

type phaseAgg struct {
	counts [numOutcomes]int64
	hist   *hdrhistogram.Histogram // every request that ended
	okHist *hdrhistogram.Histogram // the successful ones: the headline
}

type userSeries struct {
	s   Series
	sum bool
}

// Recorder aggregates one run's requests and samples as they happen. Memory
// is bounded by the number of intervals, not of requests.
type Recorder struct {
	cfg    RecorderConfig
	phases [4]phaseAgg // All, Before, During, After

	n        int
	offered  []float64 // requests by intended start
	ended    []float64 // requests by end
	ok       []float64
	failed   []float64
	p99      []float64
	cur      int // interval whose p99 the interval histogram holds
	interval *hdrhistogram.Histogram

	user  []userSeries
	index map[string]int
	meta  map[string]float64
}

// NewRecorder returns a recorder for one run.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Second
	}
	n := int((cfg.Phases.Load + cfg.Interval - 1) / cfg.Interval)
	r := &Recorder{cfg: cfg, n: n, index: map[string]int{}, meta: map[string]float64{}}
	for i := range r.phases {
		r.phases[i].hist = hdrhistogram.New(histMinMicros, histMaxMicros, 3)
		r.phases[i].okHist = hdrhistogram.New(histMinMicros, histMaxMicros, 3)
	}
	r.offered, r.ended = make([]float64, n), make([]float64, n)
	r.ok, r.failed, r.p99 = make([]float64, n), make([]float64, n), make([]float64, n)
	r.interval = hdrhistogram.New(histMinMicros, histMaxMicros, 2)
	return r, nil
}

// Interval returns the series step.
func (r *Recorder) Interval() time.Duration { return r.cfg.Interval }

func (r *Recorder) bucket(t time.Duration) int {
	return min(max(int(t/r.cfg.Interval), 0), r.n-1)
}

// phaseSlot returns the index in r.phases of phase p (All, Before,
// During, After): a switch, not a map lookup, since it runs for every
// request.
func phaseSlot(p Phase) int {
	switch p {
	case Before:
		return 1
	case During:
		return 2
	case After:
		return 3
	}
	return 0
}

// Observe records one request that was meant to start at start (times
// since the start of the run) and ended at end with outcome o. Latency is
// end-start: measured from the intended start, so a stalled client cannot
// hide a stall (no coordinated omission). Requests that ended in earlier
// intervals than one already seen are counted in the current interval's
// p99.
func (r *Recorder) Observe(start, end time.Duration, o Outcome) {
	micros := max(int64((end-start)/time.Microsecond), histMinMicros)
	micros = min(micros, histMaxMicros)
	for _, i := range [2]int{0, phaseSlot(r.cfg.Phases.Of(start))} {
		r.phases[i].counts[o]++
		_ = r.phases[i].hist.RecordValue(micros) // in range by construction
		if o == OK {
			_ = r.phases[i].okHist.RecordValue(micros)
		}
	}
	r.offered[r.bucket(start)]++
	b := r.bucket(end)
	r.ended[b]++
	if o == OK {
		r.ok[b]++
	} else {
		r.failed[b]++
	}
	if b > r.cur {
		r.closeInterval()
		r.cur = b
	}
	if o == OK {
		_ = r.interval.RecordValue(micros)
	}
}

// closeInterval sets the interval's p99 of successful requests; an
// interval in which none succeeded has none (NaN, drawn as a gap), never
// the 0 ms that would flatter a failing design.
func (r *Recorder) closeInterval() {
	r.p99[r.cur] = math.NaN()
	if r.interval.TotalCount() > 0 {
		r.p99[r.cur] = float64(r.interval.ValueAtQuantile(99)) / 1000
	}
	r.interval.Reset()
}

// Set records the value of a sampled quantity (queue depth, instances,
// breaker state...) at time t; the last value in an interval wins.
func (r *Recorder) Set(name, unit string, t time.Duration, v float64) {
	r.series(name, unit, false).Values[r.bucket(t)] = v
}

// Add adds v to a per-interval total (retries, scaling actions...).
func (r *Recorder) Add(name, unit string, t time.Duration, v float64) {
	r.series(name, unit, true).Values[r.bucket(t)] += v
}

func (r *Recorder) series(name, unit string, sum bool) *Series {
	if i, ok := r.index[name]; ok {
		return &r.user[i].s
	}
	r.index[name] = len(r.user)
	r.user = append(r.user, userSeries{s: Series{Name: name, Unit: unit, Step: seconds(r.cfg.Interval), Values: make([]float64, r.n)}, sum: sum})
	return &r.user[len(r.user)-1].s
}

// Metric sets a model-specific per-run metric (e.g. "stale_reads").
func (r *Recorder) Metric(name string, v float64) { r.meta[name] = v }

// Finish returns the run's results. Engine, Variant, Seed and the trace
// fields are the caller's to fill.
func (r *Recorder) Finish() Run {
	r.closeInterval()
	run := Run{Metrics: map[string]float64{}}
	for k, v := range r.meta {
		run.Metrics[k] = v
	}
	for i, p := range Phases() {
		run.Phases = append(run.Phases, r.phases[i].summary(p, r.cfg.Phases.Len(p)))
	}
	step := seconds(r.cfg.Interval)
	perSecond := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = x / step
		}
		return out
	}
	run.Series = []Series{
		{Name: "offered", Unit: "req/s", Step: step, Values: perSecond(r.offered)},
		{Name: "throughput", Unit: "req/s", Step: step, Values: perSecond(r.ended)},
		{Name: "goodput", Unit: "req/s", Step: step, Values: perSecond(r.ok)},
		{Name: "errors", Unit: "req/s", Step: step, Values: perSecond(r.failed)},
		{Name: "p99", Unit: "ms", Step: step, Values: append([]float64(nil), r.p99...)},
	}
	for _, u := range r.user {
		s := u.s
		s.Values = append([]float64(nil), s.Values...)
		run.Series = append(run.Series, s)
	}
	run.CDF = cdf(r.phases[0].okHist)
	return run
}

func (a *phaseAgg) summary(p Phase, span time.Duration) Summary {
	c := a.counts
	s := Summary{Phase: p, Seconds: seconds(span), OK: c[OK], Errors: c[Error], Timeouts: c[Timeout], Rejected: c[Rejected], Shed: c[Shed]}
	for _, n := range c {
		s.Requests += n
	}
	s.Availability = 1
	if s.Requests > 0 {
		s.Availability = float64(s.OK) / float64(s.Requests)
	}
	s.ErrorRate = 1 - s.Availability
	if s.Seconds > 0 {
		s.Goodput = float64(s.OK) / s.Seconds
		s.Throughput = float64(s.Requests) / s.Seconds
	}
	if s.Requests > 0 {
		s.FastFailures = float64(s.Rejected+s.Shed) / float64(s.Requests)
	}
	s.Latency, s.LatencyAll = latencyOf(a.okHist), latencyOf(a.hist)
	return s
}

// latencyOf summarises h; with no request in it every figure is NaN
// (undefined), so that a phase in which nothing succeeded never reads as
// fast.
func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		nan := math.NaN()
		return Latency{P50: nan, P95: nan, P99: nan, Max: nan, Mean: nan}
	}
	ms := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1000 }
	return Latency{P50: ms(50), P95: ms(95), P99: ms(99), Max: float64(h.Max()) / 1000, Mean: h.Mean() / 1000}
}

// cdfQuantiles are the points of the latency CDF kept per run: fine where
// tails are read.
var cdfQuantiles = func() []float64 {
	var qs []float64
	for i := 0; i < 90; i += 2 {
		qs = append(qs, float64(i)/100)
	}
	for i := 900; i < 990; i += 5 {
		qs = append(qs, float64(i)/1000)
	}
	for i := 990; i < 1000; i++ {
		qs = append(qs, float64(i)/1000)
	}
	return append(qs, 0.9995, 0.9999, 1)
}()

func cdf(h *hdrhistogram.Histogram) []Quantile {
	if h.TotalCount() == 0 {
		return nil
	}
	out := make([]Quantile, 0, len(cdfQuantiles))
	for _, q := range cdfQuantiles {
		out = append(out, Quantile{Q: q, Ms: float64(h.ValueAtQuantile(q*100)) / 1000})
	}
	return out
}
