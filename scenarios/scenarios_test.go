package scenarios_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/world"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBuiltinScenarios runs every built-in scenario as a user would and
// checks its hypotheses, and that every metric its runs have is in the
// metric catalogue (scenarios/catalogue.go), which validation and the docs
// use: the catalogue cannot fall behind the simulator.
func TestBuiltinScenarios(t *testing.T) {
	for _, info := range scenarios.Builtin() {
		t.Run(info.Name, func(t *testing.T) {
			t.Parallel()
			sc, err := scenarios.Load(info.Name)
			require.NoError(t, err)
			rep, err := scenarios.Execute(context.Background(), sc, world.Engine{}, scenarios.Options{Parallel: 2})
			require.NoError(t, err)
			require.NotEmpty(t, rep.Variants)
			for _, v := range rep.Verdicts {
				assert.True(t, v.Pass, "%s: %s: got %.4g (CI %.4g..%.4g) %s\nreplay: go run ./cmd/simulate -scenario %s -seed %d -seeds %d",
					v.Variant, v.Expr, v.Got, v.Lo, v.Hi, v.Reason, info.Name, rep.Seeds[0], len(rep.Seeds))
			}
			known, err := sc.VariantMetrics()
			require.NoError(t, err)
			for _, run := range rep.Runs {
				for name, v := range run.Metrics {
					_, ok := known[name]
					assert.True(t, ok, "%s: metric %q is not in the catalogue (scenarios/catalogue.go)", run.Variant, name)
					if strings.HasSuffix(name, "_amplification") && !strings.HasSuffix(name, "load_amplification") {
						assert.GreaterOrEqual(t, v, 1.0, "%s seed %d: %s: every call or request has at least one attempt", run.Variant, run.Seed, name)
					}
				}
			}
		})
	}
}

func TestParallelRunsGiveTheSameReportAsSerial(t *testing.T) {
	sc, err := scenarios.Load("balancer")
	require.NoError(t, err)
	run := func(parallel int) []byte {
		rep, err := scenarios.Execute(context.Background(), sc, world.Engine{}, scenarios.Options{Seeds: 2, Parallel: parallel})
		require.NoError(t, err)
		rep.Version = ""
		b, err := json.Marshal(rep)
		require.NoError(t, err)
		return b
	}
	serial := run(1)
	assert.Equal(t, string(serial), string(run(4)), "seed=1: -parallel 4 must give the same bytes as -parallel 1")
}

func TestSameSeedSameTraceDifferentSeedDifferentTrace(t *testing.T) {
	sc, err := scenarios.Load("balancer")
	require.NoError(t, err)
	v, err := sc.Case("least-outstanding")
	require.NoError(t, err)
	hash := func(seed uint64) string {
		r, err := world.Engine{}.Run(context.Background(), v, seed)
		require.NoError(t, err)
		return r.TraceHash
	}
	assert.Equal(t, hash(7), hash(7), "seed=7")
	assert.NotEqual(t, hash(7), hash(8), "seeds 7 and 8")
}

// TestBalancerAgreesWithMM1 checks the first scenario against queueing
// theory: with random balancing, Poisson load splits into independent
// Poisson streams, so each of the 4 instances is an M/M/1 queue with
// lambda = 80/s and mu = 100/s: W = 1/(mu-lambda) = 50 ms, plus 2 x 0.5 ms
// of network. Faults are removed and the run made long.
func TestBalancerAgreesWithMM1(t *testing.T) {
	sc, err := scenarios.Load("balancer")
	require.NoError(t, err)
	sc.Faults = nil
	sc.Duration = 20 * 60e9
	sc.Expect = nil
	v, err := sc.Case("random")
	require.NoError(t, err)
	var means []float64
	for seed := uint64(1); seed <= 8; seed++ {
		r, err := world.Engine{}.Run(context.Background(), v, seed)
		require.NoError(t, err)
		all, _ := r.Phase(results.All)
		means = append(means, all.Latency.Mean)
	}
	st := results.NewStat(means)
	t.Logf("mean latency over 8 seeds of 20 min: %.2f ms (95%% CI %.2f..%.2f); M/M/1 + network: 51 ms", st.Mean, st.Lo, st.Hi)
	assert.True(t, st.Lo <= 51 && 51 <= st.Hi, "the CI must contain 51 ms; seeds 1..8")
	assert.Less(t, st.Hi-st.Lo, 0.04*51, "CI narrower than ±2%")
}

// TestGoAPIBuildsTheSameScenario builds the balancer scenario in Go and
// checks that it runs to the same trace as the file.
func TestGoAPIBuildsTheSameScenario(t *testing.T) {
	file, err := scenarios.Load("balancer")
	require.NoError(t, err)
	built := buildBalancerInGo(t)
	for _, name := range []string{"random", "least-outstanding"} {
		a, err := file.Case(name)
		require.NoError(t, err)
		b, err := built.Case(name)
		require.NoError(t, err)
		ra, err := world.Engine{}.Run(context.Background(), a, 1)
		require.NoError(t, err)
		rb, err := world.Engine{}.Run(context.Background(), b, 1)
		require.NoError(t, err)
		assert.Equal(t, ra.TraceHash, rb.TraceHash, "variant %s, seed 1", name)
	}
}

func TestBadInputNamesFileLineAndField(t *testing.T) {
	base, err := os.ReadFile("balancer.yaml")
	require.NoError(t, err)
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown field", "      workers: 1", "      wokers: 1", "bad.yaml:25: topology.services[0].wokers: unknown field (known: autoscale, call_mode, call_quorum, calls, discipline, discovery_delay, endpoints, error_rate, health_check, honor_deadlines, instances, max_instances, name, overflow, publish, queue_limit, rate_limit, rate_limit_per_client, request_bytes, response_bytes, restart, rollout, service_time, startup, workers)"},
		{"wrong type", "      workers: 1", "      workers: many", `bad.yaml:25: topology.services[0].workers: must be a whole number, got "many"`},
		{"out of range", "      workers: 1", "      workers: -2", "bad.yaml:25: topology.services[0].workers: must be >= 1, got -2"},
		{"duration without unit", "duration: 120s", "duration: 120", `bad.yaml:19: duration: must be a duration with a unit, like 250ms or 1m30s (units: ns, us, ms, s, m, h), got "120"`},
		{"fractional count", "      workers: 1", "      workers: 2.5", "bad.yaml:25: topology.services[0].workers: must be a whole number, got 2.5"},
		{"huge count", "      workers: 1", "      workers: 1e9", "bad.yaml:25: topology.services[0].workers: must be at most 1000000, got 1e9"},
		{"explicit zero count", "      workers: 1", "      workers: 0", "bad.yaml:25: topology.services[0].workers: must be >= 1, got 0 (leave it out for the default, 1)"},
		{"not a finite number", "      workers: 1", "      workers: 1\n      error_rate: .nan", "bad.yaml:26: topology.services[0].error_rate: must be a finite number of magnitude at most 1e+12, got .nan"},
		{"time beyond 30 days", "{kind: exponential, mean: 10ms}", "{kind: constant, value: 1e300}", "bad.yaml:27: topology.services[0].service_time.value: must be a time of at most 30 days (720h, 2.592e+06 s), got 1e300"},
		{"time beyond 30 days in a unit", "{kind: exponential, mean: 10ms}", "100000h", "bad.yaml:27: topology.services[0].service_time: must be a time of at most 30 days (720h, 2.592e+06 s), got 100000h"},
		{"duration missing", "duration: 120s\n", "", "bad.yaml: duration: required (how long the scenario runs, e.g. duration: 5m)"},
		{"bare number as a fixed time", "{kind: exponential, mean: 10ms}", "500", "bad.yaml:27: topology.services[0].service_time: a fixed time needs a unit, like 500ms or 500s (or a distribution {kind: exponential, mean: 20ms}), got the bare number 500"},
		{"bad distribution", "{kind: exponential, mean: 10ms}", "{kind: exponential, mean: -10ms}", "bad.yaml:27: topology.services[0].service_time.mean: must be in (0, +Inf), got -0.01"},
		{"unknown fault type", "type: latency", "type: slowness", `bad.yaml:42: faults[0].type: must be one of bandwidth, crash, latency, limit_data, loss, partition, pause, reset_peer, slicer, slow_close, timeout, window, got "slowness"`},
		{"fault past the end", "    for: 20s\n    type: partition", "    for: 60s\n    type: partition", "bad.yaml:47: faults[1].for: fault ends at 2m10s, after the scenario's duration 2m0s"},
		{"field the fault does not read", "    latency: 100ms", "    latency: 100ms\n    probability: 0.5", "bad.yaml:46: faults[0].probability: not read by fault type latency (it reads: from, to, two_way, latency, jitter)"},
		{"unknown node", "isolate: api-2", "isolate: api-9", "bad.yaml:49: faults[1].isolate: \"api-9\" is not a service, instance or load of this scenario (known: *, api, api-0, api-1, api-2, api-3, client)"},
		{"bad hypothesis", "p99 < 300ms before", "p99 < 300 before", `bad.yaml:67: expect[1]: p99 is a latency: give the value a unit, e.g. 800ms, got "p99 < 300 before"`},
		{"unknown variant in expect", "variant: least-outstanding\n    check", "variant: fastest\n    check", `bad.yaml:68: expect[2].variant: "fastest" is not a variant of this scenario`},
		{"not a mapping", "load:\n  target: api\n  balancer: random\n  timeout: 1s\n  open:\n    shape: constant\n    rps: 320\n", "load: 3\n", `bad.yaml:32: load: must be a load generator (a mapping) or a list of them, got "3"`},
		{"yaml syntax", "seeds: 3", "seeds: [3", "bad.yaml: line 19: did not find expected ',' or ']'"},
		{"flag of the wrong type", "    two_way: true", "    two_way: sometimes", `bad.yaml:44: faults[0].two_way: must be true or false, got "sometimes"`},
		{"number of the wrong type", "    rps: 320", "    rps: lots", `bad.yaml:38: load[0].open.rps: must be a number, got "lots"`},
		{"list for a number", "      workers: 1", "      workers: [1, 2]", `bad.yaml:25: topology.services[0].workers: must be a whole number, got a list`},
		{"list for a string", "  balancer: random", "  balancer: [random]", `bad.yaml:34: load[0].balancer: must be a string, got a list`},
		{"unknown key of an expectation", "    check: availability >= 0.98 during", "    check: availability >= 0.98 during\n    varient: x", `bad.yaml:70: expect[2].varient: unknown field (known: check, variant)`},
		{"retry deep in a call", "      workers: 1", "      workers: 1\n      calls: [{service: db, retry: {backoff: {base: -1s}}}]", `bad.yaml:26: topology.services[0].calls[0].retry.backoff.base: must be > 0, got -1s`},
		{"bad count or percentage", "      workers: 1", "      workers: 1\n      rollout: {at: 5s, max_surge: 150%x}", `bad.yaml:26: topology.services[0].rollout.max_surge: "150%x" is neither a count nor a percentage like "25%"`},
		{"call to no service", "      workers: 1", "      workers: 1\n      calls: [{service: db}]", `bad.yaml:26: topology.services[0].calls[0].service: "db" is not a service of the topology`},
		{"duplicate endpoint", "      workers: 1", "      workers: 1\n      endpoints: [{name: home}, {name: home}]", `bad.yaml:26: topology.services[0].endpoints[1].name: "home" is already the name of endpoints[0]`},
		{"endpoint call to no service", "      workers: 1", "      workers: 1\n      endpoints: [{name: home, calls: [{service: db}]}]", `bad.yaml:26: topology.services[0].endpoints[0].calls[0].service: "db" is not a service of the topology`},
		{"call to no endpoint", "  links:", "    - name: db\n      service_time: 1ms\n      calls: [{service: api, endpoint: away}]\n  links:", `bad.yaml:30: topology.services[1].calls[0].endpoint: "away" is not an endpoint of service api (it has none)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := string(base)
			require.Contains(t, text, c.old)
			_, err := scenarios.Parse("bad.yaml", []byte(strings.Replace(text, c.old, c.new, 1)))
			require.Error(t, err)
			assert.Equal(t, c.want, err.Error())
		})
	}
}

func TestBadVariantPathNamesTheVariant(t *testing.T) {
	base, err := os.ReadFile("balancer.yaml")
	require.NoError(t, err)
	text := strings.Replace(string(base), "load.balancer: round_robin", "topology.services.web.instances: 3", 1)
	sc, err := scenarios.Parse("bad.yaml", []byte(text))
	require.NoError(t, err, "overrides are checked when variants resolve")
	_, err = sc.Cases()
	assert.EqualError(t, err, `round-robin: bad.yaml:56: topology.services[0].web: unknown field (known: autoscale, call_mode, call_quorum, calls, discipline, discovery_delay, endpoints, error_rate, health_check, honor_deadlines, instances, max_instances, name, overflow, publish, queue_limit, rate_limit, rate_limit_per_client, request_bytes, response_bytes, restart, rollout, service_time, startup, workers)`)
	_, err = sc.Variant("round-robin")
	assert.ErrorContains(t, err, `variant round-robin: bad.yaml:56: topology.services[0].web: unknown field`)
	text = strings.Replace(string(base), "load.balancer: round_robin", "load.balancer: fastest", 1)
	sc, err = scenarios.Parse("bad.yaml", []byte(text))
	require.NoError(t, err)
	_, err = sc.Variant("round-robin")
	require.Error(t, err)
	assert.Equal(t, `variant round-robin: bad.yaml:56: load[0].balancer: must be one of round_robin, random, least_outstanding, p2c, got "fastest"`, err.Error(),
		"the line is the one in the variant's set")
}

func TestVariantsAndSweepResolve(t *testing.T) {
	sc, err := scenarios.Load("balancer")
	require.NoError(t, err)
	lor, err := sc.Variant("least-outstanding")
	require.NoError(t, err)
	assert.Equal(t, "least_outstanding", lor.Load[0].Balancer)
	assert.Equal(t, "random", sc.Load[0].Balancer, "the base is untouched")

	sc.Sweep = []scenarios.SweepParam{
		{Param: "topology.services.api.instances", Values: []string{"3", "5"}},
		{Param: "load.timeout", Values: []string{"200ms", "2s"}},
	}
	cases, err := sc.Cases()
	require.NoError(t, err)
	require.Len(t, cases, len(sc.VariantNames())*2*2)
	c := cases[3]
	assert.Equal(t, "random@instances=5,timeout=2s", c.Name)
	assert.Equal(t, []float64{5, 2}, c.Sweep)
	assert.Equal(t, 5, c.Scenario.Topology.Services[0].Instances)
	assert.Equal(t, 2e9, float64(c.Scenario.Load[0].Timeout))
}

func TestHypotheses(t *testing.T) {
	cases := []struct {
		in   string
		want scenarios.Hypothesis
	}{
		{"p99 < 800ms", scenarios.Hypothesis{Metric: "p99", Op: "<", Value: 800, Phase: results.All}},
		{"p50<=1.5s during", scenarios.Hypothesis{Metric: "p50", Op: "<=", Value: 1500, Phase: results.During}},
		{"availability >= 99.9% during the fault", scenarios.Hypothesis{Metric: "availability", Op: ">=", Value: 0.999, Phase: results.During}},
		{"stale_reads == 0", scenarios.Hypothesis{Metric: "stale_reads", Op: "==", Value: 0, Phase: results.All}},
		{"max < 250us after faults", scenarios.Hypothesis{Metric: "max", Op: "<", Value: 0.25, Phase: results.After}},
	}
	for _, c := range cases {
		h, err := scenarios.ParseHypothesis(c.in)
		require.NoError(t, err, c.in)
		assert.InDelta(t, c.want.Value, h.Value, 1e-12, c.in)
		h.Value = c.want.Value
		assert.Equal(t, c.want, h, c.in)
	}
	for _, bad := range []string{"p99 < 800", "availability >= 5ms", "p99 ~ 3ms", "p99 < 3ms sometimes", ""} {
		_, err := scenarios.ParseHypothesis(bad)
		assert.Error(t, err, bad)
	}
}

func TestEveryBuiltinListsWithADescription(t *testing.T) {
	for _, b := range scenarios.Builtin() {
		assert.NotEmpty(t, b.Description, b.Name)
		assert.False(t, strings.HasPrefix(b.Description, "(invalid"), fmt.Sprintf("%s: %s", b.Name, b.Description))
	}
}

// TestCapacitySweepIsMonotone checks the capacity scenario's grid: at each
// load, more instances never make availability worse (beyond noise).
func TestCapacitySweepIsMonotone(t *testing.T) {
	sc, err := scenarios.Load("capacity")
	require.NoError(t, err)
	rep, err := scenarios.Execute(context.Background(), sc, world.Engine{}, scenarios.Options{Parallel: 2})
	require.NoError(t, err)
	require.NotNil(t, rep.Sweep)
	avail := map[[2]float64]float64{}
	for i, pt := range rep.Sweep.Points {
		st, ok := rep.Variants[i].Stat("availability", results.All)
		require.True(t, ok)
		require.Equal(t, pt.Variant, rep.Variants[i].Variant)
		avail[[2]float64{pt.Values[0], pt.Values[1]}] = st.Mean
	}
	for _, rps := range []float64{100, 200, 300} {
		for n := 3.0; n <= 6; n++ {
			assert.GreaterOrEqual(t, avail[[2]float64{n, rps}]+0.005, avail[[2]float64{n - 1, rps}],
				"rps=%v: %v instances worse than %v; seeds %v", rps, n, n-1, rep.Seeds)
		}
	}
	// At 100 req/s, 2 instances run at utilisation 1: visibly worse than 3.
	assert.Less(t, avail[[2]float64{2, 100}], 0.97)
	assert.Greater(t, avail[[2]float64{3, 100}], 0.99)
}

// TestPhaseWindows: a scenario's phases are results.PhasesOf over its
// faults: partition.yaml's During runs from the first cut (20 s) to the
// end of the second (70 s), gap included, and After to the end (90 s).
func TestPhaseWindows(t *testing.T) {
	sc, err := scenarios.Load("partition")
	require.NoError(t, err)
	w := sc.PhaseWindows()
	assert.Equal(t, results.PhaseWindows{Load: 90 * time.Second, During: results.Window{Start: 20 * time.Second, End: 70 * time.Second}}, w)
	assert.Equal(t, results.After, w.Of(70*time.Second))
	sc.Faults = nil
	assert.Equal(t, results.Before, sc.PhaseWindows().Of(89*time.Second), "no faults: the whole run is before")
}

// TestValidationErrorsCarryTheirPath: behind the file and line, a bad
// field is a *field.Error with its full path from the scenario's root, so
// a program (or the loader itself) never reads the path back from text.
func TestValidationErrorsCarryTheirPath(t *testing.T) {
	base, err := os.ReadFile("balancer.yaml")
	require.NoError(t, err)
	for _, c := range []struct{ old, new, path, msg string }{
		{"      workers: 1", "      workers: -2", "topology.services[0].workers", "must be >= 1, got -2"},
		{"{kind: exponential, mean: 10ms}", "{kind: exponential, mean: -10ms}", "topology.services[0].service_time.mean", "must be in (0, +Inf), got -0.01"},
		{"  timeout: 1s", "  timeout: 1s\n  retry: {budget: {budget_percent: 150}}", "load[0].retry.budget.budget_percent", "must be in (0, 100] (percent of active requests), got 150"},
		{"    two_way: true", "    two_way: nope", "faults[0].two_way", `must be true or false, got "nope"`},
	} {
		_, err := scenarios.Parse("bad.yaml", []byte(strings.Replace(string(base), c.old, c.new, 1)))
		var fe *field.Error
		require.ErrorAs(t, err, &fe, "%v", err)
		assert.Equal(t, c.path, fe.Path)
		assert.Equal(t, c.msg, fe.Msg)
	}
}
