package results

// FaultWindow is one fault as it was (or would be) applied: what, where and
// when, in seconds since the start of the run.
type FaultWindow struct {
	Type   string  `json:"type"`
	Label  string  `json:"label"` // e.g. "partition api-2 | rest (black-hole)"
	Start  float64 `json:"start_s"`
	End    float64 `json:"end_s"`
	Engine string  `json:"engine,omitempty"` // set when only one engine applied it (real fault windows)
}

// Verdict is the outcome of one hypothesis for one variant.
type Verdict struct {
	Variant string  `json:"variant"`
	Expr    string  `json:"expr"` // as written, e.g. "p99 < 800ms during"
	Metric  string  `json:"metric"`
	Phase   Phase   `json:"phase"`
	Op      string  `json:"op"`
	Want    float64 `json:"want"` // threshold in the metric's unit
	Got     float64 `json:"got"`  // mean over seeds
	Lo      float64 `json:"ci95_lo"`
	Hi      float64 `json:"ci95_hi"`
	Pass    bool    `json:"pass"`
	Reason  string  `json:"reason,omitempty"` // why it could not be judged, if so
}

// SweepPoint is one cell of a parameter sweep: the values of the swept
// parameters and the name of the variant that ran them.
type SweepPoint struct {
	Values  []float64 `json:"values"`
	Variant string    `json:"variant"`
}

// Sweep describes a one- or two-parameter sweep.
type Sweep struct {
	Params []string     `json:"params"`
	Points []SweepPoint `json:"points"`
}

// Report is everything a report shows: the scenario as run, every run, the
// per-variant aggregates, the fault windows and the hypothesis verdicts.
type Report struct {
	Scenario    string           `json:"scenario"`
	Description string           `json:"description"`
	Source      string           `json:"source"` // the scenario file as run
	Duration    float64          `json:"duration_s"`
	Interval    float64          `json:"interval_s"`
	Seeds       []uint64         `json:"seeds"`
	Version     string           `json:"version"`
	Faults      []FaultWindow    `json:"faults"`
	Variants    []VariantSummary `json:"variants"`
	Runs        []Run            `json:"runs"`
	Verdicts    []Verdict        `json:"verdicts"`
	Sweep       *Sweep           `json:"sweep,omitempty"`
	// Compare names two metrics to draw against each other in the
	// trade-off plot, e.g. ["availability", "p99"]; empty: the default.
	Compare []string `json:"compare,omitempty"`
	// Calibration compares the engines where a report has both: each key
	// metric of each variant, simulated and measured.
	Calibration []Calibration `json:"calibration,omitempty"`
}

// Calibration is one metric of one variant in both engines.
type Calibration struct {
	Variant string  `json:"variant"`
	Metric  string  `json:"metric"`
	Phase   Phase   `json:"phase"`
	Sim     float64 `json:"sim"` // the mean over the simulated seeds
	// SimMin and SimMax are the simulated seeds' range, SimSeeds their
	// count.
	SimMin   float64 `json:"sim_min"`
	SimMax   float64 `json:"sim_max"`
	SimSeeds int     `json:"sim_seeds"`
	Real     float64 `json:"real"`
	Diff     float64 `json:"diff"` // Real - Sim
	// TimeScale is the schedule both engines ran at for this row (the
	// real run's; 1 = the scenario's own).
	TimeScale float64 `json:"time_scale"`
	// Target is the agreement wanted for this metric, if any (e.g.
	// "±0.05", "±30%"), and Within whether Real met it (against Sim, the
	// mean). InSimRange is whether Real is within the target of the
	// simulated seeds' range: a miss that is in range is an outcome the
	// simulator gives on some seeds (which replica leads, for one), which
	// one real run cannot tell from a model error.
	Target     string `json:"target,omitempty"`
	Within     *bool  `json:"within,omitempty"`
	InSimRange bool   `json:"in_sim_range,omitempty"`
}

// Variant returns the summary of the named variant, or nil.
func (r *Report) Variant(name string) *VariantSummary {
	for i := range r.Variants {
		if r.Variants[i].Variant == name {
			return &r.Variants[i]
		}
	}
	return nil
}

// Passed reports whether every verdict passed.
func (r *Report) Passed() bool {
	for _, v := range r.Verdicts {
		if !v.Pass {
			return false
		}
	}
	return true
}
