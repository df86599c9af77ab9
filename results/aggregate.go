package results

import (
	"math"
	"sort"
	"strings"

	"github.com/faultline-sim/faultline/sim/stat"
)

// Stat is one metric of a variant across its seeds: the mean with a 95%
// confidence interval (Student's t over seeds), and the range. With one
// seed Lo and Hi equal the mean. For the summary metrics the interval is
// clipped to what the metric can be (availability in [0, 1], counts and
// latencies >= 0): with few seeds a t interval can reach past those.
type Stat struct {
	Mean float64 `json:"mean"`
	Lo   float64 `json:"ci95_lo"`
	Hi   float64 `json:"ci95_hi"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	N    int     `json:"n"`
}

// NewStat summarises xs (one value per seed).
func NewStat(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := Stat{Min: math.Inf(1), Max: math.Inf(-1), N: len(xs)}
	for _, x := range xs {
		s.Min, s.Max = math.Min(s.Min, x), math.Max(s.Max, x)
	}
	mean, half := stat.MeanCI(xs, 0.95)
	if math.IsNaN(half) {
		half = 0
	}
	s.Mean, s.Lo, s.Hi = mean, mean-half, mean+half
	return s
}

// VariantSummary aggregates the runs of one variant over its seeds.
type VariantSummary struct {
	Variant string          `json:"variant"`
	Engine  string          `json:"engine"`
	Seeds   []uint64        `json:"seeds"`
	Stats   map[string]Stat `json:"stats"`  // key "phase.metric", e.g. "during.availability"
	Series  []Series        `json:"series"` // mean over seeds, point by point
	CDF     []Quantile      `json:"cdf"`    // mean over seeds of each quantile's latency
}

// StatKey is the key of a metric in VariantSummary.Stats.
func StatKey(metric string, p Phase) string { return string(p) + "." + metric }

// Stat returns the aggregate of metric in phase p.
func (v *VariantSummary) Stat(metric string, p Phase) (Stat, bool) {
	s, ok := v.Stats[StatKey(metric, p)]
	return s, ok
}

// Aggregate summarises runs, which must all be of one variant and engine,
// in seed order.
func Aggregate(runs []Run) VariantSummary {
	if len(runs) == 0 {
		return VariantSummary{}
	}
	v := VariantSummary{Variant: runs[0].Variant, Engine: runs[0].Engine, Stats: map[string]Stat{}}
	for _, r := range runs {
		v.Seeds = append(v.Seeds, r.Seed)
	}
	for _, p := range Phases() {
		for _, m := range summaryMetrics {
			xs := make([]float64, 0, len(runs))
			for i := range runs {
				if s, ok := runs[i].Phase(p); ok {
					xs = append(xs, m.get(&s))
				}
			}
			v.Stats[StatKey(m.name, p)] = NewStat(xs).clip(m.name)
		}
	}
	for _, name := range modelMetricNames(runs) {
		xs := make([]float64, 0, len(runs))
		for i := range runs {
			if x, ok := runs[i].Metrics[name]; ok {
				xs = append(xs, x)
			}
		}
		v.Stats[StatKey(name, All)] = NewStat(xs).clipModel(name)
	}
	v.Series = meanSeries(runs)
	v.CDF = meanCDF(runs)
	return v
}

func modelMetricNames(runs []Run) []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range runs {
		for k := range r.Metrics {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	return names
}

// meanSeries averages each series point by point over the runs that have it.
func meanSeries(runs []Run) []Series {
	var out []Series
	for _, s := range runs[0].Series {
		m := Series{Name: s.Name, Unit: s.Unit, Step: s.Step, Values: make([]float64, len(s.Values))}
		n := 0
		for i := range runs {
			o := runs[i].SeriesNamed(s.Name)
			if o == nil || len(o.Values) != len(m.Values) {
				continue
			}
			n++
			for j, x := range o.Values {
				m.Values[j] += x
			}
		}
		for j := range m.Values {
			m.Values[j] /= float64(n)
		}
		out = append(out, m)
	}
	return out
}

func meanCDF(runs []Run) []Quantile {
	var out []Quantile
	n := 0
	for _, r := range runs {
		if len(r.CDF) == 0 {
			continue
		}
		if out == nil {
			out = make([]Quantile, len(r.CDF))
			for i, q := range r.CDF {
				out[i].Q = q.Q
			}
		}
		if len(r.CDF) != len(out) {
			continue
		}
		n++
		for i, q := range r.CDF {
			out[i].Ms += q.Ms
		}
	}
	for i := range out {
		out[i].Ms /= float64(n)
	}
	return out
}

// clip limits the interval to the possible values of summary metric name.
func (s Stat) clip(name string) Stat {
	lo, hi := 0.0, math.Inf(1)
	if IsRatio(name) {
		hi = 1
	}
	s.Lo = math.Min(math.Max(s.Lo, lo), hi)
	s.Hi = math.Min(math.Max(s.Hi, lo), hi)
	return s
}

// clipModel limits the interval of a model metric to what it can be when
// that is known from its name or its values: ratios (availability_*,
// *_ratio, linearizable as a share of seeds) to [0, 1], and metrics never
// seen negative to >= 0. Sentinels such as -1 (unknown) disable clipping.
func (s Stat) clipModel(name string) Stat {
	if s.Min < 0 {
		return s
	}
	hi := math.Inf(1)
	if strings.HasPrefix(name, "availability") || strings.HasSuffix(name, "_ratio") || strings.HasSuffix(name, "linearizable") {
		hi = 1
	}
	s.Lo = math.Min(math.Max(s.Lo, 0), hi)
	s.Hi = math.Min(math.Max(s.Hi, 0), hi)
	return s
}
