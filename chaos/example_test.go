package chaos_test

import (
	"fmt"
	"os"

	"github.com/faultline-sim/faultline/chaos"
	"github.com/faultline-sim/faultline/scenarios"
)

// A dry run of a small chain: what a real run would start, where the
// proxies go and how each fault would act, starting nothing. Engine.Run
// would do it, against real processes, on the same schedule.
func ExampleEngine_Plan() {
	sc, err := scenarios.Parse("example.yaml", []byte(`name: example
duration: 10s
topology:
  services:
    - {name: gateway, workers: 16, service_time: {kind: constant, value: 0}, calls: [{service: api, timeout: 300ms}]}
    - {name: api, instances: 2, workers: 4, service_time: {kind: exponential, mean: 5ms}}
load:
  target: gateway
  timeout: 1s
  open: {shape: constant, rps: 50}
faults:
  - {at: 2s, for: 3s, type: latency, to: api-1, latency: 200ms}
  - {at: 6s, for: 2s, type: crash, target: api}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := sc.Case(scenarios.BaseVariant)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := (&chaos.Engine{TimeScale: 0.5}).Plan(os.Stdout, c, 1); err != nil {
		fmt.Println(err)
	}
	// Output:
	// base: real run at time scale 0.5, seed 1
	//   service gateway: 1 process(es) on 127.0.0.1, 16 workers each, queue limit 0, service time constant, calls api
	//   service api: 2 process(es) on 127.0.0.1, 4 workers each, queue limit 0, service time exponential, calls nothing
	//   processes: 3; proxies: 3 in Toxiproxy (one per link per callee instance, the load's included; a caller's instances share them)
	//   load: 50 req/s (open loop) to gateway for 5s, timeout 1s, no retries, round_robin
	//   toxiproxy: embedded in this process (no fault outlives it)
	//   faults[0] 1s .. 2.5s: latency +200ms *->api-1: Toxiproxy latency toxic map[jitter:0 latency:200], toxicity 1, on the streams from * to api-1: 1 proxy change (gateway_api-1 upstream)
	//   faults[1] 3s .. 4s: crash api: SIGKILL to the process group of every process of api, restarted as it was at the fault's end
	//       note: the schedule runs 2x as fast (duration and fault times scaled; service times and timeouts not)
	//   stop: no stop condition (the run lasts its schedule)
	//   lasts: start-up (a few seconds) + load 5s + its last requests (at most 1s)
}
