package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// Dist is a distribution of float64 values, such as a service time in
// seconds. Implementations are immutable once built, so one Dist may be
// shared by every entity that draws from it; each entity brings its own
// random stream.
type Dist interface {
	// Sample draws one value using only r: never the global source, never
	// the wall clock, and without allocating, because it runs once per
	// simulated request.
	Sample(r *rand.Rand) float64
	// Mean is the exact analytical mean, math.Inf(1) when it is infinite
	// (a Pareto with alpha <= 1), so capacity planning never relies on an
	// estimate from samples.
	Mean() float64
	// String describes the distribution and its parameters, e.g.
	// "exponential(mean=0.01)".
	String() string
}

// ErrParam is wrapped by every error that a constructor or DistSpec.Build
// returns, so callers can tell a bad distribution apart with errors.Is.
var ErrParam = errors.New("invalid distribution parameter")

// paramError says which parameter of which distribution is wrong. Its text
// is the whole message: ErrParam is reachable through Unwrap but is not
// appended, so the message stays one readable sentence.
type paramError struct {
	dist  string // "exponential"; empty once DistSpec.Build has made it a field path
	path  string // prefix of nested specs, e.g. "of[1]."
	name  string // "mean", "edges"
	index int    // element of a slice parameter, or -1
	rule  string // "must be in (0, +Inf), got -1"
}

func (e *paramError) Error() string {
	s := e.Field() + " " + e.rule
	if e.dist != "" {
		s = e.dist + ": " + s
	}
	return s
}

// Unwrap makes errors.Is(err, ErrParam) true.
func (e *paramError) Unwrap() error { return ErrParam }

// Field is the parameter's path in the spec, e.g. "of[1].mean", so that a
// caller can place the error under its own field path without reading the
// message (field.Fielder).
func (e *paramError) Field() string {
	s := e.path + e.name
	if e.index >= 0 {
		s += "[" + strconv.Itoa(e.index) + "]"
	}
	return s
}

// Rule says what is wrong with the parameter: "must be in (0, +Inf), got 0".
func (e *paramError) Rule() string { return e.rule }

// distName names the distribution whose constructor is checking its
// arguments, so that every message starts with it.
type distName string

// distParam is one parameter (or one element of a slice parameter) being
// checked; it is a value, so checking a long slice allocates nothing until
// an element fails.
type distParam struct {
	dist  distName
	name  string
	index int
}

func (d distName) param(name string) distParam { return distParam{d, name, -1} }

func (d distName) elem(name string, i int) distParam { return distParam{d, name, i} }

func (p distParam) fail(format string, args ...any) error {
	return &paramError{dist: string(p.dist), name: p.name, index: p.index, rule: fmt.Sprintf(format, args...)}
}

func (p distParam) finite(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return p.fail("must be finite, got %g", v)
	}
	return nil
}

// positive accepts (0, +Inf); the negated comparison also rejects NaN.
func (p distParam) positive(v float64) error {
	if !(v > 0 && v < math.Inf(1)) {
		return p.fail("must be in (0, +Inf), got %g", v)
	}
	return nil
}

// nonNegative accepts [0, +Inf); the negated comparison also rejects NaN.
func (p distParam) nonNegative(v float64) error {
	if !(v >= 0 && v < math.Inf(1)) {
		return p.fail("must be in [0, +Inf), got %g", v)
	}
	return nil
}

// firstErr returns the first non-nil error, so constructors can list their
// checks in the order the parameters are documented.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// constDist always returns the same value; useful for fixed delays and as
// the degenerate case in tests.
type constDist struct{ v float64 }

// NewConstant returns the distribution that always yields v; v must be
// finite.
func NewConstant(v float64) (Dist, error) {
	if err := distName("constant").param("value").finite(v); err != nil {
		return nil, err
	}
	return &constDist{v}, nil
}

func (d *constDist) Sample(*rand.Rand) float64 { return d.v }
func (d *constDist) Mean() float64             { return d.v }
func (d *constDist) String() string            { return fmt.Sprintf("constant(value=%g)", d.v) }

// uniformDist is continuous uniform on [min, max].
type uniformDist struct{ min, max float64 }

// NewUniform returns the continuous uniform distribution on [min, max];
// both bounds must be finite and min <= max (min == max is a constant).
func NewUniform(min, max float64) (Dist, error) {
	d := distName("uniform")
	if err := firstErr(d.param("min").finite(min), d.param("max").finite(max)); err != nil {
		return nil, err
	}
	if max < min {
		return nil, d.param("max").fail("must be >= min (%g), got %g", min, max)
	}
	return &uniformDist{min, max}, nil
}

func (d *uniformDist) Sample(r *rand.Rand) float64 { return between(d.min, d.max, r.Float64()) }

// Mean halves before adding so that bounds near ±MaxFloat64 cannot overflow.
func (d *uniformDist) Mean() float64  { return d.min/2 + d.max/2 }
func (d *uniformDist) String() string { return fmt.Sprintf("uniform(min=%g, max=%g)", d.min, d.max) }

// between maps u in [0, 1) onto [lo, hi]. It works with half the width
// because hi-lo overflows when the bounds have opposite signs near
// ±MaxFloat64, and it clamps because rounding may step one ulp past hi.
func between(lo, hi, u float64) float64 {
	half := hi/2 - lo/2
	x := lo + half*u + half*u
	if x > hi {
		return hi
	}
	return x
}

// expDist is exponential with the given mean (rate 1/mean): the
// inter-arrival time of a Poisson process.
type expDist struct{ mean float64 }

// NewExponential returns the exponential distribution with the given mean,
// which must be in (0, +Inf).
func NewExponential(mean float64) (Dist, error) {
	if err := distName("exponential").param("mean").positive(mean); err != nil {
		return nil, err
	}
	return &expDist{mean}, nil
}

func (d *expDist) Sample(r *rand.Rand) float64 { return d.mean * r.ExpFloat64() }
func (d *expDist) Mean() float64               { return d.mean }
func (d *expDist) String() string              { return fmt.Sprintf("exponential(mean=%g)", d.mean) }

// normalDist is Gaussian. It can return negative values; callers that need
// a duration clamp (Seconds does).
type normalDist struct{ mean, stddev float64 }

// NewNormal returns the normal distribution; mean must be finite and
// stddev in [0, +Inf).
func NewNormal(mean, stddev float64) (Dist, error) {
	d := distName("normal")
	if err := firstErr(d.param("mean").finite(mean), d.param("stddev").nonNegative(stddev)); err != nil {
		return nil, err
	}
	return &normalDist{mean, stddev}, nil
}

func (d *normalDist) Sample(r *rand.Rand) float64 { return d.mean + d.stddev*r.NormFloat64() }
func (d *normalDist) Mean() float64               { return d.mean }
func (d *normalDist) String() string {
	return fmt.Sprintf("normal(mean=%g, stddev=%g)", d.mean, d.stddev)
}

// logNormalDist is exp(N(mu, sigma²)), the usual shape of service latency.
// It remembers how it was specified so String shows the user's numbers.
type logNormalDist struct {
	mu, sigma    float64
	mean, stddev float64 // of the lognormal itself
	byMoments    bool    // built by NewLogNormalMeanStd
}

// NewLogNormal returns the lognormal distribution whose logarithm is
// normal with mean mu (finite) and standard deviation sigma in [0, +Inf).
func NewLogNormal(mu, sigma float64) (Dist, error) {
	d := distName("lognormal")
	if err := firstErr(d.param("mu").finite(mu), d.param("sigma").nonNegative(sigma)); err != nil {
		return nil, err
	}
	mean := math.Exp(mu + sigma*sigma/2)
	return &logNormalDist{mu: mu, sigma: sigma, mean: mean}, nil
}

// NewLogNormalMeanStd returns the lognormal distribution with the given
// mean in (0, +Inf) and standard deviation in [0, +Inf), which is how
// latency is usually measured and reported.
func NewLogNormalMeanStd(mean, stddev float64) (Dist, error) {
	d := distName("lognormal")
	if err := firstErr(d.param("mean").positive(mean), d.param("stddev").nonNegative(stddev)); err != nil {
		return nil, err
	}
	s2 := logOnePlusSquare(stddev, mean)
	return &logNormalDist{
		mu: math.Log(mean) - s2/2, sigma: math.Sqrt(s2),
		mean: mean, stddev: stddev, byMoments: true,
	}, nil
}

// logOnePlusSquare returns sigma² = ln(1 + (s/m)²) for the lognormal with
// mean m and stddev s. Log1p keeps precision when s << m; past 1e150 the
// square would overflow, and there ln(1+x²) equals 2 ln x to double
// precision (logs are taken separately because s/m itself may overflow).
func logOnePlusSquare(s, m float64) float64 {
	if x := s / m; x < 1e150 {
		return math.Log1p(x * x)
	}
	return 2 * (math.Log(s) - math.Log(m))
}

func (d *logNormalDist) Sample(r *rand.Rand) float64 {
	return math.Exp(d.mu + d.sigma*r.NormFloat64())
}

// Mean is stored rather than recomputed so that a distribution built from
// its mean reports exactly that mean, not a rounded exp(log(mean)).
func (d *logNormalDist) Mean() float64 { return d.mean }

func (d *logNormalDist) String() string {
	if d.byMoments {
		return fmt.Sprintf("lognormal(mean=%g, stddev=%g)", d.mean, d.stddev)
	}
	return fmt.Sprintf("lognormal(mu=%g, sigma=%g)", d.mu, d.sigma)
}

// paretoDist is Type I Pareto: P(X > x) = (xm/x)^alpha for x >= xm. It
// models heavy tails such as payload sizes and stragglers.
type paretoDist struct {
	xm, alpha float64
	invAlpha  float64 // precomputed: Sample divides by alpha every draw
}

// NewPareto returns the Type I Pareto distribution with scale xm (the
// minimum value) in (0, +Inf) and shape alpha in (0, +Inf).
func NewPareto(xm, alpha float64) (Dist, error) {
	d := distName("pareto")
	if err := firstErr(d.param("xm").positive(xm), d.param("alpha").positive(alpha)); err != nil {
		return nil, err
	}
	return &paretoDist{xm: xm, alpha: alpha, invAlpha: 1 / alpha}, nil
}

// Sample uses ln(X/xm) ~ Exponential(rate alpha): this is exact, needs
// one draw, and unlike xm·U^(-1/alpha) has no U = 0 case to exclude.
func (d *paretoDist) Sample(r *rand.Rand) float64 {
	return d.xm * math.Exp(r.ExpFloat64()*d.invAlpha)
}

// Mean is xm·alpha/(alpha-1), infinite for alpha <= 1; alpha/(alpha-1) is
// formed first so that xm·alpha cannot overflow on its own.
func (d *paretoDist) Mean() float64 {
	if d.alpha <= 1 {
		return math.Inf(1)
	}
	return d.xm * (d.alpha / (d.alpha - 1))
}

func (d *paretoDist) String() string { return fmt.Sprintf("pareto(xm=%g, alpha=%g)", d.xm, d.alpha) }

// empiricalDist resamples recorded values (the bootstrap), for replaying
// measured latencies without fitting a model to them.
type empiricalDist struct {
	samples []float64
	mean    float64
}

// NewEmpirical returns the distribution that draws one of samples
// uniformly at random. samples must be non-empty and finite; it is copied,
// so the caller may reuse it.
func NewEmpirical(samples []float64) (Dist, error) {
	d := distName("empirical")
	if len(samples) == 0 {
		return nil, d.param("samples").fail("must have at least 1 entry, got 0")
	}
	for i, v := range samples {
		if err := d.elem("samples", i).finite(v); err != nil {
			return nil, err
		}
	}
	own := append([]float64(nil), samples...)
	return &empiricalDist{samples: own, mean: meanOf(own)}, nil
}

func (d *empiricalDist) Sample(r *rand.Rand) float64 { return d.samples[r.IntN(len(d.samples))] }
func (d *empiricalDist) Mean() float64               { return d.mean }
func (d *empiricalDist) String() string {
	return fmt.Sprintf("empirical(n=%d, mean=%g)", len(d.samples), d.mean)
}

// meanOf is the arithmetic mean of finite xs. The sum is compensated
// (Neumaier) so that many small latencies do not lose their low digits.
// If the sum overflows (the result is then ±Inf, or NaN once the
// compensation term meets the infinity), the mean is recomputed from
// xs/n, whose sum cannot exceed the largest |x|.
func meanOf(xs []float64) float64 {
	n := float64(len(xs))
	if m := compensatedSum(xs, 1) / n; !math.IsInf(m, 0) && !math.IsNaN(m) {
		return m
	}
	return compensatedSum(xs, n)
}

// compensatedSum returns the sum of x/div over xs.
func compensatedSum(xs []float64, div float64) float64 {
	var sum, c float64
	for _, x := range xs {
		x /= div
		t := sum + x
		if math.Abs(sum) >= math.Abs(x) {
			c += (sum - t) + x
		} else {
			c += (x - t) + sum
		}
		sum = t
	}
	return sum + c
}

// histogramDist draws a bin with probability proportional to its count,
// then a point uniformly inside it.
type histogramDist struct {
	edges []float64
	cdf   []float64 // cdf[i] = P(bin <= i); the last entry is exactly 1
	mean  float64
}

// NewHistogram returns the piecewise-uniform distribution of a histogram:
// len(counts) >= 1 bins, len(edges) == len(counts)+1 finite and strictly
// increasing edges, counts finite and >= 0 with a positive sum. Both
// slices are copied.
func NewHistogram(edges, counts []float64) (Dist, error) {
	d := distName("histogram")
	if err := checkBins(d, edges, counts); err != nil {
		return nil, err
	}
	p, err := normalize(d, "counts", counts)
	if err != nil {
		return nil, err
	}
	own := append([]float64(nil), edges...)
	return &histogramDist{edges: own, cdf: cumulative(p), mean: histogramMean(own, p)}, nil
}

// checkBins validates the shape of a histogram and its edges; counts are
// checked by normalize.
func checkBins(d distName, edges, counts []float64) error {
	if len(counts) == 0 {
		return d.param("counts").fail("must have at least 1 entry, got 0")
	}
	if len(edges) != len(counts)+1 {
		return d.param("edges").fail("must have one entry more than counts (%d), got %d", len(counts)+1, len(edges))
	}
	for i, e := range edges {
		if err := d.elem("edges", i).finite(e); err != nil {
			return err
		}
		if i > 0 && !(e > edges[i-1]) {
			return d.elem("edges", i).fail("must be > edges[%d] (%g), got %g", i-1, edges[i-1], e)
		}
	}
	return nil
}

// histogramMean is the sum over bins of P(bin) times the bin's midpoint.
func histogramMean(edges, p []float64) float64 {
	var m float64
	for i, pi := range p {
		m += pi * (edges[i]/2 + edges[i+1]/2)
	}
	return m
}

func (d *histogramDist) Sample(r *rand.Rand) float64 {
	i := searchCDF(d.cdf, r.Float64())
	return between(d.edges[i], d.edges[i+1], r.Float64())
}

func (d *histogramDist) Mean() float64 { return d.mean }

func (d *histogramDist) String() string {
	return fmt.Sprintf("histogram(bins=%d, min=%g, max=%g, mean=%g)",
		len(d.cdf), d.edges[0], d.edges[len(d.edges)-1], d.mean)
}

// normalize checks that weights are finite, >= 0 and not all zero, and
// returns them as probabilities. It divides by the largest weight before
// summing so that a sum of large finite weights cannot overflow.
func normalize(d distName, name string, weights []float64) ([]float64, error) {
	var top float64
	for i, w := range weights {
		if err := d.elem(name, i).nonNegative(w); err != nil {
			return nil, err
		}
		top = math.Max(top, w)
	}
	if top == 0 {
		return nil, d.param(name).fail("must have a positive sum, got 0")
	}
	p := make([]float64, len(weights))
	var sum float64
	for i, w := range weights {
		p[i] = w / top
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p, nil
}

// cumulative turns probabilities into a CDF whose last entry is exactly 1,
// so searchCDF always finds a bin for any u in [0, 1).
func cumulative(p []float64) []float64 {
	cdf := make([]float64, len(p))
	var acc float64
	for i, pi := range p {
		acc += pi
		cdf[i] = acc
	}
	for i := range cdf {
		cdf[i] /= acc // acc is within a few ulps of 1; this makes the last exactly 1
	}
	return cdf
}

// searchCDF returns the first i with cdf[i] > u. The strict comparison
// means a bin of probability zero (cdf[i] == cdf[i-1]) is never chosen,
// not even when u lands exactly on a boundary.
func searchCDF(cdf []float64, u float64) int {
	lo, hi := 0, len(cdf)-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if cdf[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// mixtureDist draws a component with probability proportional to its
// weight, then draws from it: e.g. mostly fast responses plus a few slow
// ones from a cold cache.
type mixtureDist struct {
	weights    []float64 // as given, for String
	p          []float64
	cdf        []float64
	components []Dist
}

// NewMixture returns the mixture of components with the given weights:
// the same non-zero length, weights finite and >= 0 with a positive sum,
// components non-nil. Both slices are copied.
func NewMixture(weights []float64, components []Dist) (Dist, error) {
	d := distName("mixture")
	if err := checkComponents(d, weights, components); err != nil {
		return nil, err
	}
	p, err := normalize(d, "weights", weights)
	if err != nil {
		return nil, err
	}
	return &mixtureDist{
		weights:    append([]float64(nil), weights...),
		p:          p,
		cdf:        cumulative(p),
		components: append([]Dist(nil), components...),
	}, nil
}

// checkComponents validates the lengths and the components; weights are
// checked by normalize.
func checkComponents(d distName, weights []float64, components []Dist) error {
	if len(components) == 0 {
		return d.param("components").fail("must have at least 1 entry, got 0")
	}
	if len(weights) != len(components) {
		return d.param("weights").fail("must have one entry per component (%d), got %d", len(components), len(weights))
	}
	for i, c := range components {
		if c == nil {
			return d.elem("components", i).fail("must be non-nil, got nil")
		}
	}
	return nil
}

func (d *mixtureDist) Sample(r *rand.Rand) float64 {
	return d.components[searchCDF(d.cdf, r.Float64())].Sample(r)
}

// Mean is the probability-weighted mean of the components. Components of
// weight zero are skipped: they are never drawn, and 0·Inf would be NaN.
func (d *mixtureDist) Mean() float64 {
	var m float64
	for i, c := range d.components {
		if d.p[i] > 0 {
			m += d.p[i] * c.Mean()
		}
	}
	return m
}

func (d *mixtureDist) String() string {
	b := []byte("mixture(")
	for i, c := range d.components {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendFloat(b, d.weights[i], 'g', -1, 64)
		b = append(b, ": "...)
		b = append(b, c.String()...)
	}
	return string(append(b, ')'))
}
