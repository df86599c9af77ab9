// Package stat turns the output of a simulation run into estimates with
// confidence intervals.
//
// A run's observations are correlated (one slow customer delays the next),
// so the usual iid formulas would give intervals that are far too narrow.
// The method of batch means fixes that: consecutive observations are grouped
// into a few dozen large batches whose means are nearly independent and
// nearly normal, and a Student's t interval is built from those means.
// BatchMeans groups per-event observations, TimeAverage does the same for a
// piecewise-constant quantity such as the number in system, MeanCI builds
// the interval and Quantile summarises one batch by an order statistic.
package stat

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/faultline-sim/faultline/sim"
)

// BatchMeans accumulates observations, in the order they are added, into
// consecutive batches of a fixed size and keeps the mean of each completed
// batch. Adding allocates only when the list of means grows.
type BatchMeans struct {
	size  int
	sum   float64 // of the batch being filled
	count int     // observations in the batch being filled
	n     int     // observations added since creation or Reset
	means []float64
}

// NewBatchMeans returns an empty BatchMeans with batchSize observations per
// batch. A batchSize below 1 is a programming error and panics.
func NewBatchMeans(batchSize int) *BatchMeans {
	if batchSize < 1 {
		panic("stat: NewBatchMeans with batchSize < 1")
	}
	return &BatchMeans{size: batchSize}
}

// Add records one observation, closing the current batch when it is full.
func (b *BatchMeans) Add(x float64) {
	b.sum += x
	b.count++
	b.n++
	if b.count == b.size {
		b.means = append(b.means, b.sum/float64(b.size))
		b.sum, b.count = 0, 0
	}
}

// Means returns a copy of the means of the completed batches, oldest first.
// Observations in a batch that is not yet full are left out.
func (b *BatchMeans) Means() []float64 {
	return append([]float64(nil), b.means...)
}

// N returns the number of observations added, including those in the batch
// that is not yet full.
func (b *BatchMeans) N() int { return b.n }

// BatchSize returns the number of observations per batch.
func (b *BatchMeans) BatchSize() int { return b.size }

// Reset discards every observation and batch, keeping the batch size and
// the memory already allocated; it is how a warm-up period is dropped.
func (b *BatchMeans) Reset() {
	b.sum, b.count, b.n = 0, 0, 0
	b.means = b.means[:0]
}

// MeanCI returns the sample mean of xs and the half-width of its two-sided
// confidence interval at the given level (e.g. 0.95 or 0.99), using
// Student's t quantile with len(xs)-1 degrees of freedom. The xs should be
// roughly independent and normal, as batch means are.
//
// It never panics: with no values both results are NaN; with one value, or
// a level outside (0, 1), the mean is returned with a NaN half-width,
// because no interval can be formed.
func MeanCI(xs []float64, level float64) (mean, halfWidth float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	mean = meanOf(xs)
	if len(xs) < 2 || !(level > 0 && level < 1) {
		return mean, math.NaN()
	}
	n := float64(len(xs))
	se := math.Sqrt(sumSquares(xs, mean) / (n - 1) / n)
	return mean, TQuantile((1+level)/2, len(xs)-1) * se
}

// TQuantile returns the p-quantile of Student's t distribution with df
// degrees of freedom: the x with P(T <= x) = p. It returns NaN if df < 1 or
// p is outside [0, 1].
func TQuantile(p float64, df int) float64 {
	if df < 1 || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(p)
}

func meanOf(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// sumSquares is the sum of squared deviations from mean; the two-pass form
// avoids the cancellation of sum(x²) - n·mean².
func sumSquares(xs []float64, mean float64) float64 {
	var s float64
	for _, x := range xs {
		d := x - mean
		s += d * d
	}
	return s
}

// TimeAverage is the time-weighted average of a piecewise-constant quantity,
// such as the number of customers in a system. The zero value holds 0 from
// time 0.
//
// Besides the average over the whole run it keeps the average over the
// current window, which Window closes and restarts: windows ending at batch
// boundaries give the batch means of a time-average.
type TimeAverage struct {
	v           float64  // current value
	last        sim.Time // when v was set
	start       sim.Time // of the whole average
	area        float64  // integral of the value over [start, last], in value·ns
	windowStart sim.Time
	windowArea  float64 // integral over [windowStart, last]
}

// Set records that the quantity takes value v from now on. Times must not
// go backwards.
func (a *TimeAverage) Set(now sim.Time, v float64) {
	a.advance(now)
	a.v = v
}

// Value returns the current value.
func (a *TimeAverage) Value() float64 { return a.v }

// Mean returns the time-average from the start (or the last Reset) to now.
// Over an empty interval it is the current value.
func (a *TimeAverage) Mean(now sim.Time) float64 {
	return average(a.area, a.v, a.start, a.last, now)
}

// Window returns the time-average since the previous Window call (or the
// start, or the last Reset) and starts a new window at now.
func (a *TimeAverage) Window(now sim.Time) float64 {
	a.advance(now)
	m := average(a.windowArea, a.v, a.windowStart, now, now)
	a.windowStart, a.windowArea = now, 0
	return m
}

// Reset restarts both the overall average and the window at now, keeping
// the current value; it is how a warm-up period is dropped.
func (a *TimeAverage) Reset(now sim.Time) {
	a.advance(now)
	a.start, a.area = now, 0
	a.windowStart, a.windowArea = now, 0
}

// advance integrates the current value up to now.
func (a *TimeAverage) advance(now sim.Time) {
	if now < a.last {
		panic("stat: TimeAverage time went backwards")
	}
	d := a.v * float64(now-a.last)
	a.area += d
	a.windowArea += d
	a.last = now
}

// average is (area + v·(now-last)) / (now-start), or v when now == start.
func average(area, v float64, start, last, now sim.Time) float64 {
	if now <= start {
		return v
	}
	return (area + v*float64(now-last)) / float64(now-start)
}

// Quantile returns the p-quantile of xs as an order statistic: the
// ceil(p·n)-th smallest value (the smallest for p = 0), i.e. the inverse of
// the empirical distribution function. It reorders xs in place and
// allocates nothing, so a caller can summarise a reusable buffer. It
// returns NaN for empty xs or p outside [0, 1]; xs must not contain NaN.
func Quantile(xs []float64, p float64) float64 {
	if len(xs) == 0 || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	// p·n within a relative 1e-12 of an integer is taken to be it, so that
	// p = k/n, which rounding may put a hair above k, selects rank k.
	r := p * float64(len(xs))
	k := int(math.Ceil(r-r*1e-12)) - 1
	return selectKth(xs, min(max(k, 0), len(xs)-1))
}

// selectKth returns the k-th smallest (0-based) element of xs, partially
// ordering xs: Hoare's quickselect with a median-of-three pivot, which is
// linear on average and needs no randomness of its own.
func selectKth(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		i, j := partition(xs, lo, hi)
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

// partition splits xs[lo:hi+1] around a median-of-three pivot into
// xs[lo:j+1] <= pivot, xs[j+1:i] == pivot and xs[i:hi+1] >= pivot.
func partition(xs []float64, lo, hi int) (i, j int) {
	pivot := medianOf3(xs[lo], xs[lo+(hi-lo)/2], xs[hi])
	i, j = lo, hi
	for i <= j {
		for xs[i] < pivot {
			i++
		}
		for xs[j] > pivot {
			j--
		}
		if i <= j {
			xs[i], xs[j] = xs[j], xs[i]
			i++
			j--
		}
	}
	return i, j
}

func medianOf3(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	return max(a, b)
}
