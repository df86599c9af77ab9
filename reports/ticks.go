package reports

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// linearTicks labels about n round values (1, 2 or 5 times a power of
// ten apart) with as many decimals as the step needs, and puts unlabelled
// minor ticks between them.
type linearTicks struct{ n int }

// niceStep rounds x up to 1, 2 or 5 times a power of ten; it also returns
// how many minor steps make one.
func niceStep(x float64) (step float64, minors int) {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	switch f := x / p; {
	case f <= 1:
		return p, 5
	case f <= 2:
		return 2 * p, 4
	case f <= 5:
		return 5 * p, 5
	}
	return 10 * p, 5
}

// Ticks implements plot.Ticker.
func (t linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !finite(lo) || !finite(hi) || !(hi > lo) {
		return nil
	}
	step, per := niceStep((hi - lo) / float64(max(t.n, 1)))
	minor := step / float64(per)
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for i := math.Ceil(lo/minor - 1e-9); i*minor <= hi+minor*1e-9; i++ {
		tk := plot.Tick{Value: i * minor}
		if math.Mod(i, float64(per)) == 0 {
			tk.Label = strconv.FormatFloat(tk.Value, 'f', decimals, 64)
			if tk.Label == "-"+strconv.FormatFloat(0, 'f', decimals, 64) {
				tk.Label = tk.Label[1:]
			}
		}
		ticks = append(ticks, tk)
	}
	return ticks
}

// logTicks labels a log10-transformed axis (data are log10 of the values)
// in the original values: at 1, 2 and 5 times a power of ten (only the
// powers of ten over more than three decades), with unlabelled minor ticks
// between; a range too narrow for two labels gets linear ticks.
//
// Plotting log10 of the data on a linear axis, rather than using
// plot.LogScale, keeps gonum from placing the axis label by the arithmetic
// middle of the range, and from panicking on zero.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !finite(lo) || !finite(hi) || !(hi > lo) {
		return nil
	}
	vlo, vhi := math.Pow(10, lo), math.Pow(10, hi)
	wide := hi-lo > 3
	var ticks []plot.Tick
	labelled := 0
	for e := math.Floor(lo); e <= math.Ceil(hi); e++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, e)
			if v < vlo*(1-1e-9) || v > vhi*(1+1e-9) {
				continue
			}
			tk := plot.Tick{Value: math.Log10(v)}
			if m == 1 || !wide && (m == 2 || m == 5) {
				tk.Label = fmtNum(v)
				labelled++
			}
			ticks = append(ticks, tk)
		}
	}
	if labelled >= 2 {
		return ticks
	}
	ticks = linearTicks{4}.Ticks(vlo, vhi)
	for i := range ticks {
		ticks[i].Value = math.Log10(ticks[i].Value)
	}
	return ticks
}

// setLog labels a, whose data are log10 of the values, in the values; a
// range of a single value is widened to a factor of two either side.
func setLog(a *plot.Axis) {
	a.Tick.Marker = logTicks{}
	if a.Max <= a.Min && finite(a.Min) {
		a.Min, a.Max = a.Min-math.Log10(2), a.Max+math.Log10(2)
	}
}

// log10 is log10 of x, or NaN (a gap) where x has no logarithm.
func log10(x float64) float64 {
	if x > 0 {
		return math.Log10(x)
	}
	return math.NaN()
}

// pad widens an axis by frac of its span on both sides, so points and
// their labels do not sit on the frame.
func pad(a *plot.Axis, frac float64) {
	span := a.Max - a.Min
	if !finite(span) {
		return
	}
	if span == 0 {
		span = math.Max(math.Abs(a.Max), 1)
	}
	a.Min, a.Max = a.Min-frac*span, a.Max+frac*span
}
