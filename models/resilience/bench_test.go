package resilience

import (
	"testing"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// The benchmarks report requests/s through each mechanism; -benchmem
// should show 0 allocs/op.

func BenchmarkBreaker(b *testing.B) {
	br, err := NewBreaker(BreakerConfig{Interval: time.Second, Timeout: 100 * time.Millisecond}, 0)
	if err != nil {
		b.Fatal(err)
	}
	now := sim.Time(0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now += sim.Time(time.Millisecond)
		if g, err := br.Allow(now); err == nil {
			br.Done(now, g, i%7 != 0)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

func BenchmarkWindowBreaker(b *testing.B) {
	wb, err := NewWindowBreaker(WindowBreakerConfig{SlidingWindowType: TimeBased, SlidingWindowSize: 10, MinimumNumberOfCalls: 20})
	if err != nil {
		b.Fatal(err)
	}
	now := sim.Time(0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now += sim.Time(time.Millisecond)
		if wb.Allow(now) == nil {
			wb.Done(now, i%3 != 0, time.Millisecond)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

func BenchmarkRateLimiter(b *testing.B) {
	l, err := NewRateLimiter(RateLimitConfig{Rate: 500, Burst: 10})
	if err != nil {
		b.Fatal(err)
	}
	now := sim.Time(0)
	b.ReportAllocs()
	for b.Loop() {
		now += sim.Time(time.Millisecond)
		l.Allow(now)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}
