package sim

import (
	"errors"
	"slices"
	"strconv"
	"strings"
)

// DistSpec describes a distribution in a scenario file. Kind is one of
// constant, uniform, exponential, normal, lognormal, pareto, empirical,
// histogram, mixture; each kind reads only the fields noted beside them,
// and Build rejects a non-zero field that the kind does not read, so a
// misplaced parameter is reported instead of silently ignored. Units are
// the caller's (the scenario layer uses seconds).
type DistSpec struct {
	Kind    string     `yaml:"kind" json:"kind"`
	Value   float64    `yaml:"value,omitempty" json:"value,omitempty"`     // constant
	Min     float64    `yaml:"min,omitempty" json:"min,omitempty"`         // uniform
	Max     float64    `yaml:"max,omitempty" json:"max,omitempty"`         // uniform
	Mean    float64    `yaml:"mean,omitempty" json:"mean,omitempty"`       // exponential, normal, lognormal (with Stddev)
	Stddev  float64    `yaml:"stddev,omitempty" json:"stddev,omitempty"`   // normal, lognormal (with Mean)
	Mu      float64    `yaml:"mu,omitempty" json:"mu,omitempty"`           // lognormal by mu/sigma (used when Mean is 0)
	Sigma   float64    `yaml:"sigma,omitempty" json:"sigma,omitempty"`     // lognormal by mu/sigma
	Scale   float64    `yaml:"scale,omitempty" json:"scale,omitempty"`     // pareto xm
	Shape   float64    `yaml:"shape,omitempty" json:"shape,omitempty"`     // pareto alpha
	Samples []float64  `yaml:"samples,omitempty" json:"samples,omitempty"` // empirical
	Edges   []float64  `yaml:"edges,omitempty" json:"edges,omitempty"`     // histogram
	Counts  []float64  `yaml:"counts,omitempty" json:"counts,omitempty"`   // histogram
	Weights []float64  `yaml:"weights,omitempty" json:"weights,omitempty"` // mixture
	Of      []DistSpec `yaml:"of,omitempty" json:"of,omitempty"`           // mixture components, one per weight
}

// distKinds is the list of kinds that an unknown-kind error offers.
var distKinds = []string{
	"constant", "uniform", "exponential", "normal", "lognormal",
	"pareto", "empirical", "histogram", "mixture",
}

// specNames maps constructor parameters to the spec fields that carry
// them, where the two differ, so errors name what the user wrote.
var specNames = map[string]string{"xm": "scale", "alpha": "shape", "components": "of"}

// Build returns the distribution the spec describes, or an error wrapping
// ErrParam that names the bad field by its path in the spec, e.g.
// "of[1].mean must be in (0, +Inf), got 0".
func (s DistSpec) Build() (Dist, error) {
	switch s.Kind {
	case "constant":
		return s.uses("value").finish(NewConstant(s.Value))
	case "uniform":
		return s.uses("min", "max").finish(NewUniform(s.Min, s.Max))
	case "exponential":
		return s.uses("mean").finish(NewExponential(s.Mean))
	case "normal":
		return s.uses("mean", "stddev").finish(NewNormal(s.Mean, s.Stddev))
	case "lognormal":
		return s.buildLogNormal()
	case "pareto":
		return s.uses("scale", "shape").finish(NewPareto(s.Scale, s.Shape))
	case "empirical":
		return s.uses("samples").finish(NewEmpirical(s.Samples))
	case "histogram":
		return s.uses("edges", "counts").finish(NewHistogram(s.Edges, s.Counts))
	case "mixture":
		return s.buildMixture()
	}
	return nil, &paramError{name: "kind", index: -1, rule: "must be one of " +
		strings.Join(distKinds, ", ") + ", got " + strconv.Quote(s.Kind)}
}

// buildLogNormal chooses the parametrization: mean/stddev when Mean is
// set, since that is how latency is usually reported, else mu/sigma.
func (s DistSpec) buildLogNormal() (Dist, error) {
	if s.Mean != 0 {
		u := s.uses("mean", "stddev")
		u.when = " when mean is set"
		return u.finish(NewLogNormalMeanStd(s.Mean, s.Stddev))
	}
	u := s.uses("mu", "sigma")
	u.when = " when mean is 0"
	return u.finish(NewLogNormal(s.Mu, s.Sigma))
}

// buildMixture builds the components first so that an error inside one
// is reported with its path, e.g. "of[1].mean".
func (s DistSpec) buildMixture() (Dist, error) {
	u := s.uses("weights", "of")
	if err := u.unused(); err != nil {
		return nil, err
	}
	components := make([]Dist, len(s.Of))
	for i, sub := range s.Of {
		d, err := sub.Build()
		if err != nil {
			return nil, underPath(err, "of["+strconv.Itoa(i)+"].")
		}
		components[i] = d
	}
	return u.finish(NewMixture(s.Weights, components))
}

// specUse is the set of fields one kind reads.
type specUse struct {
	spec   DistSpec
	fields []string
	when   string // qualifies the kind in messages, e.g. " when mean is 0"
}

func (s DistSpec) uses(fields ...string) specUse { return specUse{spec: s, fields: fields} }

// finish takes a constructor's results and turns its error into one that
// names spec fields. A field the kind does not read is reported first:
// it is the likelier mistake (e.g. sigma written for stddev).
func (u specUse) finish(d Dist, err error) (Dist, error) {
	if uerr := u.unused(); uerr != nil {
		return nil, uerr
	}
	if err != nil {
		return nil, asSpecField(err)
	}
	return d, nil
}

// unused reports the first non-zero field that the kind does not read.
func (u specUse) unused() error {
	for _, name := range u.spec.setFields() {
		if !slices.Contains(u.fields, name) {
			return &paramError{name: name, index: -1, rule: "is not used by kind " +
				u.spec.Kind + u.when + " (it uses " + strings.Join(u.fields, ", ") + ")"}
		}
	}
	return nil
}

// setFields lists the parameter fields that are not zero, in declaration
// order. Zero means unset because the file format omits zero values.
func (s DistSpec) setFields() []string {
	set := make([]string, 0, 4)
	for _, f := range []struct {
		name string
		on   bool
	}{
		{"value", s.Value != 0}, {"min", s.Min != 0}, {"max", s.Max != 0},
		{"mean", s.Mean != 0}, {"stddev", s.Stddev != 0},
		{"mu", s.Mu != 0}, {"sigma", s.Sigma != 0},
		{"scale", s.Scale != 0}, {"shape", s.Shape != 0},
		{"samples", len(s.Samples) > 0}, {"edges", len(s.Edges) > 0},
		{"counts", len(s.Counts) > 0}, {"weights", len(s.Weights) > 0},
		{"of", len(s.Of) > 0},
	} {
		if f.on {
			set = append(set, f.name)
		}
	}
	return set
}

// asSpecField rewrites a constructor's error in terms of spec fields: the
// distribution name goes (the path says where it is) and parameters are
// renamed to the fields that carry them.
func asSpecField(err error) error {
	var pe *paramError
	if !errors.As(err, &pe) {
		return err
	}
	c := *pe
	c.dist = ""
	if to, ok := specNames[c.name]; ok {
		c.name = to
	}
	return &c
}

// underPath prefixes the path of a nested spec's error.
func underPath(err error, prefix string) error {
	var pe *paramError
	if !errors.As(err, &pe) {
		return err
	}
	c := *pe
	c.path = prefix + c.path
	return &c
}
