package scenarios_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/faultline-sim/faultline/scenarios"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// small is the base for the rules on the scenario's own fields, whose
// boundaries the full base's faults and stop condition would hide.
const small = `name: small
duration: 60s
seeds: 1
interval: 1s
topology:
  services:
    - {name: api, service_time: 1ms}
load:
  target: api
  open: {rps: 10}
`

// edit replaces the first occurrence of old with new.
type edit struct{ old, new string }

// bound is one side of one range rule: with old replaced by ok the file
// is valid (the value on or just inside the boundary); with bad (just
// past it) Parse fails with exactly "bounds.yaml:<line of old>: " + want.
// also edits the base first, for rules whose boundary another field
// would hide. Where a zero value means "the default", bad is the first
// negative value instead of zero.
type bound struct {
	rule, base   string
	also         []edit
	old, ok, bad string
	want         string
}

// TestEveryRangeRuleAtItsBoundary has one row per range rule of the
// scenario language's own validation (the scenario, its links, brokers'
// autoscalers, stores and their raft settings, store clients, every
// fault type's parameters and the stop condition): each value on the
// boundary is accepted, and the value just past it is refused with the
// exact file:line: path: rule message. A widened or narrowed range, or a
// < written for <=, fails a row.
func TestEveryRangeRuleAtItsBoundary(t *testing.T) {
	full, err := os.ReadFile("testdata/bounds.yaml")
	require.NoError(t, err)
	bases := map[string]string{"": string(full), "small": small}
	for _, b := range bounds {
		t.Run(b.rule, func(t *testing.T) {
			text := bases[b.base]
			for _, e := range b.also {
				require.Contains(t, text, e.old)
				text = strings.Replace(text, e.old, e.new, 1)
			}
			at := strings.Index(text, b.old)
			require.GreaterOrEqual(t, at, 0, "%q not in the base", b.old)
			line := strings.Count(text[:at], "\n") + 1
			_, err := scenarios.Parse("bounds.yaml", []byte(strings.Replace(text, b.old, b.ok, 1)))
			assert.NoError(t, err, "on the boundary: %s", b.ok)
			_, err = scenarios.Parse("bounds.yaml", []byte(strings.Replace(text, b.old, b.bad, 1)))
			if assert.Error(t, err, "past the boundary: %s", b.bad) {
				assert.Equal(t, fmt.Sprintf("bounds.yaml:%d: %s", line, b.want), err.Error())
			}
		})
	}
}

var bounds = []bound{
	// The scenario.
	{rule: "duration > 0", base: "small", also: []edit{{"interval: 1s", "interval: 1ms"}},
		old: "duration: 60s", ok: "duration: 1ms", bad: "duration: 0s", want: "duration: must be > 0, got 0s"},
	{rule: "duration <= 24h", base: "small",
		old: "duration: 60s", ok: "duration: 24h", bad: "duration: 24h0m0.000000001s", want: "duration: must be <= 24h, got 24h0m0.000000001s"},
	{rule: "seeds >= 1 (0 is the default)",
		old: "seeds: 1", ok: "seeds: 1", bad: "seeds: -1", want: "seeds: must be in [1, 1000], got -1"},
	{rule: "seeds <= 1000",
		old: "seeds: 1", ok: "seeds: 1000", bad: "seeds: 1001", want: "seeds: must be in [1, 1000], got 1001"},
	{rule: "interval >= 1ms",
		old: "interval: 1s", ok: "interval: 1ms", bad: "interval: 999us", want: "interval: must be in [1ms, duration (1m0s)], got 999µs"},
	{rule: "interval <= duration", base: "small",
		old: "interval: 1s", ok: "interval: 60s", bad: "interval: 60.000000001s", want: "interval: must be in [1ms, duration (1m0s)], got 1m0.000000001s"},
	{rule: "trace_sample >= 0",
		old: "trace_sample: 0.01", ok: "trace_sample: 0", bad: "trace_sample: -0.01", want: "trace_sample: must be in [0, 1] (a share of requests), got -0.01"},
	{rule: "trace_sample <= 1",
		old: "trace_sample: 0.01", ok: "trace_sample: 1", bad: "trace_sample: 1.01", want: "trace_sample: must be in [0, 1] (a share of requests), got 1.01"},

	// Links.
	{rule: "link jitter >= 0",
		old: "jitter: 0s", ok: "jitter: 0s", bad: "jitter: -1ns", want: "topology.links[0].jitter: must be >= 0, got -1ns"},
	{rule: "link loss >= 0",
		old: "loss: 0.5", ok: "loss: 0", bad: "loss: -0.01", want: "topology.links[0].loss: must be in [0, 1], got -0.01"},
	{rule: "link loss <= 1",
		old: "loss: 0.5", ok: "loss: 1", bad: "loss: 1.01", want: "topology.links[0].loss: must be in [0, 1], got 1.01"},
	{rule: "link bytes_per_s >= 0",
		old: "      bytes_per_s: 1000", ok: "      bytes_per_s: 0", bad: "      bytes_per_s: -1", want: "topology.links[0].bytes_per_s: must be >= 0 (0 = unlimited), got -1"},

	// A broker's consumer autoscaler.
	{rule: "autoscale lag_threshold > 0 (0 is the default)",
		old: "lag_threshold: 10", ok: "lag_threshold: 0.001", bad: "lag_threshold: -0.001", want: "topology.brokers[0].autoscale.lag_threshold: must be > 0, got -0.001"},
	{rule: "autoscale min_consumers >= 1 (0 is the default)",
		old: "min_consumers: 1", ok: "min_consumers: 1", bad: "min_consumers: -1", want: "topology.brokers[0].autoscale.min_consumers: must be >= 1, got -1"},
	{rule: "autoscale max_consumers >= min_consumers", also: []edit{{"min_consumers: 1", "min_consumers: 2"}},
		old: "max_consumers: 2", ok: "max_consumers: 2", bad: "max_consumers: 1", want: "topology.brokers[0].autoscale.max_consumers: must be >= min_consumers (2), got 1"},
	{rule: "autoscale period > 0 (0 is the default)",
		old: "period: 15s", ok: "period: 1ns", bad: "period: -1ns", want: "topology.brokers[0].autoscale.period: must be > 0, got -1ns"},
	{rule: "autoscale scale_down_window >= 0",
		old: "scale_down_window: 300s", ok: "scale_down_window: 1ns", bad: "scale_down_window: -1ns", want: "topology.brokers[0].autoscale.scale_down_window: must be >= 0, got -1ns"},

	// Stores.
	{rule: "store replicas >= 1 (0 is the default)",
		old: "replicas: 3", ok: "replicas: 1", bad: "replicas: -1", want: "topology.stores[0].replicas: must be in [1, 15], got -1"},
	{rule: "store replicas <= 15",
		old: "replicas: 3", ok: "replicas: 15", bad: "replicas: 16", want: "topology.stores[0].replicas: must be in [1, 15], got 16"},
	{rule: "store settle >= 0",
		old: "settle: 10s", ok: "settle: 1ns", bad: "settle: -1ns", want: "topology.stores[0].settle: must be >= 0, got -1ns"},
	{rule: "raft heartbeat_timeout >= 1ms", also: []edit{{"leader_lease_timeout: 100ms", "leader_lease_timeout: 1ms"}},
		old: "heartbeat_timeout: 150ms", ok: "heartbeat_timeout: 1ms", bad: "heartbeat_timeout: 999us", want: "topology.stores[0].raft.heartbeat_timeout: must be >= 1ms, got 999µs"},
	{rule: "raft election_timeout >= 1ms",
		old: "election_timeout: 150ms", ok: "election_timeout: 1ms", bad: "election_timeout: 999us", want: "topology.stores[0].raft.election_timeout: must be >= 1ms, got 999µs"},
	{rule: "raft leader_lease_timeout > 0 (0 is the default)",
		old: "leader_lease_timeout: 100ms", ok: "leader_lease_timeout: 1ns", bad: "leader_lease_timeout: -1ns", want: "topology.stores[0].raft.leader_lease_timeout: must be in (0, heartbeat_timeout (150ms)], got -1ns"},
	{rule: "raft leader_lease_timeout <= heartbeat_timeout",
		old: "leader_lease_timeout: 100ms", ok: "leader_lease_timeout: 150ms", bad: "leader_lease_timeout: 150.000001ms", want: "topology.stores[0].raft.leader_lease_timeout: must be in (0, heartbeat_timeout (150ms)], got 150.000001ms"},
	{rule: "raft apply_timeout > 0 (0 is the default)",
		old: "apply_timeout: 5s", ok: "apply_timeout: 1ns", bad: "apply_timeout: -1ns", want: "topology.stores[0].raft.apply_timeout: must be > 0, got -1ns"},
	{rule: "store client timeout > 0 (0 is the default)",
		old: "timeout: 500ms", ok: "timeout: 1ns", bad: "timeout: -1ns", want: "load[1].timeout: must be > 0, got -1ns"},

	// Faults: when, and every type's parameters.
	{rule: "fault at >= 0",
		old: "  - at: 10s", ok: "  - at: 0s", bad: "  - at: -1ns", want: "faults[0].at: must be >= 0, got -1ns"},
	{rule: "fault for > 0",
		old: "    for: 5s", ok: "    for: 1ns", bad: "    for: 0s", want: "faults[0].for: must be > 0 (every fault has a bounded duration), got 0s"},
	{rule: "fault ends by the scenario's end",
		old: "    for: 5s", ok: "    for: 50s", bad: "    for: 50.000000001s", want: "faults[0].for: fault ends at 1m0.000000001s, after the scenario's duration 1m0s"},
	{rule: "latency latency > 0",
		old: "    latency: 10ms", ok: "    latency: 1ns", bad: "    latency: 0s", want: "faults[0].latency: must be > 0, got 0s"},
	{rule: "latency jitter >= 0",
		old: "    jitter: 1ms", ok: "    jitter: 0s", bad: "    jitter: -1ns", want: "faults[0].jitter: must be >= 0, got -1ns"},
	{rule: "loss probability > 0",
		old: "probability: 0.5", ok: "probability: 0.001", bad: "probability: 0", want: "faults[1].probability: must be in (0, 1], got 0"},
	{rule: "loss probability <= 1",
		old: "probability: 0.5", ok: "probability: 1", bad: "probability: 1.01", want: "faults[1].probability: must be in (0, 1], got 1.01"},
	{rule: "bandwidth bytes_per_s > 0",
		old: "bandwidth, to: api-0, bytes_per_s: 1000", ok: "bandwidth, to: api-0, bytes_per_s: 1", bad: "bandwidth, to: api-0, bytes_per_s: 0", want: "faults[2].bytes_per_s: must be > 0, got 0"},
	{rule: "limit_data bytes > 0",
		old: "bytes: 1000", ok: "bytes: 1", bad: "bytes: 0", want: "faults[3].bytes: must be > 0, got 0"},
	{rule: "reset_peer timeout >= 0",
		old: "reset_peer, to: api-0, timeout: 1s", ok: "reset_peer, to: api-0, timeout: 0s", bad: "reset_peer, to: api-0, timeout: -1ns", want: "faults[4].timeout: must be >= 0, got -1ns"},
	{rule: "timeout timeout >= 0",
		old: "type: timeout, to: api-0, timeout: 1s", ok: "type: timeout, to: api-0, timeout: 0s", bad: "type: timeout, to: api-0, timeout: -1ns", want: "faults[5].timeout: must be >= 0 (0 = hold forever), got -1ns"},
	{rule: "slow_close delay > 0",
		old: "slow_close, to: api-0, delay: 1s", ok: "slow_close, to: api-0, delay: 1ns", bad: "slow_close, to: api-0, delay: 0s", want: "faults[6].delay: must be > 0, got 0s"},
	{rule: "slicer average_size > 0", also: []edit{{"size_variation: 10", "size_variation: 0"}},
		old: "average_size: 100", ok: "average_size: 1", bad: "average_size: 0", want: "faults[7].average_size: must be > 0 bytes, got 0"},
	{rule: "slicer size_variation >= 0",
		old: "size_variation: 10", ok: "size_variation: 0", bad: "size_variation: -1", want: "faults[7].size_variation: must be in [0, average_size (100)) bytes, got -1"},
	{rule: "slicer size_variation < average_size",
		old: "size_variation: 10", ok: "size_variation: 99", bad: "size_variation: 100", want: "faults[7].size_variation: must be in [0, average_size (100)) bytes, got 100"},
	{rule: "slicer delay >= 0",
		old: "delay: 1ms", ok: "delay: 0s", bad: "delay: -1ns", want: "faults[7].delay: must be >= 0, got -1ns"},
	{rule: "partition groups >= 2",
		old: "groups: [[api-0], [api-1]]", ok: "groups: [[api-0], [api-1]]", bad: "groups: [[api-0]]", want: "faults[8].groups: a partition needs isolate or at least 2 groups, got 1"},

	// The stop condition.
	{rule: "stop error_rate > 0",
		old: "error_rate: 0.5", ok: "error_rate: 0.001", bad: "error_rate: 0", want: "stop.error_rate: must be in (0, 1], got 0"},
	{rule: "stop error_rate <= 1",
		old: "error_rate: 0.5", ok: "error_rate: 1", bad: "error_rate: 1.01", want: "stop.error_rate: must be in (0, 1], got 1.01"},
	{rule: "stop over >= 100ms",
		old: "over: 5s", ok: "over: 100ms", bad: "over: 99.999999ms", want: "stop.over: must be in [100ms, duration (1m0s)], got 99.999999ms"},
	{rule: "stop over <= duration",
		old: "over: 5s", ok: "over: 60s", bad: "over: 60.000000001s", want: "stop.over: must be in [100ms, duration (1m0s)], got 1m0.000000001s"},
	{rule: "stop min_requests >= 1 (0 is the default)",
		old: "min_requests: 10", ok: "min_requests: 1", bad: "min_requests: -1", want: "stop.min_requests: must be >= 1, got -1"},

	// What the report compares.
	{rule: "compare names two metrics",
		old: "compare: [availability, p99]", ok: "compare: [availability, p99]", bad: "compare: [availability]", want: "compare: must name exactly two metrics, got 1"},
}
