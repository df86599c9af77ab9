package world

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/scenarios"
)

// benchmarkScenario runs a built-in scenario's variant for 60 simulated
// seconds per op and reports simulated events and requests per second of
// wall time.
func benchmarkScenario(b *testing.B, name, variant string, trace float64) {
	sc, err := scenarios.Load(name)
	if err != nil {
		b.Fatal(err)
	}
	c, err := sc.Case(variant)
	if err != nil {
		b.Fatal(err)
	}
	c.Scenario.Duration = 60 * time.Second
	c.Scenario.Faults = nil
	c.Scenario.TraceSample = &trace
	var events, requests float64
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r, err := Engine{}.Run(context.Background(), c, uint64(i+1))
		if err != nil {
			b.Fatal(err)
		}
		all, _ := r.Phase("all")
		events += float64(r.Events)
		requests += float64(all.Requests)
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(events/secs, "events/s")
	b.ReportMetric(requests/secs, "requests/s")
}

// BenchmarkCascade: gateway -> tier1 -> tier2 -> tier3, 200 req/s, with
// timeouts and a breaker on every request path; no tracing.
func BenchmarkCascade(b *testing.B) { benchmarkScenario(b, "cascade", "breaker", 0) }

// BenchmarkCascadeTraced: the same with 1% of requests traced.
func BenchmarkCascadeTraced(b *testing.B) { benchmarkScenario(b, "cascade", "breaker", 0.01) }

// BenchmarkAsync: orders publishing to a broker of 6 partitions, 300 req/s.
func BenchmarkAsync(b *testing.B) { benchmarkScenario(b, "async", "events", 0) }
