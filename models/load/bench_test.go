package load

import (
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// BenchmarkClientServiceMM1 runs an open-loop client against one M/M/1
// instance (ρ = 0.8) on ideal links; one op is one request from arrival to
// outcome, about six kernel events.
func BenchmarkClientServiceMM1(b *testing.B) {
	benchClientService(b, mm1Service("api", 1, 0.001))
}

// BenchmarkClientServiceEndpoints is BenchmarkClientServiceMM1 with two
// endpoints drawn by weight: the endpoint travels without allocating.
func BenchmarkClientServiceEndpoints(b *testing.B) {
	svc := mm1Service("api", 1, 0.001)
	svc.Endpoints = []service.Endpoint{{Name: "a", Weight: weight(3)}, {Name: "b", ServiceTime: exponential(0.001)}}
	benchClientService(b, svc)
}

func benchClientService(b *testing.B, svc service.Config) {
	r := newRig(b, 1, svc, Config{Timeout: 10 * time.Second, Open: open(800)})
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
