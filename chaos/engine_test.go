package chaos

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/world"
)

// TestPartitionScenarioFull runs scenarios/partition.yaml's raft variants
// for real at TimeScale 0.2 (18 s each), beside the simulator on the same
// shortened schedule (20 seeds), as -real does, and holds each real run
// to what the scenario promises: no acknowledged write lost; with reads
// through the log, a linearizable history and a minority side that
// answers nothing during the zone cut; with stale reads, a minority that
// answers its reads (60% of the mix) and nothing else; and both new
// leaders (after the zone cut, which cuts the leader kv-4 off, and after
// the leader is isolated) within the calibration target (±30%) of the
// simulator's failover times over 20 seeds: one real run draws one
// election, which the simulated mean alone cannot judge (the report's
// "in range" column). It takes about a minute, so it runs only with
// FAULTLINE_REAL_FULL=1.
func TestPartitionScenarioFull(t *testing.T) {
	if os.Getenv("FAULTLINE_REAL_FULL") == "" {
		t.Skip("set FAULTLINE_REAL_FULL=1 to run the full partition scenario for real")
	}
	sc, err := scenarios.Load("../scenarios/partition.yaml")
	require.NoError(t, err)
	var seeds []uint64 // the simulated reference: enough seeds to span the election's randomness
	for seed := uint64(1); seed <= 20; seed++ {
		seeds = append(seeds, seed)
	}
	rep := &results.Report{Seeds: seeds}
	skipped, err := scenarios.Compare(context.Background(), rep, sc, &Engine{Dir: t.TempDir(), TimeScale: 0.2}, world.Engine{},
		scenarios.Options{Seeds: 1}, func(err error) bool { return errors.Is(err, ErrNoRealCounterpart) })
	require.NoError(t, err)
	assert.Len(t, skipped, 3, "quorum, one and async-followers have no real counterpart: %q", skipped)
	require.Len(t, rep.Runs, 2, "one real run of cp and one of cp-stale-reads")
	for _, run := range rep.Runs {
		v, m := run.Variant, run.Metrics
		t.Logf("%s: linearizable=%v stale_reads=%v unknown_ops=%v lost_writes=%v divergence_at_end=%v convergence_ms=%.0f",
			v, m["linearizable"], m["stale_reads"], m["unknown_ops"], m["lost_writes"], m["divergence_at_end"], m["convergence_ms"])
		t.Logf("%s: availability fault1 majority=%.3f minority=%.3f; fault2 majority=%.3f minority=%.3f; failover fault1=%.0f ms fault2=%.0f ms; leader changes %v",
			v, m["availability_fault1_majority"], m["availability_fault1_minority"], m["availability_fault2_majority"],
			m["availability_fault2_minority"], m["failover_ms_fault1"], m["failover_ms_fault2"], m["leader_changes"])
		all, _ := run.Phase("all")
		t.Logf("%s: %d requests, p50 %.1f ms, p99 %.1f ms", v, all.Requests, all.Latency.P50, all.Latency.P99)

		assert.Equal(t, 0.0, m["lost_writes"], "%s: acknowledged writes lost", v)
		assert.Equal(t, 0.0, m["divergence_at_end"], "%s: replicas differ at the end", v)
		switch v {
		case "cp (real)":
			assert.Equal(t, 1.0, m["linearizable"], "%s: reads through the log must be linearizable", v)
			assert.Less(t, m["availability_fault1_minority"], 0.05, "%s: the minority side answered during the cut", v)
		case "cp-stale-reads (real)":
			assert.Greater(t, m["availability_fault1_minority"], 0.5, "%s: the minority side answers its reads", v)
			assert.Less(t, m["availability_fault1_minority"], 0.7, "%s: the minority side answers only its reads", v)
		default:
			t.Errorf("unexpected real variant %q", v)
		}
	}
	judged := 0
	for _, c := range rep.Calibration {
		if !strings.HasPrefix(c.Metric, "failover_ms_fault") {
			continue
		}
		judged++
		require.NotNil(t, c.Within, "%s %s: no target", c.Variant, c.Metric)
		t.Logf("%s %s: real %.0f ms, simulated %.0f ms (20 seeds: %.0f..%.0f), target %s: within of the mean %v, of the range %v",
			c.Variant, c.Metric, c.Real, c.Sim, c.SimMin, c.SimMax, c.Target, *c.Within, c.InSimRange)
		assert.True(t, c.InSimRange, "%s %s: real failover %.0f ms is not within %s of the simulated seeds' %.0f..%.0f ms",
			c.Variant, c.Metric, c.Real, c.Target, c.SimMin, c.SimMax)
	}
	assert.Equal(t, 4, judged, "failover after both faults, for both variants")
}
