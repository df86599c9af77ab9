package world

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/scenarios"
)

// twoTier is the two-tier chain of the comparison with SimPy: a Poisson
// load of 2000 req/s on tier1 (20 workers, exponential 2 ms), whose
// worker calls tier2 (20 workers, exponential 3 ms) and waits for it,
// 0.5 ms links, 60 s timeouts everywhere, 300 s: about 600 000 requests
// with a mean latency of 7 ms. Nothing is traced.
const twoTier = `
name: two-tier
duration: 300s
seeds: 1
interval: 1s
trace_sample: 0
topology:
  services:
    - name: tier1
      workers: 20
      service_time: {kind: exponential, mean: 2ms}
      calls:
        - service: tier2
          timeout: 60s
    - name: tier2
      workers: 20
      service_time: {kind: exponential, mean: 3ms}
  links:
    - {from: "*", to: "*", latency: 500us}
load:
  target: tier1
  timeout: 60s
  open: {shape: constant, rps: 2000}
`

// BenchmarkTwoTierChain runs the whole two-tier scenario per op (the
// world's build, 300 simulated seconds and the results): requests/s and
// events/s are simulated per second of wall time.
func BenchmarkTwoTierChain(b *testing.B) {
	benchmarkYAML(b, "two-tier.yaml", twoTier)
}

// topology is a world of n services (n a multiple of 5) in n/5 chains of
// five: chain c's client sends 100 req/s to c0, which calls c1, which
// calls c2, and so on, each call waiting for the next. Every service has
// two instances of 10 workers (exponential 1 ms); calls time out after
// 5 s and requests after 10 s, so most timers are cancelled long before
// they expire; one "*" -> "*" rule gives every pair of nodes a 0.5 ms
// link. 20 simulated seconds.
func topology(n int) string {
	var b strings.Builder
	b.WriteString("name: topology\nduration: 20s\nseeds: 1\ninterval: 1s\ntrace_sample: 0\ntopology:\n  services:\n")
	for c := range n / 5 {
		for j := range 5 {
			fmt.Fprintf(&b, "    - name: c%d-%d\n      instances: 2\n      workers: 10\n", c, j)
			b.WriteString("      service_time: {kind: exponential, mean: 1ms}\n")
			if j < 4 {
				fmt.Fprintf(&b, "      calls:\n        - {service: c%d-%d, timeout: 5s}\n", c, j+1)
			}
		}
	}
	b.WriteString("  links:\n    - {from: \"*\", to: \"*\", latency: 500us}\nload:\n")
	for c := range n / 5 {
		fmt.Fprintf(&b, "  - {name: client-%d, target: c%d-0, timeout: 10s, open: {shape: constant, rps: 100}}\n", c, c)
	}
	return b.String()
}

// BenchmarkTopology runs topology(n) for 10, 50 and 200 services. Run each
// size in its own process (-bench 'Topology/services=200$') for its peak
// RSS: the figure is the process's high-water mark.
func BenchmarkTopology(b *testing.B) {
	for _, n := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			benchmarkYAML(b, "topology.yaml", topology(n))
		})
	}
}

// benchmarkYAML runs the scenario in src once per op, seed 1, 2, ...,
// and reports simulated events and requests per second of wall time,
// wall nanoseconds per event, events per request, and the process's peak
// RSS. cpu-ns/event counts the process's CPU time (user and system, the
// garbage collector's threads included) instead of wall time: on a shared
// machine it does not count the time spent waiting for a core.
func benchmarkYAML(b *testing.B, file, src string) {
	sc, err := scenarios.Parse(file, []byte(src))
	if err != nil {
		b.Fatal(err)
	}
	c, err := sc.Case(scenarios.BaseVariant)
	if err != nil {
		b.Fatal(err)
	}
	var events, requests float64
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		r, err := Engine{}.Run(context.Background(), c, uint64(i+1))
		if err != nil {
			b.Fatal(err)
		}
		all, _ := r.Phase("all")
		events += float64(r.Events)
		requests += float64(all.Requests)
	}
	cpu := cpuTime() - cpu0
	secs := b.Elapsed().Seconds()
	b.ReportMetric(events/secs, "events/s")
	b.ReportMetric(requests/secs, "requests/s")
	b.ReportMetric(secs*1e9/events, "ns/event")
	b.ReportMetric(cpu.Seconds()*1e9/events, "cpu-ns/event")
	b.ReportMetric(events/requests, "events/req")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
