// Package hostcpu measures how busy the machine running a real run is.
// A real run shares its machine with its own load generator, Toxiproxy
// and every service process; when the machine's CPUs are saturated, the
// run measures the testbed as much as the system under test, and the
// report should say so. The real run's timeline paces the Sampler.
//
// Imports: the result schema (results) only.
package hostcpu

import (
	"fmt"
	"sync"
	"time"

	"github.com/faultline-sim/faultline/results"
)

// Sample is the share of the machine's CPU time (all cores) that was busy
// over one period ending at At (since the sampler's start).
type Sample struct {
	At   time.Duration
	Busy float64
}

// Sampler reads the machine's CPU counters each time it is asked and
// keeps the busy share since the last reading. Its caller sets the pace
// (the real run's timeline). Safe for use by one goroutine at a time,
// Samples excepted.
type Sampler struct {
	prev counters
	ok   bool // prev was read: where the counters cannot be read (not Linux), nothing is recorded

	mu      sync.Mutex
	samples []Sample
}

// New reads the counters once, the origin of the first sample.
func New() *Sampler {
	s := &Sampler{}
	s.prev, s.ok = read()
	return s
}

// Sample reads the counters and records the busy share since the last
// reading at at (the time since the run's start).
func (s *Sampler) Sample(at time.Duration) {
	if !s.ok {
		return
	}
	cur, ok := read()
	if !ok {
		s.ok = false
		return
	}
	if b, ok := busy(s.prev, cur); ok {
		s.mu.Lock()
		s.samples = append(s.samples, Sample{At: at, Busy: b})
		s.mu.Unlock()
	}
	s.prev = cur
}

// Samples returns the samples so far, in time order.
func (s *Sampler) Samples() []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sample(nil), s.samples...)
}

// counters are the machine's cumulative CPU times, in clock ticks.
type counters struct{ busy, total uint64 }

// busy is the busy share of the CPU time between a and b.
func busy(a, b counters) (float64, bool) {
	if b.total <= a.total || b.busy < a.busy {
		return 0, false
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total), true
}

// Summary returns the mean and the highest busy share of samples, and
// the share of them at or above saturated.
func Summary(samples []Sample, saturated float64) (mean, peak, above float64) {
	if len(samples) == 0 {
		return 0, 0, 0
	}
	n := 0
	for _, s := range samples {
		mean += s.Busy
		peak = max(peak, s.Busy)
		if s.Busy >= saturated {
			n++
		}
	}
	return mean / float64(len(samples)), peak, float64(n) / float64(len(samples))
}

// Saturated is the busy share from which the machine counts as saturated.
const Saturated = 0.9

// Record adds the samples taken up to duration (the load's) to a run:
// the series host_cpu (the busy share of the machine's CPUs, each
// interval's last sample) and the metrics
// host_cpu_mean, host_cpu_peak and host_cpu_saturated (the share of
// samples at Saturated or more). It returns a note for the run when the
// machine was saturated for a tenth of the run or more, "" otherwise.
func Record(rec *results.Recorder, samples []Sample, duration time.Duration) string {
	for i, s := range samples {
		if s.At > duration {
			samples = samples[:i]
			break
		}
	}
	if len(samples) == 0 {
		return ""
	}
	for _, s := range samples {
		rec.Set("host_cpu", "share busy", s.At, s.Busy)
	}
	mean, peak, above := Summary(samples, Saturated)
	rec.Metric("host_cpu_mean", mean)
	rec.Metric("host_cpu_peak", peak)
	rec.Metric("host_cpu_saturated", above)
	if above < 0.1 {
		return ""
	}
	return fmt.Sprintf("the machine running the real run was saturated (CPU %.0f%% busy or more) for %.0f%% of it (mean %.0f%%): the processes, the load generator and Toxiproxy share its cores, so part of what was measured is the testbed", 100*Saturated, 100*above, 100*mean)
}
