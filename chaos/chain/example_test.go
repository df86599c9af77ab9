package chain_test

import (
	"context"
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/chaos/chain"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// A gateway calling a, which calls b with a breaker and a fallback; b
// slows down for 5 s. Execute starts the three processes and the proxies,
// runs the load and the fault, and cleans everything up. (Not run as a
// test: it starts processes for 20 s.)
func ExampleExecute() {
	cfg := chain.Config{Services: []chain.ServiceConfig{
		{Name: "gateway", Workers: 64, Calls: []chain.CallConfig{{Target: "a", Timeout: time.Second,
			Retry: &resilience.RetryConfig{MaxAttempts: 2, Budget: &resilience.BudgetConfig{}}}}},
		{Name: "a", Workers: 32, QueueLimit: 32, ServiceTime: sim.DistSpec{Kind: "exponential", Mean: 0.005},
			Calls: []chain.CallConfig{{Target: "b", Timeout: 200 * time.Millisecond, Fallback: true,
				Breaker: &resilience.BreakerConfig{ConsecutiveFailures: 5, Timeout: 5 * time.Second}}}},
		{Name: "b", Workers: 16, ServiceTime: sim.DistSpec{Kind: "lognormal", Mean: 0.01, Stddev: 0.005}},
	}}
	rc := chain.RunConfig{
		Load: chain.LoadConfig{Rate: 100, Duration: 20 * time.Second, Seed: 1},
		Faults: []chain.Fault{{Link: chain.Link("a", "b"), Type: chain.FaultLatency,
			Attributes: map[string]any{"latency": 500, "jitter": 100}, At: 5 * time.Second, For: 5 * time.Second}},
	}
	res, err := chain.Execute(context.Background(), cfg, chain.Options{Dir: "out/chain"}, rc, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	during, _ := res.Phase(results.During)
	fmt.Printf("availability %.3f, p99 %.0f ms, breaker open %.1f s\n",
		during.Availability, during.Latency.P99, res.Metrics["breaker_open_s a->b"])
}
