package search

import (
	"time"

	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"

	"pgregory.net/rapid"
)

// Recovers is the liveness hypothesis of the planted-bug worlds: once the
// faults are over, the system serves again.
const Recovers = "availability >= 0.5 after"

// RetryWorld draws a service busy at 50 to 70% of its capacity, called by
// a client that retries every timeout up to 3 times, 1 ms apart, and hit
// by a slowdown: the ingredients of a retry storm. limited puts the
// retries under gRPC retry throttling (10 tokens, 0.1 per success); the
// planted bug leaves them unlimited. (Envoy's retry budget is not enough
// here: its floor of 3 retries in flight is most of the traffic of these
// one-to-four-worker services, and the search finds storms under it
// too.) The hypothesis is Recovers.
func RetryWorld(limited bool) *rapid.Generator[*scenarios.Scenario] {
	return rapid.Custom(func(t *rapid.T) *scenarios.Scenario {
		sc := &scenarios.Scenario{Name: "gen-retries", Duration: 40 * time.Second, Seeds: 1,
			Expect: []scenarios.Expectation{{Check: Recovers}}}
		instances := rapid.IntRange(1, 4).Draw(t, "instances")
		mean := 0.010
		svc := service.Config{Name: "api", Instances: instances, Workers: 1, QueueLimit: 2000,
			ServiceTime: sim.DistSpec{Kind: "exponential", Mean: mean}}
		util := float64(rapid.IntRange(50, 70).Draw(t, "utilisation_pct")) / 100
		retry := &resilience.RetryConfig{MaxAttempts: 3, Backoff: resilience.Backoff{Kind: "constant", Base: time.Millisecond, Jitter: "none"}}
		if limited {
			retry.Throttle = &resilience.ThrottleConfig{MaxTokens: 10, TokenRatio: 0.1}
		}
		cl := scenarios.Client{Name: scenarios.DefaultClient, Config: load.Config{
			Target: "api", Balancer: "random", Timeout: ms(t, 100, 400, "timeout"),
			Open:  &load.Schedule{Shape: "constant", RPS: util * float64(instances) / mean},
			Retry: retry,
		}}
		sc.Topology.Services = []service.Config{svc}
		sc.Load = []scenarios.Client{cl}
		for i := range rapid.IntRange(1, 3).Draw(t, "faults") {
			f := scenarios.Fault{Type: scenarios.FaultLatency, To: "api"}
			f.At = ms(t, 2000, 15000, label(i, "at"))
			f.For = ms(t, 200, 5000, label(i, "for"))
			f.Latency = ms(t, 50, 1000, label(i, "latency"))
			sc.Faults = append(sc.Faults, f)
		}
		return finish(t, sc)
	})
}

// BreakerWorld draws a front service calling a back end through a
// consecutive-failure breaker, with a crash or a black-holing partition
// of the back end. The breaker's open timeout is 1 to 3 s; with
// neverHalfOpen, a planted bug, it is an hour, longer than the run, as if
// the breaker had no half-open state: once open, it never lets a trial
// through again. The hypothesis is Recovers.
func BreakerWorld(neverHalfOpen bool) *rapid.Generator[*scenarios.Scenario] {
	return rapid.Custom(func(t *rapid.T) *scenarios.Scenario {
		sc := &scenarios.Scenario{Name: "gen-breaker", Duration: 30 * time.Second, Seeds: 1,
			Expect: []scenarios.Expectation{{Check: Recovers}}}
		open := ms(t, 1000, 3000, "breaker.timeout")
		if neverHalfOpen {
			open = time.Hour
		}
		front := service.Config{Name: "api", Instances: rapid.IntRange(1, 3).Draw(t, "api.instances"), Workers: 8,
			ServiceTime: sim.DistSpec{Kind: "constant", Value: 0.001},
			Calls: []service.Call{{Service: "db", Timeout: ms(t, 50, 300, "call.timeout"),
				Breaker: &resilience.BreakerConfig{Timeout: open, ConsecutiveFailures: uint32(rapid.IntRange(1, 10).Draw(t, "breaker.consecutive_failures"))}}}}
		back := service.Config{Name: "db", Instances: rapid.IntRange(1, 3).Draw(t, "db.instances"), Workers: 8,
			ServiceTime: sim.DistSpec{Kind: "exponential", Mean: 0.005}}
		sc.Topology.Services = []service.Config{front, back}
		sc.Load = []scenarios.Client{{Name: scenarios.DefaultClient, Config: load.Config{
			Target: "api", Timeout: time.Second, Open: &load.Schedule{Shape: "constant", RPS: float64(rapid.IntRange(20, 200).Draw(t, "rps"))}}}}
		for i := range rapid.IntRange(1, 3).Draw(t, "faults") {
			f := scenarios.Fault{Type: rapid.SampledFrom([]scenarios.FaultType{scenarios.FaultCrash, scenarios.FaultPartition, scenarios.FaultLatency}).Draw(t, label(i, "type"))}
			f.At = ms(t, 1000, 15000, label(i, "at"))
			f.For = ms(t, 100, 5000, label(i, "for"))
			switch f.Type {
			case scenarios.FaultCrash:
				f.Target = "db"
			case scenarios.FaultPartition:
				f.Isolate, f.Mode = "db", scenarios.PartitionBlackHole
			case scenarios.FaultLatency:
				f.To, f.Latency = "db", ms(t, 10, 500, label(i, "latency"))
			}
			sc.Faults = append(sc.Faults, f)
		}
		return finish(t, sc)
	})
}

func label(i int, field string) string { return "faults[" + string(rune('0'+i)) + "]." + field }
