package load

import (
	"testing"
	"time"

	"faultline/reports/results"
	"faultline/sim"
)

// BenchmarkClientServiceMM1 runs an open-loop client against one M/M/1
// instance (ρ = 0.8) on ideal links; one op is one request from arrival to
// outcome, about six kernel events.
func BenchmarkClientServiceMM1(b *testing.B) {
	r := newRig(b, 1, mm1Service("api", 1, 0.001), Config{Timeout: 10 * time.Second, Open: open(800)})
	var ended, target int64 = 0, 100_000 // warm up: grow the slabs, queues and heap
	r.obs = func(_, _ sim.Time, _ results.Outcome) { ended++ }
	more := func() bool { return ended < target }
	r.c.Start(sim.MaxTime)
	r.k.RunWhile(more)
	events := r.k.Dispatched()
	b.ReportAllocs()
	b.ResetTimer()
	target = ended + int64(b.N)
	r.k.RunWhile(more)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(float64(r.k.Dispatched()-events)/b.Elapsed().Seconds(), "events/s")
}
