package scenarios_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/world"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// minimal is a valid scenario whose hypotheses the tests below replace;
// its runs come from a fixedEngine, never from the simulator.
const minimal = `
name: judged
duration: 10s
seeds: 1
topology:
  services:
    - {name: api, service_time: {kind: constant, value: 1ms}}
load:
  target: api
  open: {rps: 10}
`

// fixedEngine answers every run with the run its fields describe, so that
// the value a hypothesis judges is known exactly: availability and p99 in
// every phase come from avail and p99 (one value per seed), the model
// metric "lost_writes" from lost, and the during phase has no requests
// when emptyDuring is set.
type fixedEngine struct {
	avail, p99, lost []float64
	emptyDuring      bool
}

func (fixedEngine) Name() string { return "fixed" }

func (e fixedEngine) Run(_ context.Context, _ scenarios.Case, seed uint64) (results.Run, error) {
	i := int(seed-1) % len(e.avail)
	r := results.Run{Metrics: map[string]float64{"lost_writes": e.lost[i%len(e.lost)]}}
	for _, p := range results.Phases() {
		s := results.Summary{Phase: p, Requests: 100, Availability: e.avail[i], ErrorRate: 1 - e.avail[i]}
		s.Latency.P99 = e.p99[i%len(e.p99)]
		if p == results.During && e.emptyDuring {
			s = results.Summary{Phase: p, Availability: 1}
		}
		r.Phases = append(r.Phases, s)
	}
	return r, nil
}

// judge runs the minimal scenario on eng with the one hypothesis check
// and returns its verdict.
func judge(t *testing.T, eng fixedEngine, check string) results.Verdict {
	t.Helper()
	sc, err := scenarios.Parse("judged.yaml", []byte(minimal))
	require.NoError(t, err)
	sc.Expect = []scenarios.Expectation{{Check: check}}
	rep, err := scenarios.Execute(context.Background(), sc, eng, scenarios.Options{Seeds: len(eng.avail)})
	require.NoError(t, err, check)
	require.Len(t, rep.Verdicts, 1, check)
	return rep.Verdicts[0]
}

func one(x float64) []float64 { return []float64{x} }

// TestHypothesisEveryOperatorAroundItsTarget judges every operator with
// the measured value just below, exactly at and just above the target,
// for a ratio, a percentage, a latency in two units and a model metric:
// "availability >= 0.99" passes at 0.99 and fails at 0.9899.
func TestHypothesisEveryOperatorAroundItsTarget(t *testing.T) {
	// want[op] is the verdict below, at and above the target.
	want := map[string][3]bool{
		"<":  {true, false, false},
		"<=": {true, true, false},
		">":  {false, false, true},
		">=": {false, true, true},
		"==": {false, true, false},
		"!=": {true, false, true},
	}
	targets := []struct {
		metric, target  string
		below, at, abov float64
		engine          func(x float64) fixedEngine
	}{
		{"availability", "0.99", 0.9899, 0.99, 0.9901, func(x float64) fixedEngine {
			return fixedEngine{avail: one(x), p99: one(1), lost: one(0)}
		}},
		{"availability", "99%", 0.9899, 0.99, 0.9901, func(x float64) fixedEngine {
			return fixedEngine{avail: one(x), p99: one(1), lost: one(0)}
		}},
		{"p99", "800ms", 799.9, 800, 800.1, func(x float64) fixedEngine {
			return fixedEngine{avail: one(1), p99: one(x), lost: one(0)}
		}},
		{"p99", "0.8s", 799.9, 800, 800.1, func(x float64) fixedEngine {
			return fixedEngine{avail: one(1), p99: one(x), lost: one(0)}
		}},
		{"lost_writes", "0", -1, 0, 1, func(x float64) fixedEngine {
			return fixedEngine{avail: one(1), p99: one(1), lost: one(x)}
		}},
	}
	for _, tg := range targets {
		for _, op := range []string{"<", "<=", ">", ">=", "==", "!="} {
			check := fmt.Sprintf("%s %s %s", tg.metric, op, tg.target)
			for k, got := range []float64{tg.below, tg.at, tg.abov} {
				v := judge(t, tg.engine(got), check)
				assert.Equal(t, want[op][k], v.Pass, "%s with %s measured at %v", check, tg.metric, got)
				assert.Equal(t, got, v.Got, check)
				assert.Empty(t, v.Reason, check)
				assert.Equal(t, tg.metric, v.Metric, check)
				assert.Equal(t, op, v.Op, check)
			}
		}
	}
}

// TestHypothesisJudgesTheMeanOverSeeds: with two seeds at 0.75 and 1 the
// value judged is their mean, 0.875 (exact in binary), neither seed.
func TestHypothesisJudgesTheMeanOverSeeds(t *testing.T) {
	eng := fixedEngine{avail: []float64{0.75, 1}, p99: one(1), lost: one(0)}
	for check, pass := range map[string]bool{
		"availability >= 0.875": true,
		"availability > 0.875":  false,
		"availability <= 0.875": true,
		"availability < 0.875":  false,
	} {
		v := judge(t, eng, check)
		assert.Equal(t, pass, v.Pass, "%s on seeds at 0.75 and 1", check)
		assert.Equal(t, 0.875, v.Got, check)
		assert.Less(t, v.Lo, v.Got, "%s: two different seeds give an interval", check)
	}
}

// TestHypothesisThatCannotBeJudgedDoesNotPass: a NaN, a phase in which no
// request started and a metric the variant does not have are never a
// pass, whatever the operator (!= included, which NaN would satisfy), and
// the verdict says why.
func TestHypothesisThatCannotBeJudgedDoesNotPass(t *testing.T) {
	nan := fixedEngine{avail: one(1), p99: one(math.NaN()), lost: one(math.NaN())}
	empty := fixedEngine{avail: one(1), p99: one(1), lost: one(0), emptyDuring: true}
	cases := []struct {
		eng    fixedEngine
		check  string
		reason string
	}{
		{nan, "p99 != 5ms", "the metric is undefined (NaN)"},
		{nan, "p99 < 5ms", "the metric is undefined (NaN)"},
		{nan, "lost_writes != 1", "the metric is undefined (NaN)"},
		{nan, "lost_writes == 0", "the metric is undefined (NaN)"},
		{empty, "availability >= 0.99 during", "no requests started in phase during, so it cannot be judged"},
		{empty, "availability != 0 during", "no requests started in phase during, so it cannot be judged"},
		{empty, "p99 < 1s during", "no requests started in phase during, so it cannot be judged"},
		{empty, "stale_reads == 0", `no metric "stale_reads" in phase all for this variant`},
	}
	for _, c := range cases {
		v := judge(t, c.eng, c.check)
		assert.False(t, v.Pass, c.check)
		assert.Equal(t, c.reason, v.Reason, c.check)
	}
	// The same phase with requests is judged as usual.
	v := judge(t, fixedEngine{avail: one(1), p99: one(1), lost: one(0)}, "availability >= 0.99 during")
	assert.True(t, v.Pass)
	assert.Empty(t, v.Reason)
}

// TestHypothesisAppliesToItsVariantOnly: a hypothesis naming a variant is
// judged on that variant alone; one without applies to every variant.
func TestHypothesisAppliesToItsVariantOnly(t *testing.T) {
	sc, err := scenarios.Parse("judged.yaml", []byte(minimal+`variants:
  - name: a
  - name: b
    set: {load.timeout: 2s}
expect:
  - availability >= 0.99
  - {variant: b, check: p99 < 2ms}
`))
	require.NoError(t, err)
	rep, err := scenarios.Execute(context.Background(), sc, fixedEngine{avail: one(0.5), p99: one(1), lost: one(0)}, scenarios.Options{})
	require.NoError(t, err)
	var got []string
	for _, v := range rep.Verdicts {
		got = append(got, fmt.Sprintf("%s: %s: %v", v.Variant, v.Expr, v.Pass))
	}
	assert.Equal(t, []string{"a: availability >= 0.99: false", "b: availability >= 0.99: false", "b: p99 < 2ms: true"}, got)
	assert.False(t, rep.Passed())
}

// TestMeantToFailFixture runs testdata/meant-to-fail.yaml on the
// simulator as TestBuiltinScenarios runs a built-in: its hypotheses sit
// exactly on values a run without faults or queueing measures exactly
// (availability 1, no errors, every request answered), so each one meant
// to pass passes and each meant to fail fails. An evaluator that says
// pass to everything, or that judges at the boundary the wrong way, fails
// this test (cmd/simulate checks that the CLI exits 1 on it).
func TestMeantToFailFixture(t *testing.T) {
	sc, err := scenarios.Load("testdata/meant-to-fail.yaml")
	require.NoError(t, err)
	rep, err := scenarios.Execute(context.Background(), sc, world.Engine{}, scenarios.Options{})
	require.NoError(t, err)
	want := map[string]bool{
		"availability >= 1":       true,
		"availability <= 1":       true,
		"availability == 100%":    true,
		"errors == 0":             true,
		"timeouts <= 0":           true,
		"availability > 1":        false, // meant to fail
		"availability < 1":        false, // meant to fail
		"errors != 0":             false, // meant to fail
		"errors >= 1":             false, // meant to fail
		"availability >= 1 after": false, // meant to fail: no faults, no after phase with requests
	}
	require.Len(t, rep.Verdicts, len(want))
	for _, v := range rep.Verdicts {
		pass, ok := want[v.Expr]
		require.True(t, ok, "unexpected hypothesis %q", v.Expr)
		assert.Equal(t, pass, v.Pass, "%s: got %v %s; seeds %v", v.Expr, v.Got, v.Reason, rep.Seeds)
	}
	assert.False(t, rep.Passed())
}

// TestHypothesisOnTheConfidenceInterval: "~=" holds when the 95% interval
// over seeds contains the value, "within" when it lies inside the band;
// both need two seeds. p99 at 100 and 102 ms gives a mean of 101 ms and a
// t-interval of 101 ± 12.706 ms (one degree of freedom).
func TestHypothesisOnTheConfidenceInterval(t *testing.T) {
	eng := fixedEngine{avail: []float64{1, 1}, p99: []float64{100, 102}, lost: one(0)}
	v := judge(t, eng, "p99 ~= 101ms")
	require.True(t, v.Pass, v.Reason)
	assert.InDelta(t, 88.294, v.Lo, 0.01)
	assert.InDelta(t, 113.706, v.Hi, 0.01)
	for check, pass := range map[string]bool{
		"p99 ~= 88.3ms":             true,
		"p99 ~= 88.2ms":             false,
		"p99 ~= 0.1137s":            true,
		"p99 ~= 113.8ms":            false,
		"p99 within 101ms ± 12.8ms": true,
		"p99 within 101ms ± 12.6ms": false,
		"p99 within 101ms +- 13%":   true, // 13.13 ms
		"p99 within 101ms +/- 12%":  false,
		"p99 within 110ms ± 30ms":   true,
		"p99 within 120ms ± 10ms":   false, // the interval reaches below 110 ms
	} {
		v := judge(t, eng, check)
		assert.Equal(t, pass, v.Pass, "%s on an interval of %.3f..%.3f", check, v.Lo, v.Hi)
		assert.Empty(t, v.Reason, check)
	}

	v = judge(t, fixedEngine{avail: one(1), p99: one(100), lost: one(0)}, "p99 ~= 100ms")
	assert.False(t, v.Pass, "one seed has no interval")
	assert.Contains(t, v.Reason, "at least 2 seeds")
}

func TestHypothesisConfidenceFormsRejectMistakes(t *testing.T) {
	for check, msg := range map[string]string{
		"p99 ~= 5ms ± 1ms":           "~= takes no tolerance",
		"p99 within 5ms":             "within needs a tolerance",
		"p99 within 5 ± 1ms":         "is a latency: give the value a unit",
		"p99 within 5ms ± 1":         "is a latency: give the value a unit",
		"availability within 1 ± 2s": "is not a latency",
		"p99 ≈ 5ms":                  "must read",
	} {
		_, err := scenarios.ParseHypothesis(check)
		require.Error(t, err, check)
		assert.Contains(t, err.Error(), msg, check)
	}
	h, err := scenarios.ParseHypothesis("availability within 99% ± 0.5% during")
	require.NoError(t, err)
	assert.InDelta(t, 0.99, h.Value, 1e-12)
	assert.InDelta(t, 0.00495, h.Tol, 1e-12, "a relative tolerance is a share of the value")
	assert.Equal(t, results.During, h.Phase)
}

// TestHypothesisOnAMetricNoRunCanHaveIsBadInput: a misspelt metric, a
// ratio compared with a number it can never reach and a phase on a
// per-run metric are refused when the file is validated (exit 2), with
// the nearest names suggested, instead of failing the run (exit 1).
func TestHypothesisOnAMetricNoRunCanHaveIsBadInput(t *testing.T) {
	cases := map[string]string{
		"availabilty >= 0.98 during": `expect[0].check: no metric "availabilty" in this scenario; did you mean availability?`,
		"availability >= 99":         "availability is a share in [0, 1] (write 99% for a percentage)",
		"error_rate < -0.1":          "error_rate is a share in [0, 1]",
		"p99 > -5ms":                 "p99 is never negative",
		"lost_writes == 0 during":    "lost_writes is one number per run: it has no phase during",
		"p99_ms_during_apii < 5":     `no metric "p99_ms_during_apii"`,
		"retry_amplificaton < 2":     "did you mean retry_amplification?",
	}
	for check, msg := range cases {
		_, err := scenarios.Parse("judged.yaml", []byte(minimal+"expect: [\""+check+"\"]\n"))
		require.Error(t, err, check)
		assert.Contains(t, err.Error(), msg, check)
		assert.Contains(t, err.Error(), "judged.yaml:", check)
	}
	for _, ok := range []string{"availability >= 99%", "p99 < 800ms during", "stale_reads == 0", "net_lost >= 0"} {
		_, err := scenarios.Parse("judged.yaml", []byte(minimal+"expect: [\""+ok+"\"]\n"))
		assert.NoError(t, err, ok)
	}
}

// TestHypothesisConfidenceIntervalForms judges "~=" (the interval
// contains the value) with the value exactly on each end of the interval
// and one float step outside, and "within v ± tol" (the interval lies
// inside the band) with the band's edge exactly on the interval's farther
// end, and a nanosecond wider and narrower, in absolute and relative
// tolerance. Two seeds
// at 100 and 102 ms give a mean of 101 ms and a Student-t interval of
// about ±12.7 ms; one seed gives none, which is not a pass.
func TestHypothesisConfidenceIntervalForms(t *testing.T) {
	eng := fixedEngine{avail: []float64{1, 1}, p99: []float64{100, 102}, lost: one(0)}
	ref := judge(t, eng, "p99 < 1s")
	require.Equal(t, 101.0, ref.Got)
	lo, hi := ref.Lo, ref.Hi
	require.Less(t, lo, 101.0)
	require.Greater(t, hi, 101.0)
	ms := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) + "ms" }
	half := max(101-lo, hi-101)
	cases := []struct {
		check string
		pass  bool
	}{
		{"p99 ~= " + ms(lo), true},
		{"p99 ~= " + ms(hi), true},
		{"p99 ~= 101ms", true},
		{"p99 ~= " + ms(math.Nextafter(lo, 0)), false},
		{"p99 ~= " + ms(math.Nextafter(hi, 1000)), false},
		{"p99 within 101ms ± " + ms(half), true}, // one end exactly on the band's edge (both subtractions are exact)
		{"p99 within 101ms ± " + ms(half+1e-6), true},
		{"p99 within 101ms ± " + ms(half-1e-6), false},
		{"p99 within 101ms +- " + ms(half+1e-6), true},
		{"p99 within 101ms ± " + strconv.FormatFloat(100*(half+1e-6)/101, 'g', -1, 64) + "%", true},
		{"p99 within 101ms ± " + strconv.FormatFloat(100*(half-1e-6)/101, 'g', -1, 64) + "%", false},
		{"p99 within " + ms(lo+half+1e-6) + " ± " + ms(half), false}, // the band moved up past the interval's low end
	}
	for _, c := range cases {
		v := judge(t, eng, c.check)
		assert.Equal(t, c.pass, v.Pass, "%s with the interval %v..%v", c.check, lo, hi)
		assert.Empty(t, v.Reason, c.check)
	}
	v := judge(t, fixedEngine{avail: one(1), p99: one(101), lost: one(0)}, "p99 ~= 101ms")
	assert.False(t, v.Pass, "one seed has no interval")
	assert.Equal(t, "a confidence interval needs at least 2 seeds (-seeds 2 or more)", v.Reason)
}
