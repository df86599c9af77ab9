package load

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Schedule is the offered request rate of an open-loop generator over
// time, from the start of the run. Each shape reads only some fields (see
// shapeFields); Validate rejects a non-zero field the shape does not read,
// so a misplaced parameter is reported instead of silently ignored.
type Schedule struct {
	// Shape is constant (the default), step, ramp, spike or diurnal.
	Shape string `yaml:"shape"`
	// RPS is the base rate in requests per second: the whole schedule for
	// constant, the rate before At for step, ramp and spike, the mean of
	// the sinusoid for diurnal. Must be > 0 and finite, or >= 0 for step
	// and ramp (as long as To is > 0).
	RPS float64 `yaml:"rps"`
	// To is the rate from At on (step) or reached at At+Over (ramp), in
	// requests per second; >= 0 and finite.
	To float64 `yaml:"to"`
	// At is when the step, ramp or spike starts; >= 0, default 0.
	At time.Duration `yaml:"at"`
	// Over is how long the ramp takes, or how long the spike lasts; > 0.
	Over time.Duration `yaml:"over"`
	// Peak is the rate during the spike, [At, At+Over), in requests per
	// second; > 0 and finite.
	Peak float64 `yaml:"peak"`
	// Period is the period of the diurnal sinusoid; > 0.
	Period time.Duration `yaml:"period"`
	// Amplitude is the diurnal relative swing: the rate is
	// RPS·(1 + Amplitude·sin(2πt/Period)); in [0, 1].
	Amplitude float64 `yaml:"amplitude"`
}

// DefaultShape is the shape of an empty Shape.
const DefaultShape = "constant"

// shapeFields lists, per shape, the fields it reads, in the order errors
// list them.
var shapeFields = map[string][]string{
	"constant": {"rps"},
	"step":     {"rps", "to", "at"},
	"ramp":     {"rps", "to", "at", "over"},
	"spike":    {"rps", "peak", "at", "over"},
	"diurnal":  {"rps", "period", "amplitude"},
}

var shapes = []string{"constant", "step", "ramp", "spike", "diurnal"}

// SetDefaults fills the shape.
func (s *Schedule) SetDefaults() {
	if s.Shape == "" {
		s.Shape = DefaultShape
	}
}

// Validate reports the first field out of range, a *field.Error. An
// empty Shape means DefaultShape.
func (s Schedule) Validate() error {
	s.SetDefaults()
	reads, ok := shapeFields[s.Shape]
	if !ok {
		return invalid("shape", "must be one of %s, got %q", strings.Join(shapes, ", "), s.Shape)
	}
	for _, f := range s.setFields() {
		if !slices.Contains(reads, f) {
			return invalid(f, "not read by shape %s (it reads: %s)", s.Shape, strings.Join(reads, ", "))
		}
	}
	switch s.Shape {
	case "step", "ramp":
		return s.validateChange()
	case "spike":
		return firstErr(positiveRate("rps", s.RPS), positiveRate("peak", s.Peak),
			nonNegative("at", s.At), positive("over", s.Over))
	case "diurnal":
		if err := firstErr(positiveRate("rps", s.RPS), positive("period", s.Period)); err != nil {
			return err
		}
		if !(s.Amplitude >= 0 && s.Amplitude <= 1) {
			return invalid("amplitude", "must be in [0, 1], got %v", s.Amplitude)
		}
		return nil
	}
	return positiveRate("rps", s.RPS)
}

// validateChange checks a step or a ramp: rates from RPS to To, at least
// one of them positive.
func (s Schedule) validateChange() error {
	err := firstErr(nonNegativeRate("rps", s.RPS), nonNegativeRate("to", s.To), nonNegative("at", s.At))
	if err == nil && s.Shape == "ramp" {
		err = positive("over", s.Over)
	}
	if err == nil && s.RPS == 0 && s.To == 0 {
		err = invalid("to", "must be > 0 when rps is 0 (a %s from 0 to 0 sends nothing), got 0", s.Shape)
	}
	return err
}

// setFields lists the non-zero fields (zero means not written).
func (s Schedule) setFields() []string {
	var set []string
	for _, f := range []struct {
		name string
		on   bool
	}{
		{"rps", s.RPS != 0}, {"to", s.To != 0}, {"at", s.At != 0}, {"over", s.Over != 0},
		{"peak", s.Peak != 0}, {"period", s.Period != 0}, {"amplitude", s.Amplitude != 0},
	} {
		if f.on {
			set = append(set, f.name)
		}
	}
	return set
}

func positiveRate(name string, v float64) error {
	if !(v > 0 && v < math.Inf(1)) {
		return invalid(name, "must be > 0 and finite (requests/s), got %v", v)
	}
	return nil
}

func nonNegativeRate(name string, v float64) error {
	if !(v >= 0 && v < math.Inf(1)) {
		return invalid(name, "must be >= 0 and finite (requests/s), got %v", v)
	}
	return nil
}

func positive(name string, d time.Duration) error {
	if d <= 0 {
		return invalid(name, "must be > 0, got %v", d)
	}
	return nil
}

func nonNegative(name string, d time.Duration) error {
	if d < 0 {
		return invalid(name, "must be >= 0, got %v", d)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Rate returns the offered rate at time t since the start, in requests
// per second. Changes take effect at their start: a step's rate at At is
// To, a spike's rate at At is Peak and at At+Over is RPS again.
func (s Schedule) Rate(t time.Duration) float64 {
	switch s.Shape {
	case "step":
		if t < s.At {
			return s.RPS
		}
		return s.To
	case "ramp":
		return s.ramp(t)
	case "spike":
		if t >= s.At && t-s.At < s.Over {
			return s.Peak
		}
		return s.RPS
	case "diurnal":
		// The phase from the remainder in integer nanoseconds keeps full
		// precision however long the run.
		phase := float64(t%s.Period) / float64(s.Period)
		return s.RPS * (1 + s.Amplitude*math.Sin(2*math.Pi*phase))
	}
	return s.RPS
}

func (s Schedule) ramp(t time.Duration) float64 {
	switch {
	case t < s.At:
		return s.RPS
	case t-s.At >= s.Over:
		return s.To
	}
	f := float64(t-s.At) / float64(s.Over)
	return s.RPS + (s.To-s.RPS)*f
}

// Max returns an upper bound of Rate over all times (the rate a thinned
// Poisson process is drawn at): the largest rate the shape reaches.
func (s Schedule) Max() float64 {
	switch s.Shape {
	case "step", "ramp":
		return math.Max(s.RPS, s.To)
	case "spike":
		return math.Max(s.RPS, s.Peak)
	case "diurnal":
		return s.RPS * (1 + s.Amplitude)
	}
	return s.RPS
}

// idleUntil returns the earliest time >= t at which the rate may be
// positive: a step or ramp that starts from 0 sends nothing before At, and
// a Poisson process may skip the gap (it is memoryless).
func (s Schedule) idleUntil(t time.Duration) time.Duration {
	if (s.Shape == "step" || s.Shape == "ramp") && s.RPS == 0 && t < s.At {
		return s.At
	}
	return t
}
