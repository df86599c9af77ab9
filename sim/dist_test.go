package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	"pgregory.net/rapid"
)

// distN is the number of draws behind each statistical check: the standard
// error of a mean is then sigma/1000, and the 1% critical value of the
// Kolmogorov–Smirnov statistic is 1.63/sqrt(n) = 0.00163.
const distN = 1_000_000

// distZ is how many standard errors a sample statistic may stray from its
// analytical value. At 5 a correct implementation fails about once in
// 1.7 million checks; a wrong formula typically misses by hundreds.
const distZ = 5

// distKSCrit is the 1% critical value of the KS statistic for distN draws.
var distKSCrit = 1.63 / math.Sqrt(distN)

// newDistRand is the only source of randomness in these tests: PCG with a
// fixed stream word, so the seed alone names a sequence.
func newDistRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// distReplay goes into every failure message that involves randomness.
func distReplay(t *testing.T, seed uint64) string {
	return fmt.Sprintf("seed=%#x; replay: go test ./sim -run '^%s$' -count=1", seed, t.Name())
}

// distOK unwraps a constructor whose arguments the test knows are valid.
func distOK(d Dist, err error) Dist {
	if err != nil {
		panic(err)
	}
	return d
}

func distDraw(d Dist, seed uint64, n int) []float64 {
	r := newDistRand(seed)
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = d.Sample(r)
	}
	return xs
}

// distTruth is a distribution together with textbook facts about it,
// written from the formulas, never from the implementation.
type distTruth struct {
	name     string
	seed     uint64
	d        Dist
	mean     float64                 // analytical mean
	variance float64                 // analytical variance, +Inf when infinite
	cdf      func(x float64) float64 // exact CDF; nil for discrete distributions
}

func distNormalCDF(mean, stddev float64) func(float64) float64 {
	return func(x float64) float64 { return 0.5 * (1 + math.Erf((x-mean)/(stddev*math.Sqrt2))) }
}

func distLogNormalCDF(mu, sigma float64) func(float64) float64 {
	normal := distNormalCDF(mu, sigma)
	return func(x float64) float64 {
		if x <= 0 {
			return 0
		}
		return normal(math.Log(x))
	}
}

func distParetoCDF(xm, alpha float64) func(float64) float64 {
	return func(x float64) float64 {
		if x < xm {
			return 0
		}
		return 1 - math.Pow(xm/x, alpha)
	}
}

func distUniformCDF(lo, hi float64) func(float64) float64 {
	return func(x float64) float64 { return min(max((x-lo)/(hi-lo), 0), 1) }
}

func distExpCDF(mean float64) func(float64) float64 {
	return func(x float64) float64 { return max(0, -math.Expm1(-x/mean)) }
}

// distTruths covers every kind. Derivations of the less obvious numbers:
//   - lognormal from mean m=0.1, stddev s=0.05: sigma² = ln(1+s²/m²) =
//     ln 1.25, mu = ln m - sigma²/2.
//   - pareto(xm, alpha): mean xm·alpha/(alpha-1); variance
//     xm²·alpha/((alpha-1)²(alpha-2)) for alpha > 2, else infinite.
//   - histogram edges {0,1,3,6}, counts {1,0,3}: P = {1/4, 0, 3/4};
//     E[X] = 1/4·0.5 + 3/4·4.5 = 3.5; E[X²] = Σ P·(a²+ab+b²)/3 =
//     1/4·1/3 + 3/4·21 = 190/12; variance 190/12 - 12.25 = 43/12.
//   - mixture 3:exponential(1), 1:uniform(10,20): E[X] = 3/4·1 + 1/4·15 =
//     4.5; E[X²] = 3/4·2 + 1/4·(100/12 + 225) = 59.8333…; variance 475/12.
//   - empirical {1,2,2,7,-3}: E[X] = 9/5; E[X²] = 67/5; variance 10.16.
func distTruths() []distTruth {
	lnS2 := math.Log(1.25)
	lnMu := math.Log(0.1) - lnS2/2
	return []distTruth{
		{"constant", 0x01, distOK(NewConstant(3.5)), 3.5, 0, nil},
		{"uniform", 0x02, distOK(NewUniform(-2, 6)), 2, 64.0 / 12, distUniformCDF(-2, 6)},
		{"exponential", 0x03, distOK(NewExponential(0.01)), 0.01, 1e-4, distExpCDF(0.01)},
		{"normal", 0x04, distOK(NewNormal(5, 2)), 5, 4, distNormalCDF(5, 2)},
		{"lognormal_mu_sigma", 0x05, distOK(NewLogNormal(-2, 0.5)),
			math.Exp(-2 + 0.125), math.Expm1(0.25) * math.Exp(-4+0.25), distLogNormalCDF(-2, 0.5)},
		{"lognormal_mean_stddev", 0x06, distOK(NewLogNormalMeanStd(0.1, 0.05)),
			0.1, 0.0025, distLogNormalCDF(lnMu, math.Sqrt(lnS2))},
		{"pareto_alpha5", 0x07, distOK(NewPareto(2, 5)), 2.5, 4.0 * 5 / (16 * 3), distParetoCDF(2, 5)},
		{"pareto_alpha1.5", 0x08, distOK(NewPareto(1, 1.5)), 3, math.Inf(1), distParetoCDF(1, 1.5)},
		{"histogram", 0x09, distOK(NewHistogram([]float64{0, 1, 3, 6}, []float64{1, 0, 3})),
			3.5, 43.0 / 12, distHistogramCDF},
		{"mixture", 0x0a, distOK(NewMixture([]float64{3, 1},
			[]Dist{distOK(NewExponential(1)), distOK(NewUniform(10, 20))})),
			4.5, 475.0 / 12, distMixtureCDF},
		{"empirical", 0x0b, distOK(NewEmpirical([]float64{1, 2, 2, 7, -3})), 1.8, 10.16, nil},
	}
}

// distHistogramCDF is the CDF of the histogram case: linear within a bin,
// flat across the empty bin [1, 3].
func distHistogramCDF(x float64) float64 {
	switch {
	case x < 0:
		return 0
	case x < 1:
		return 0.25 * x
	case x < 3:
		return 0.25
	case x < 6:
		return 0.25 + 0.75*(x-3)/3
	}
	return 1
}

func distMixtureCDF(x float64) float64 {
	return 0.75*distExpCDF(1)(x) + 0.25*distUniformCDF(10, 20)(x)
}

// distKS is the Kolmogorov–Smirnov statistic of sorted samples against cdf.
func distKS(sorted []float64, cdf func(float64) float64) float64 {
	n := float64(len(sorted))
	var d float64
	for i, x := range sorted {
		f := cdf(x)
		d = max(d, f-float64(i)/n, float64(i+1)/n-f)
	}
	return d
}

// distMoments returns the sample mean, variance and fourth central moment.
func distMoments(xs []float64) (mean, variance, m4 float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		d := (x - mean) * (x - mean)
		variance += d
		m4 += d * d
	}
	return mean, variance / float64(len(xs)), m4 / float64(len(xs))
}

// TestDistMatchesTheory draws distN samples from every kind and compares
// the sample mean and variance with the analytical values, and the
// empirical CDF with the exact one (KS at the 1% level).
func TestDistMatchesTheory(t *testing.T) {
	for _, tc := range distTruths() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			why := distReplay(t, tc.seed)
			assert.InDelta(t, tc.mean, tc.d.Mean(), 1e-12*math.Abs(tc.mean), "Mean() of %v", tc.d)
			xs := distDraw(tc.d, tc.seed, distN)
			distCheckMoments(t, tc, xs, why)
			if tc.cdf != nil {
				slices.Sort(xs)
				d := distKS(xs, tc.cdf)
				t.Logf("%v: KS D=%.6f (1%% critical %.6f)", tc.d, d, distKSCrit)
				assert.Less(t, d, distKSCrit, "KS statistic of %v; %s", tc.d, why)
			}
		})
	}
}

// distCheckMoments tests the sample mean with the analytical standard
// error, and the sample variance with the standard error of a variance,
// sqrt((m4 - s⁴)/n). Infinite variance skips both: the central limit
// theorem does not hold, so only the KS test applies.
func distCheckMoments(t *testing.T, tc distTruth, xs []float64, why string) {
	if math.IsInf(tc.variance, 1) {
		return
	}
	mean, variance, m4 := distMoments(xs)
	n := float64(len(xs))
	seMean := math.Sqrt(tc.variance / n)
	seVar := math.Sqrt(math.Max(m4-variance*variance, 0) / n)
	t.Logf("%v: mean %.6g (z=%+.2f), variance %.6g (z=%+.2f)", tc.d,
		mean, distZScore(mean, tc.mean, seMean), variance, distZScore(variance, tc.variance, seVar))
	assert.InDelta(t, tc.mean, mean, distZ*seMean, "sample mean of %v; %s", tc.d, why)
	assert.InDelta(t, tc.variance, variance, distZ*seVar+1e-12*tc.variance, "sample variance of %v; %s", tc.d, why)
}

func distZScore(got, want, se float64) float64 {
	if se == 0 {
		return 0
	}
	return (got - want) / se
}

// TestDistExponentialQuantiles checks the median (mean·ln 2) and the 99th
// percentile (mean·ln 100). The standard error of the p-quantile of an
// exponential is mean·sqrt(p/((1-p)·n)).
func TestDistExponentialQuantiles(t *testing.T) {
	const seed, mean = 0x51, 0.01
	why := distReplay(t, seed)
	xs := distDraw(distOK(NewExponential(mean)), seed, distN)
	slices.Sort(xs)
	for _, q := range []struct{ p, want float64 }{{0.5, mean * math.Ln2}, {0.99, mean * math.Log(100)}} {
		got := xs[int(q.p*distN)]
		se := mean * math.Sqrt(q.p/((1-q.p)*distN))
		t.Logf("p%g: %.6g, want %.6g (z=%+.2f)", 100*q.p, got, q.want, (got-q.want)/se)
		assert.InDelta(t, q.want, got, distZ*se, "p%g of exponential(mean=%g); %s", 100*q.p, mean, why)
	}
}

// TestDistHistogramBinFrequencies checks that each bin is drawn in
// proportion to its count, that an empty bin is never drawn, and that no
// sample leaves [edges[0], edges[last]].
func TestDistHistogramBinFrequencies(t *testing.T) {
	const seed = 0x61
	why := distReplay(t, seed)
	edges := []float64{-1, 0.5, 1, 4, 4.1, 10}
	counts := []float64{2, 0, 5, 1, 2}
	hits := make([]float64, len(counts))
	for _, x := range distDraw(distOK(NewHistogram(edges, counts)), seed, distN) {
		require.True(t, x >= edges[0] && x <= edges[len(edges)-1], "sample %g outside [%g, %g]; %s", x, edges[0], edges[len(edges)-1], why)
		hits[distBinOf(edges, x)]++
	}
	for i, c := range counts {
		p := c / 10
		se := math.Sqrt(p * (1 - p) / distN)
		assert.InDelta(t, p, hits[i]/distN, distZ*se, "frequency of bin %d [%g, %g); %s", i, edges[i], edges[i+1], why)
	}
	assert.Zero(t, hits[1], "draws from the empty bin; %s", why)
}

// distBinOf returns the bin holding x, counting the last edge in the last bin.
func distBinOf(edges []float64, x float64) int {
	for i := 1; i < len(edges)-1; i++ {
		if x < edges[i] {
			return i - 1
		}
	}
	return len(edges) - 2
}

// TestDistEmpiricalFrequencies checks that each recorded sample is drawn
// with probability 1/len (duplicates add up) and that the constructor
// copies its input.
func TestDistEmpiricalFrequencies(t *testing.T) {
	const seed = 0x71
	why := distReplay(t, seed)
	samples := []float64{1, 2, 2, 7, -3}
	d := distOK(NewEmpirical(samples))
	samples[0] = 1000 // must not affect d
	hits := map[float64]float64{}
	for _, x := range distDraw(d, seed, distN) {
		hits[x]++
	}
	want := map[float64]float64{1: 0.2, 2: 0.4, 7: 0.2, -3: 0.2}
	require.Len(t, hits, len(want), "drawn values %v; %s", hits, why)
	for v, p := range want {
		se := math.Sqrt(p * (1 - p) / distN)
		assert.InDelta(t, p, hits[v]/distN, distZ*se, "frequency of %g; %s", v, why)
	}
	assert.Equal(t, 1.8, d.Mean())
}

// TestDistEmpiricalMean checks the mean where a plain sum would overflow
// or lose the small values.
func TestDistEmpiricalMean(t *testing.T) {
	big := math.MaxFloat64
	for _, tc := range []struct {
		samples []float64
		want    float64
	}{
		{[]float64{big, big}, big},
		{[]float64{big, -big}, 0},
		{[]float64{big, big, -big}, big / 3},
		{[]float64{1e16, 1, -1e16, 1}, 0.5}, // naive summation gives 0
		{[]float64{-2.5}, -2.5},
	} {
		got := distOK(NewEmpirical(tc.samples)).Mean()
		assert.InDelta(t, tc.want, got, 1e-15*math.Max(1, math.Abs(tc.want)), "%v", tc.samples)
	}
}

// TestDistMixtureMean checks that a mixture's mean is the weighted mean of
// its components, that a zero weight silences even an infinite mean, and
// that a positive weight on one makes the mixture's mean infinite.
func TestDistMixtureMean(t *testing.T) {
	exp2 := distOK(NewExponential(2))
	normal10 := distOK(NewNormal(10, 1))
	heavy := distOK(NewPareto(1, 0.5))
	tests := []struct {
		name    string
		weights []float64
		want    float64
	}{
		{"weighted", []float64{1, 3, 0}, 0.25*2 + 0.75*10},
		{"unnormalized weights", []float64{10, 30, 0}, 0.25*2 + 0.75*10},
		{"single", []float64{0, 5, 0}, 10},
		{"infinite component", []float64{1, 3, 1e-9}, math.Inf(1)},
	}
	for _, tc := range tests {
		d := distOK(NewMixture(tc.weights, []Dist{exp2, normal10, heavy}))
		assert.InDelta(t, tc.want, d.Mean(), 1e-12, "%s: %v", tc.name, d)
		if math.IsInf(tc.want, 1) {
			assert.True(t, math.IsInf(d.Mean(), 1), "%s: %v", tc.name, d)
		}
	}
}

// TestDistParetoMean checks Mean against xm·alpha/(alpha-1), which is
// infinite for alpha <= 1.
func TestDistParetoMean(t *testing.T) {
	for _, tc := range []struct{ xm, alpha, want float64 }{
		{1, 0.5, math.Inf(1)},
		{3, 1, math.Inf(1)},
		{2, 1.5, 6},
		{0.1, 3, 0.15},
	} {
		got := distOK(NewPareto(tc.xm, tc.alpha)).Mean()
		if math.IsInf(tc.want, 1) {
			assert.True(t, math.IsInf(got, 1), "pareto(xm=%g, alpha=%g).Mean() = %g", tc.xm, tc.alpha, got)
			continue
		}
		assert.InEpsilon(t, tc.want, got, 1e-15, "pareto(xm=%g, alpha=%g)", tc.xm, tc.alpha)
	}
}

// TestDistLogNormalMeanStdMean checks that a lognormal built from its
// moments reports exactly the requested mean, including at extremes where
// (stddev/mean)² overflows.
func TestDistLogNormalMeanStdMean(t *testing.T) {
	for _, tc := range []struct{ mean, stddev float64 }{
		{0.1, 0.05}, {1, 0}, {1, 1e200}, {1e-300, 1e300}, {5, 1e-10},
	} {
		const seed = 0xa1
		d := distOK(NewLogNormalMeanStd(tc.mean, tc.stddev))
		assert.Equal(t, tc.mean, d.Mean(), "%v", d)
		for _, x := range distDraw(d, seed, 100) {
			require.False(t, math.IsNaN(x), "%v sampled NaN; %s", d, distReplay(t, seed))
		}
	}
}

// TestDistString pins the descriptions that appear in reports and logs.
func TestDistString(t *testing.T) {
	tests := []struct {
		d    Dist
		want string
	}{
		{distOK(NewConstant(0.5)), "constant(value=0.5)"},
		{distOK(NewUniform(-1, 2.5)), "uniform(min=-1, max=2.5)"},
		{distOK(NewExponential(0.01)), "exponential(mean=0.01)"},
		{distOK(NewNormal(1, 0.25)), "normal(mean=1, stddev=0.25)"},
		{distOK(NewLogNormal(-3, 0.5)), "lognormal(mu=-3, sigma=0.5)"},
		{distOK(NewLogNormalMeanStd(0.02, 0.01)), "lognormal(mean=0.02, stddev=0.01)"},
		{distOK(NewPareto(0.001, 1.5)), "pareto(xm=0.001, alpha=1.5)"},
		{distOK(NewEmpirical([]float64{1, 2, 6})), "empirical(n=3, mean=3)"},
		{distOK(NewHistogram([]float64{0, 1, 3}, []float64{1, 1})), "histogram(bins=2, min=0, max=3, mean=1.25)"},
		{distOK(NewMixture([]float64{9, 1}, []Dist{distOK(NewExponential(0.01)), distOK(NewConstant(2))})),
			"mixture(9: exponential(mean=0.01), 1: constant(value=2))"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, tc.d.String())
	}
}

// TestDistConstructorErrors checks that every documented bad input is
// rejected with a message naming the distribution, the parameter, the
// allowed range and the value received, and that it wraps ErrParam.
func TestDistConstructorErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	one := distOK(NewConstant(1))
	tests := []struct {
		got  func() (Dist, error)
		want string
	}{
		{func() (Dist, error) { return NewConstant(nan) }, "constant: value must be finite, got NaN"},
		{func() (Dist, error) { return NewConstant(-inf) }, "constant: value must be finite, got -Inf"},
		{func() (Dist, error) { return NewUniform(nan, 1) }, "uniform: min must be finite, got NaN"},
		{func() (Dist, error) { return NewUniform(0, inf) }, "uniform: max must be finite, got +Inf"},
		{func() (Dist, error) { return NewUniform(3, 2) }, "uniform: max must be >= min (3), got 2"},
		{func() (Dist, error) { return NewExponential(-1) }, "exponential: mean must be in (0, +Inf), got -1"},
		{func() (Dist, error) { return NewExponential(0) }, "exponential: mean must be in (0, +Inf), got 0"},
		{func() (Dist, error) { return NewExponential(inf) }, "exponential: mean must be in (0, +Inf), got +Inf"},
		{func() (Dist, error) { return NewExponential(nan) }, "exponential: mean must be in (0, +Inf), got NaN"},
		{func() (Dist, error) { return NewNormal(inf, 1) }, "normal: mean must be finite, got +Inf"},
		{func() (Dist, error) { return NewNormal(0, -1) }, "normal: stddev must be in [0, +Inf), got -1"},
		{func() (Dist, error) { return NewNormal(0, nan) }, "normal: stddev must be in [0, +Inf), got NaN"},
		{func() (Dist, error) { return NewLogNormal(nan, 1) }, "lognormal: mu must be finite, got NaN"},
		{func() (Dist, error) { return NewLogNormal(0, -0.5) }, "lognormal: sigma must be in [0, +Inf), got -0.5"},
		{func() (Dist, error) { return NewLogNormal(0, inf) }, "lognormal: sigma must be in [0, +Inf), got +Inf"},
		{func() (Dist, error) { return NewLogNormalMeanStd(0, 1) }, "lognormal: mean must be in (0, +Inf), got 0"},
		{func() (Dist, error) { return NewLogNormalMeanStd(inf, 1) }, "lognormal: mean must be in (0, +Inf), got +Inf"},
		{func() (Dist, error) { return NewLogNormalMeanStd(1, -1) }, "lognormal: stddev must be in [0, +Inf), got -1"},
		{func() (Dist, error) { return NewPareto(0, 2) }, "pareto: xm must be in (0, +Inf), got 0"},
		{func() (Dist, error) { return NewPareto(1, -2) }, "pareto: alpha must be in (0, +Inf), got -2"},
		{func() (Dist, error) { return NewPareto(1, inf) }, "pareto: alpha must be in (0, +Inf), got +Inf"},
		{func() (Dist, error) { return NewEmpirical(nil) }, "empirical: samples must have at least 1 entry, got 0"},
		{func() (Dist, error) { return NewEmpirical([]float64{1, 2, nan}) }, "empirical: samples[2] must be finite, got NaN"},
		{func() (Dist, error) { return NewHistogram([]float64{0}, nil) }, "histogram: counts must have at least 1 entry, got 0"},
		{func() (Dist, error) { return NewHistogram([]float64{0, 1}, []float64{1, 1}) },
			"histogram: edges must have one entry more than counts (3), got 2"},
		{func() (Dist, error) { return NewHistogram([]float64{0, 1, 5, 5}, []float64{1, 1, 1}) },
			"histogram: edges[3] must be > edges[2] (5), got 5"},
		{func() (Dist, error) { return NewHistogram([]float64{0, 2, 1}, []float64{1, 1}) },
			"histogram: edges[2] must be > edges[1] (2), got 1"},
		{func() (Dist, error) { return NewHistogram([]float64{-inf, 1}, []float64{1}) },
			"histogram: edges[0] must be finite, got -Inf"},
		{func() (Dist, error) { return NewHistogram([]float64{0, nan, 2}, []float64{1, 1}) },
			"histogram: edges[1] must be finite, got NaN"},
		{func() (Dist, error) { return NewHistogram([]float64{0, 1, 2}, []float64{1, -1}) },
			"histogram: counts[1] must be in [0, +Inf), got -1"},
		{func() (Dist, error) { return NewHistogram([]float64{0, 1, 2}, []float64{inf, 1}) },
			"histogram: counts[0] must be in [0, +Inf), got +Inf"},
		{func() (Dist, error) { return NewHistogram([]float64{0, 1, 2}, []float64{0, 0}) },
			"histogram: counts must have a positive sum, got 0"},
		{func() (Dist, error) { return NewMixture(nil, nil) }, "mixture: components must have at least 1 entry, got 0"},
		{func() (Dist, error) { return NewMixture([]float64{1}, []Dist{one, one}) },
			"mixture: weights must have one entry per component (2), got 1"},
		{func() (Dist, error) { return NewMixture([]float64{1, 1}, []Dist{one, nil}) },
			"mixture: components[1] must be non-nil, got nil"},
		{func() (Dist, error) { return NewMixture([]float64{1, -0.5}, []Dist{one, one}) },
			"mixture: weights[1] must be in [0, +Inf), got -0.5"},
		{func() (Dist, error) { return NewMixture([]float64{nan, 1}, []Dist{one, one}) },
			"mixture: weights[0] must be in [0, +Inf), got NaN"},
		{func() (Dist, error) { return NewMixture([]float64{0, 0}, []Dist{one, one}) },
			"mixture: weights must have a positive sum, got 0"},
	}
	for _, tc := range tests {
		d, err := tc.got()
		require.Error(t, err, "want %q", tc.want)
		assert.Nil(t, d, tc.want)
		assert.EqualError(t, err, tc.want)
		assert.ErrorIs(t, err, ErrParam, tc.want)
	}
}

// TestDistSpecBuild checks that every kind built from a spec equals the
// same distribution built by its constructor (same description, same mean,
// same draws for the same seed), and survives a JSON round trip.
func TestDistSpecBuild(t *testing.T) {
	const seed = 0x81
	tests := []struct {
		spec DistSpec
		want Dist
	}{
		{DistSpec{Kind: "constant", Value: 0.25}, distOK(NewConstant(0.25))},
		{DistSpec{Kind: "constant"}, distOK(NewConstant(0))},
		{DistSpec{Kind: "uniform", Min: 0.1, Max: 0.3}, distOK(NewUniform(0.1, 0.3))},
		{DistSpec{Kind: "exponential", Mean: 0.01}, distOK(NewExponential(0.01))},
		{DistSpec{Kind: "normal", Mean: 1, Stddev: 0.1}, distOK(NewNormal(1, 0.1))},
		{DistSpec{Kind: "lognormal", Mean: 0.02, Stddev: 0.01}, distOK(NewLogNormalMeanStd(0.02, 0.01))},
		{DistSpec{Kind: "lognormal", Mu: -4, Sigma: 0.5}, distOK(NewLogNormal(-4, 0.5))},
		{DistSpec{Kind: "pareto", Scale: 0.001, Shape: 1.2}, distOK(NewPareto(0.001, 1.2))},
		{DistSpec{Kind: "empirical", Samples: []float64{0.1, 0.2, 0.4}}, distOK(NewEmpirical([]float64{0.1, 0.2, 0.4}))},
		{DistSpec{Kind: "histogram", Edges: []float64{0, 1, 2}, Counts: []float64{3, 1}},
			distOK(NewHistogram([]float64{0, 1, 2}, []float64{3, 1}))},
		{DistSpec{Kind: "mixture", Weights: []float64{0.9, 0.1}, Of: []DistSpec{
			{Kind: "exponential", Mean: 0.01},
			{Kind: "mixture", Weights: []float64{1}, Of: []DistSpec{{Kind: "pareto", Scale: 1, Shape: 2}}},
		}}, distOK(NewMixture([]float64{0.9, 0.1}, []Dist{
			distOK(NewExponential(0.01)),
			distOK(NewMixture([]float64{1}, []Dist{distOK(NewPareto(1, 2))})),
		}))},
	}
	for _, tc := range tests {
		got, err := tc.spec.Build()
		require.NoError(t, err, "%+v", tc.spec)
		distRequireSame(t, tc.want, got, seed)

		b, err := json.Marshal(tc.spec)
		require.NoError(t, err)
		var back DistSpec
		require.NoError(t, json.Unmarshal(b, &back), "%s", b)
		assert.Equal(t, tc.spec, back, "JSON round trip of %s", b)
	}
}

// distRequireSame checks two distributions agree on description, mean and
// the first draws from one seed.
func distRequireSame(t *testing.T, want, got Dist, seed uint64) {
	t.Helper()
	require.Equal(t, want.String(), got.String())
	assert.Equal(t, want.Mean(), got.Mean(), "%v", want)
	assert.Equal(t, distDraw(want, seed, 100), distDraw(got, seed, 100), "draws of %v; %s", want, distReplay(t, seed))
}

// TestDistSpecYAML checks the field names a scenario file uses.
func TestDistSpecYAML(t *testing.T) {
	const doc = `
kind: mixture
weights: [0.9, 0.1]
of:
  - kind: lognormal
    mean: 0.01
    stddev: 0.005
  - kind: pareto
    scale: 0.05
    shape: 1.5
`
	var s DistSpec
	require.NoError(t, yaml.Unmarshal([]byte(doc), &s))
	d, err := s.Build()
	require.NoError(t, err)
	assert.Equal(t, "mixture(0.9: lognormal(mean=0.01, stddev=0.005), 0.1: pareto(xm=0.05, alpha=1.5))", d.String())
}

// TestDistSpecErrors checks that Build names the bad field by its path in
// the spec, using the spec's field names rather than the constructors'.
func TestDistSpecErrors(t *testing.T) {
	kinds := "constant, uniform, exponential, normal, lognormal, pareto, empirical, histogram, mixture"
	tests := []struct {
		spec DistSpec
		want string
	}{
		{DistSpec{Kind: "gamma"}, `kind must be one of ` + kinds + `, got "gamma"`},
		{DistSpec{}, `kind must be one of ` + kinds + `, got ""`},
		{DistSpec{Kind: "exponential"}, "mean must be in (0, +Inf), got 0"},
		{DistSpec{Kind: "uniform", Min: 2, Max: 1}, "max must be >= min (2), got 1"},
		{DistSpec{Kind: "pareto", Shape: 2}, "scale must be in (0, +Inf), got 0"},
		{DistSpec{Kind: "pareto", Scale: 1, Shape: -1}, "shape must be in (0, +Inf), got -1"},
		{DistSpec{Kind: "lognormal", Mean: -1}, "mean must be in (0, +Inf), got -1"},
		{DistSpec{Kind: "lognormal", Sigma: -1}, "sigma must be in [0, +Inf), got -1"},
		{DistSpec{Kind: "empirical"}, "samples must have at least 1 entry, got 0"},
		{DistSpec{Kind: "histogram", Edges: []float64{0, 1, 1}, Counts: []float64{1, 1}}, "edges[2] must be > edges[1] (1), got 1"},
		{DistSpec{Kind: "exponential", Mean: 1, Min: 2}, "min is not used by kind exponential (it uses mean)"},
		{DistSpec{Kind: "lognormal", Mean: 0.1, Sigma: 0.5},
			"sigma is not used by kind lognormal when mean is set (it uses mean, stddev)"},
		{DistSpec{Kind: "lognormal", Mu: 1, Stddev: 0.5},
			"stddev is not used by kind lognormal when mean is 0 (it uses mu, sigma)"},
		{DistSpec{Kind: "mixture", Weights: []float64{1}}, "of must have at least 1 entry, got 0"},
		{DistSpec{Kind: "mixture", Weights: []float64{1}, Of: []DistSpec{{Kind: "constant"}, {Kind: "constant"}}},
			"weights must have one entry per component (2), got 1"},
		{DistSpec{Kind: "mixture", Weights: []float64{1, -2}, Of: []DistSpec{{Kind: "constant"}, {Kind: "constant"}}},
			"weights[1] must be in [0, +Inf), got -2"},
		{DistSpec{Kind: "mixture", Weights: []float64{1, 1}, Of: []DistSpec{
			{Kind: "exponential", Mean: 1}, {Kind: "exponential"}}}, "of[1].mean must be in (0, +Inf), got 0"},
		{DistSpec{Kind: "mixture", Weights: []float64{1}, Of: []DistSpec{{Kind: "pareto", Scale: 1}}},
			"of[0].shape must be in (0, +Inf), got 0"},
		{DistSpec{Kind: "mixture", Weights: []float64{1}, Of: []DistSpec{
			{Kind: "mixture", Weights: []float64{1, 1}, Of: []DistSpec{{Kind: "constant"}, {Kind: "gama"}}}}},
			`of[0].of[1].kind must be one of ` + kinds + `, got "gama"`},
		{DistSpec{Kind: "mixture", Weights: []float64{1}, Of: []DistSpec{{Kind: "constant", Max: 3}}},
			"of[0].max is not used by kind constant (it uses value)"},
		{DistSpec{Kind: "constant", Value: 1, Of: []DistSpec{{Kind: "constant"}}},
			"of is not used by kind constant (it uses value)"},
	}
	for _, tc := range tests {
		d, err := tc.spec.Build()
		require.Error(t, err, "%+v", tc.spec)
		assert.Nil(t, d, tc.want)
		assert.EqualError(t, err, tc.want)
		assert.ErrorIs(t, err, ErrParam, tc.want)
	}
}

// TestDistSpecCoversEveryKind keeps the kinds an error lists in step with
// the kinds Build accepts: each listed kind must get past the kind check.
func TestDistSpecCoversEveryKind(t *testing.T) {
	for _, k := range distKinds {
		_, err := DistSpec{Kind: k}.Build()
		if err != nil {
			assert.NotContains(t, err.Error(), "kind must be one of", "kind %q", k)
		}
	}
}

// TestDistSampleDoesNotAllocate guards the hot path: a simulation draws
// once per request, so any allocation would show up in every benchmark.
func TestDistSampleDoesNotAllocate(t *testing.T) {
	r := newDistRand(0x91)
	var sink float64
	for _, tc := range distTruths() {
		allocs := testing.AllocsPerRun(1000, func() { sink += tc.d.Sample(r) })
		assert.Zero(t, allocs, "%v allocates", tc.d)
	}
	_ = sink
}

// TestDistSameSeedSameSequence is what makes runs replayable: two streams
// with one seed give identical draws, and another seed gives other draws.
// Since the global source is seeded at random, a Sample that used it
// would fail here.
func TestDistSameSeedSameSequence(t *testing.T) {
	for _, tc := range distTruths() {
		a, b := distDraw(tc.d, tc.seed, 1000), distDraw(tc.d, tc.seed, 1000)
		require.Equal(t, a, b, "%v; %s", tc.d, distReplay(t, tc.seed))
		if tc.variance > 0 {
			c := distDraw(tc.d, tc.seed+1, 1000)
			assert.NotEqual(t, a, c, "%v; seeds %#x and %#x give the same draws", tc.d, tc.seed, tc.seed+1)
		}
	}
}

// TestDistSamplesStayInSupport is a property: uniform draws lie in
// [min, max] and histogram draws in [edges[0], edges[last]] and never
// strictly inside an empty bin, for any finite bounds, including spans
// near ±MaxFloat64 where max-min overflows.
func TestDistSamplesStayInSupport(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		r := newDistRand(seed)
		lo := rapid.Float64().Draw(rt, "min")
		hi := rapid.Float64Min(lo).Draw(rt, "max")
		u := distOK(NewUniform(lo, hi))
		for range 50 {
			if x := u.Sample(r); !(x >= lo && x <= hi) {
				rt.Fatalf("%v sampled %g; seed=%#x", u, x, seed)
			}
		}
		edges := rapid.SliceOfNDistinct(rapid.Float64(), 2, 8, func(x float64) float64 { return x }).Draw(rt, "edges")
		slices.Sort(edges)
		counts := rapid.SliceOfN(rapid.OneOf(rapid.Just(0.0), rapid.Float64Range(0, math.MaxFloat64)),
			len(edges)-1, len(edges)-1).Draw(rt, "counts")
		h, err := NewHistogram(edges, counts)
		if slices.Max(counts) == 0 {
			require.ErrorIs(rt, err, ErrParam)
			return
		}
		require.NoError(rt, err)
		for range 50 {
			distCheckHistogramDraw(rt, h, edges, counts, h.Sample(r), seed)
		}
	})
}

func distCheckHistogramDraw(rt *rapid.T, h Dist, edges, counts []float64, x float64, seed uint64) {
	if !(x >= edges[0] && x <= edges[len(edges)-1]) {
		rt.Fatalf("%v sampled %g outside the edges; seed=%#x", h, x, seed)
	}
	for i, c := range counts {
		if c == 0 && x > edges[i] && x < edges[i+1] {
			rt.Fatalf("%v sampled %g inside empty bin %d; seed=%#x", h, x, i, seed)
		}
	}
}

// TestDistConstructorsRejectOrSample is a property over arbitrary
// parameters, NaN and infinities included: a constructor either returns
// an error that wraps ErrParam and starts with the distribution's name, or
// a distribution whose Mean and draws are never NaN.
func TestDistConstructorsRejectOrSample(t *testing.T) {
	anyFloat := rapid.OneOf(rapid.Float64(), rapid.SampledFrom([]float64{
		0, math.Copysign(0, -1), 1, -1, math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64,
	}))
	ctors := []struct {
		dist string
		new  func(a, b float64) (Dist, error)
	}{
		{"constant", func(a, _ float64) (Dist, error) { return NewConstant(a) }},
		{"uniform", NewUniform},
		{"exponential", func(a, _ float64) (Dist, error) { return NewExponential(a) }},
		{"normal", NewNormal},
		{"lognormal", NewLogNormal},
		{"lognormal", NewLogNormalMeanStd},
		{"pareto", NewPareto},
		{"empirical", func(a, b float64) (Dist, error) { return NewEmpirical([]float64{a, b}) }},
	}
	rapid.Check(t, func(rt *rapid.T) {
		c := ctors[rapid.IntRange(0, len(ctors)-1).Draw(rt, "constructor")]
		a, b := anyFloat.Draw(rt, "a"), anyFloat.Draw(rt, "b")
		d, err := c.new(a, b)
		if err != nil {
			require.ErrorIs(rt, err, ErrParam)
			require.True(rt, strings.HasPrefix(err.Error(), c.dist+": "), err.Error())
			return
		}
		require.False(rt, math.IsNaN(d.Mean()), "%v has NaN mean", d)
		seed := rapid.Uint64().Draw(rt, "seed")
		r := newDistRand(seed)
		for range 20 {
			if x := d.Sample(r); math.IsNaN(x) {
				rt.Fatalf("%v sampled NaN; seed=%#x", d, seed)
			}
		}
	})
}

// TestDistErrParamIsDistinct makes sure ErrParam matches only parameter
// errors, so callers can branch on it.
func TestDistErrParamIsDistinct(t *testing.T) {
	assert.False(t, errors.Is(errors.New("invalid distribution parameter"), ErrParam))
	_, err := NewExponential(-1)
	assert.True(t, errors.Is(fmt.Errorf("services[0].latency: %w", err), ErrParam))
}

// TestDistSearchCDF pins the bin choice at exact boundaries: a bin of
// probability zero is never chosen, even when u equals its cumulative
// probability (a 2^-53 event that sampling alone would never reveal).
func TestDistSearchCDF(t *testing.T) {
	cdf := []float64{0, 0.5, 0.5, 1} // bins 0 and 2 are empty
	for _, tc := range []struct {
		u    float64
		want int
	}{
		{0, 1}, {0.25, 1}, {0.5, 3}, {0.75, 3}, {math.Nextafter(1, 0), 3},
	} {
		assert.Equal(t, tc.want, searchCDF(cdf, tc.u), "u=%g", tc.u)
	}
	assert.Equal(t, 0, searchCDF([]float64{1}, 0.999), "single bin")
}

// TestDistBetween checks the mapping of [0, 1) onto [lo, hi] where
// hi-lo overflows, and that a zero-width interval gives lo exactly.
func TestDistBetween(t *testing.T) {
	top := math.Nextafter(1, 0)
	for _, tc := range []struct{ lo, hi, u, want float64 }{
		{-math.MaxFloat64, math.MaxFloat64, 0.5, 0},
		{-math.MaxFloat64, math.MaxFloat64, 0, -math.MaxFloat64},
		{0.1, 0.1, 0.7, 0.1},
		{-2, 6, 0.25, 0},
	} {
		assert.Equal(t, tc.want, between(tc.lo, tc.hi, tc.u), "between(%g, %g, %g)", tc.lo, tc.hi, tc.u)
	}
	x := between(-math.MaxFloat64, math.MaxFloat64, top)
	assert.True(t, x <= math.MaxFloat64 && x > 0, "between(-Max, Max, 1-ulp) = %g", x)
	// Near the subnormals, halving drops low bits and the sum overshoots hi
	// by an ulp unless clamped (found by a search over random bounds).
	lo, hi := 1.419785722914456e-308, 1.419785722914457e-308
	assert.LessOrEqual(t, between(lo, hi, 0.9999999999999407), hi)
}
