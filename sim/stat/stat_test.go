package stat

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/faultline-sim/faultline/sim"
)

func TestTQuantileMatchesTables(t *testing.T) {
	// Values from standard t tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2).
	cases := []struct {
		p    float64
		df   int
		want float64
	}{
		{0.975, 9, 2.262},
		{0.995, 30, 2.750},
		{0.975, 1, 12.706},
		{0.95, 5, 2.015},
		{0.995, 39, 2.708},
		{0.975, 100, 1.984},
		{0.5, 7, 0},
		{0.025, 9, -2.262},
	}
	for _, c := range cases {
		got := TQuantile(c.p, c.df)
		if math.Abs(got-c.want) > 0.0005 {
			t.Errorf("TQuantile(%g, df=%d) = %.5f, want %.3f", c.p, c.df, got, c.want)
		}
	}
}

func TestTQuantileRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		p  float64
		df int
	}{{0.9, 0}, {-0.1, 5}, {1.1, 5}, {math.NaN(), 5}} {
		if got := TQuantile(c.p, c.df); !math.IsNaN(got) {
			t.Errorf("TQuantile(%g, %d) = %g, want NaN", c.p, c.df, got)
		}
	}
}

func TestMeanCIOfKnownSample(t *testing.T) {
	// 1..10: mean 5.5, s = sqrt(55/6), half-width t(0.975, 9)·s/sqrt(10).
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	mean, hw := MeanCI(xs, 0.95)
	want := 2.2621571628 * math.Sqrt(55.0/6) / math.Sqrt(10)
	if mean != 5.5 || math.Abs(hw-want) > 1e-8 {
		t.Errorf("MeanCI(1..10, 0.95) = %g ± %g, want 5.5 ± %.10f", mean, hw, want)
	}
}

func TestMeanCIDegenerateInput(t *testing.T) {
	cases := []struct {
		name     string
		xs       []float64
		level    float64
		wantMean float64 // NaN means NaN
	}{
		{"empty", nil, 0.95, math.NaN()},
		{"one value", []float64{3}, 0.95, 3},
		{"level 1", []float64{1, 2, 3}, 1, 2},
		{"level 0", []float64{1, 2, 3}, 0, 2},
		{"level NaN", []float64{1, 2, 3}, math.NaN(), 2},
	}
	for _, c := range cases {
		mean, hw := MeanCI(c.xs, c.level)
		sameMean := mean == c.wantMean || math.IsNaN(mean) && math.IsNaN(c.wantMean)
		if !sameMean || !math.IsNaN(hw) {
			t.Errorf("%s: MeanCI = %g ± %g, want %g ± NaN", c.name, mean, hw, c.wantMean)
		}
	}
}

// TestMeanCICoversNormalMean checks the coverage of the interval on iid
// normal data: out of 1000 intervals at 95%, about 950 contain the mean.
// With 1000 Bernoulli(0.95) trials the count has standard deviation 6.9, so
// 920..980 fails only when the interval is wrong.
func TestMeanCICoversNormalMean(t *testing.T) {
	const seed = 1
	r := sim.NewStream(seed, "stat/normal")
	const trueMean, sd = 10.0, 3.0
	xs := make([]float64, 20)
	covered := 0
	for range 1000 {
		for i := range xs {
			xs[i] = trueMean + sd*r.NormFloat64()
		}
		if mean, hw := MeanCI(xs, 0.95); math.Abs(mean-trueMean) <= hw {
			covered++
		}
	}
	if covered < 920 || covered > 980 {
		t.Errorf("seed=%d: %d of 1000 95%% intervals cover the mean, want 920..980; replay: go test ./sim/stat -run TestMeanCICoversNormalMean",
			seed, covered)
	}
	// And one large sample: the interval is narrow and still covers.
	big := make([]float64, 10000)
	for i := range big {
		big[i] = trueMean + sd*r.NormFloat64()
	}
	mean, hw := MeanCI(big, 0.99)
	if math.Abs(mean-trueMean) > hw || hw > 0.1 {
		t.Errorf("seed=%d: MeanCI of 10000 N(10, 3²) = %g ± %g, want an interval of half-width <= 0.1 covering 10; replay: go test ./sim/stat -run TestMeanCICoversNormalMean",
			seed, mean, hw)
	}
}

func TestBatchMeansGroupsInOrder(t *testing.T) {
	b := NewBatchMeans(3)
	for _, x := range []float64{1, 2, 3, 10, 20, 30, 7} {
		b.Add(x)
	}
	if got, want := b.Means(), []float64{2, 20}; !slices.Equal(got, want) {
		t.Errorf("Means() = %v, want %v (the partial batch {7} left out)", got, want)
	}
	if b.N() != 7 {
		t.Errorf("N() = %d, want 7", b.N())
	}
	b.Reset()
	b.Add(5)
	if len(b.Means()) != 0 || b.N() != 1 {
		t.Errorf("after Reset and one Add: Means() = %v, N() = %d, want [] and 1", b.Means(), b.N())
	}
}

func TestBatchMeansReturnsACopy(t *testing.T) {
	b := NewBatchMeans(1)
	b.Add(1)
	m := b.Means()
	m[0] = 99
	if b.Means()[0] != 1 {
		t.Error("modifying the result of Means changed the BatchMeans")
	}
}

func TestNewBatchMeansPanicsOnBadSize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewBatchMeans(0) did not panic")
		}
	}()
	NewBatchMeans(0)
}

func TestTimeAverageWeightsByDuration(t *testing.T) {
	var a TimeAverage
	a.Set(0, 2)  // 2 on [0, 10)
	a.Set(10, 5) // 5 on [10, 40)
	// Mean at 40: (2·10 + 5·30) / 40 = 4.25.
	if got := a.Mean(40); got != 4.25 {
		t.Errorf("Mean(40) = %g, want 4.25", got)
	}
	// First window [0, 20): (2·10 + 5·10) / 20 = 3.5.
	if got := a.Window(20); got != 3.5 {
		t.Errorf("Window(20) = %g, want 3.5", got)
	}
	a.Set(30, 1) // 5 on [20, 30), 1 on [30, 60)
	// Second window [20, 60): (5·10 + 1·30) / 40 = 2.
	if got := a.Window(60); got != 2 {
		t.Errorf("Window(60) = %g, want 2", got)
	}
	// The overall mean is unaffected by windows: (20 + 5·20 + 30) / 60 = 2.5.
	if got := a.Mean(60); got != 2.5 {
		t.Errorf("Mean(60) = %g, want 2.5", got)
	}
}

func TestTimeAverageEmptyIntervalIsCurrentValue(t *testing.T) {
	var a TimeAverage
	a.Set(5, 3)
	a.Reset(5)
	if got := a.Mean(5); got != 3 {
		t.Errorf("Mean over an empty interval = %g, want the current value 3", got)
	}
	if got := a.Window(5); got != 3 {
		t.Errorf("Window over an empty interval = %g, want the current value 3", got)
	}
}

func TestTimeAverageResetDropsThePast(t *testing.T) {
	var a TimeAverage
	a.Set(0, 100)
	a.Reset(50) // keep the value 100, forget [0, 50)
	a.Set(60, 0)
	// [50, 60) at 100, [60, 100) at 0: 1000/50 = 20.
	if got := a.Mean(100); got != 20 {
		t.Errorf("Mean(100) after Reset(50) = %g, want 20", got)
	}
}

func TestQuantileIsTheInverseEmpiricalCDF(t *testing.T) {
	cases := []struct {
		xs   []float64
		p    float64
		want float64
	}{
		{[]float64{5, 1, 4, 2, 3}, 0, 1},
		{[]float64{5, 1, 4, 2, 3}, 0.2, 1},
		{[]float64{5, 1, 4, 2, 3}, 0.21, 2},
		{[]float64{5, 1, 4, 2, 3}, 0.5, 3},
		{[]float64{5, 1, 4, 2, 3}, 1, 5},
		{[]float64{7}, 0.99, 7},
		{[]float64{2, 2, 2, 1, 3, 2}, 0.5, 2},
	}
	for _, c := range cases {
		xs := slices.Clone(c.xs)
		if got := Quantile(xs, c.p); got != c.want {
			t.Errorf("Quantile(%v, %g) = %g, want %g", c.xs, c.p, got, c.want)
		}
	}
	if got := Quantile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("Quantile(nil) = %g, want NaN", got)
	}
}

// TestQuantileAgreesWithSorting checks selection against a full sort on
// random data with many ties, for every rank.
func TestQuantileAgreesWithSorting(t *testing.T) {
	const seed = 2
	r := rand.New(rand.NewPCG(seed, seed))
	for trial := range 200 {
		xs := make([]float64, 1+r.IntN(60))
		for i := range xs {
			xs[i] = float64(r.IntN(10))
		}
		sorted := slices.Sorted(slices.Values(xs))
		for k := range xs {
			p := float64(k+1) / float64(len(xs))
			if got := Quantile(slices.Clone(xs), p); got != sorted[k] {
				t.Fatalf("seed=%d trial %d: Quantile(%v, %g) = %g, want %g; replay: go test ./sim/stat -run TestQuantileAgreesWithSorting",
					seed, trial, xs, p, got, sorted[k])
			}
		}
	}
}
