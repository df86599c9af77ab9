package httpchain

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/chaos/chain"
)

// TestWorkerMetrics: a service's worker counters become per-request
// means in ms, named with the service's suffix in a chain of several.
func TestWorkerMetrics(t *testing.T) {
	st := chain.Status{Name: "b", Served: 4, HeldNs: 4 * 12_500_000, ServiceNs: 4 * 10_000_000, WorkNs: 4 * 10_200_000,
		CallsNs: 4 * 2_000_000, Handoffs: 2, HandoffNs: 2 * 50_000, Calls: []chain.CallStatus{{Target: "c"}}}
	s := &System{cfg: chain.Config{Services: []chain.ServiceConfig{{Name: "a"}, {Name: "b"}}}}
	m := map[string]float64{}
	s.workerMetrics(m, st)
	want := map[string]float64{"worker_hold_mean_ms.b": 12.5, "service_time_mean_ms.b": 10, "work_overshoot_mean_ms.b": 0.2,
		"worker_calls_mean_ms.b": 2, "worker_overhead_mean_ms.b": 0.5, "worker_handoffs.b": 2, "worker_handoff_mean_ms.b": 0.05}
	require.Len(t, m, len(want))
	for k, v := range want {
		assert.InDelta(t, v, m[k], 1e-9, k)
	}
	s.cfg.Services = s.cfg.Services[1:]
	m = map[string]float64{}
	s.workerMetrics(m, chain.Status{Name: "b"})
	assert.Empty(t, m, "nothing served, nothing to say")
	s.workerMetrics(m, st)
	assert.InDelta(t, 0.5, m["worker_overhead_mean_ms"], 1e-9, "one service: no suffix")
}
