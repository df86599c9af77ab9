package world_test

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/world"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/every_part.golden")

// everyPart is a small world in which every part of the simulator has
// work: services with calls, retries, a breaker and deadlines, a mesh,
// traces, two service clients, a broker whose consumers scale on lag, a
// Raft store with its own client, a rollout, an HPA, and faults of every kind the parts
// handle (a cut of the store's leader, link latency, a crash, a pause).
const everyPart = `
name: every-part
duration: 20s
interval: 1s
trace_sample: 0.05
mesh: {hop_latency: 200us, retry: {attempts: 2}}
topology:
  services:
    - name: gateway
      instances: 2
      workers: 8
      queue_limit: 50
      service_time: {kind: exponential, mean: 2ms}
      calls:
        - service: orders
          timeout: 200ms
          retry: {max_attempts: 2}
          breaker: {timeout: 2s}
      autoscale:
        policy: hpa
        target_utilization: 50
        hpa: {min_replicas: 2, max_replicas: 4}
    - name: orders
      instances: 3
      workers: 4
      honor_deadlines: true
      service_time: {kind: exponential, mean: 5ms}
      publish: events
      rollout: {at: 4s, max_surge: 1, max_unavailable: 0}
    - name: shipping
      instances: 2
      workers: 4
      service_time: {kind: exponential, mean: 2ms}
  brokers:
    - name: events
      partitions: 4
      producers: 1
      consumers: 1
      downstream: shipping
      consumer: {workers: 2, service_time: {kind: exponential, mean: 5ms}, outage: block}
      autoscale: {lag_threshold: 50, period: 2s}
  stores:
    - name: kv
      replicas: 3
      design: raft
      settle: 2s
  links:
    - {from: "*", to: "*", latency: 500us}
load:
  - name: web
    target: gateway
    timeout: 500ms
    open: {rps: 150}
  - name: mobile
    target: gateway
    timeout: 500ms
    open: {rps: 50}
  - name: kvclient
    target: kv
    timeout: 300ms
    open: {rps: 50}
    ops: {read: 0.5, write: 0.5, keys: 10}
faults:
  - {at: 5s, for: 3s, type: partition, isolate: kv.leader}
  - {at: 8s, for: 3s, type: latency, from: gateway, to: orders, latency: 20ms}
  - {at: 10s, for: 4s, type: crash, target: shipping}
  - {at: 12s, for: 2s, type: pause, target: orders-1}
`

// TestEveryPartKeepsItsOrder pins the trace hash, the order of the series
// and the metrics of a world in which every part has work: the order in
// which the parts build, start, sample and report is part of the
// simulator's contract, since every event tie, random stream and series
// follows it, and each part's metrics must reach the run.
// Regenerate with -rewrite only when a change of behaviour is intended.
func TestEveryPartKeepsItsOrder(t *testing.T) {
	sc, err := scenarios.Parse("every-part.yaml", []byte(everyPart))
	require.NoError(t, err)
	c, err := sc.Case(scenarios.BaseVariant)
	require.NoError(t, err)
	r, err := world.Engine{}.Run(context.Background(), c, 1)
	require.NoError(t, err, "seed 1")
	var names []string
	for _, s := range r.Series {
		names = append(names, s.Name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "trace %s events %d\nseries %s\n", r.TraceHash, r.Events, strings.Join(names, " "))
	for _, name := range slices.Sorted(maps.Keys(r.Metrics)) {
		fmt.Fprintf(&b, "%s %.6g\n", name, r.Metrics[name])
	}
	got := b.String()
	golden := filepath.Join("testdata", "every_part.golden")
	if *rewrite {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "seed 1: the world's order changed (replay: go test ./world -run TestEveryPartKeepsItsOrder)")
}
