package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/faultline-sim/faultline/results"
)

func TestCalibrationTargets(t *testing.T) {
	avail := results.Stat{Mean: 0.6, Min: 0, Max: 0.9, N: 3}
	for _, c := range []struct {
		metric  string
		sim     results.Stat
		real    float64
		target  string
		within  bool
		inRange bool
	}{
		{"availability", avail, 0.64, "±0.05", true, true},
		{"availability_fault2_client", avail, 0, "±0.05", false, true},     // the leader was the client's replica
		{"availability_fault2_client", avail, 0.97, "±0.05", false, false}, // better than any seed
		{"failover_ms_fault2", results.Stat{Mean: 300, Min: 250, Max: 350, N: 3}, 380, "±30%", true, true},
		{"leader_failover_ms", results.Stat{Mean: 300, Min: 250, Max: 350, N: 3}, 420, "±30%", false, true},
		{"leader_failover_ms", results.Stat{Mean: 300, Min: 250, Max: 350, N: 3}, 460, "±30%", false, false},
		{"leader_failover_ms", results.Stat{Mean: 300, Min: 250, Max: 350, N: 3}, -1, "±30%", false, false}, // no leader for real
	} {
		target, within, inRange := calibrationTarget(c.metric, c.sim, c.real)
		assert.Equal(t, c.target, target, "%s real %v", c.metric, c.real)
		if assert.NotNil(t, within, "%s", c.metric) {
			assert.Equal(t, c.within, *within, "%s real %v: within", c.metric, c.real)
		}
		assert.Equal(t, c.inRange, inRange, "%s real %v: in range", c.metric, c.real)
	}
	// No target where the leader was not cut off on every seed (a zone
	// partition: 0 when the leader was on the majority side), nor for
	// latency, which the real loopback path sets.
	for _, m := range []struct {
		metric string
		sim    results.Stat
	}{{"failover_ms_fault1", results.Stat{Mean: 110, Min: 0, Max: 330, N: 3}}, {"p99", results.Stat{Mean: 16, Min: 15, Max: 17, N: 3}}} {
		target, within, _ := calibrationTarget(m.metric, m.sim, 10)
		assert.Empty(t, target, m.metric)
		assert.Nil(t, within, m.metric)
	}
}
