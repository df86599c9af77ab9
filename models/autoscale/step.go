package autoscale

import (
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/sim"
)

// DefaultStepCooldown is the pause after a scaling action of a zero
// StepConfig.Cooldown (the usual cloud default).
const DefaultStepCooldown = 300 * time.Second

// StepConfig configures a threshold ("step scaling") autoscaler, the
// simple policy of cloud instance groups, kept for comparison with the
// HPA and the KPA: when the metric stays above HighThreshold (below
// LowThreshold) for BreachPeriods evaluations in a row, add (remove) the
// replicas of the step that matches how far it is beyond the threshold,
// then wait Cooldown before the next action.
type StepConfig struct {
	// MinReplicas is the lower bound. Default 1; must be >= 1.
	MinReplicas int `yaml:"min_replicas"`
	// MaxReplicas is the upper bound; must be >= MinReplicas.
	MaxReplicas int `yaml:"max_replicas"`
	// HighThreshold: a metric strictly above it asks to scale out.
	HighThreshold float64 `yaml:"high_threshold"`
	// LowThreshold: a metric strictly below it asks to scale in. Must be
	// < HighThreshold.
	LowThreshold float64 `yaml:"low_threshold"`
	// ScaleOut and ScaleIn are the steps, by distance beyond the
	// threshold. Empty means one step: change by 1 replica.
	ScaleOut []Step `yaml:"scale_out"`
	ScaleIn  []Step `yaml:"scale_in"`
	// BreachPeriods is how many evaluations in a row must breach. Default
	// 1; must be >= 1.
	BreachPeriods int `yaml:"breach_periods"`
	// Cooldown is the time after an action during which no other is
	// taken. Default 300s; must be >= 0.
	Cooldown time.Duration `yaml:"cooldown"`
}

// Step changes the replica count by Change when the metric is at least
// Beyond past the threshold; the step with the largest matching Beyond
// applies.
type Step struct {
	// Beyond is the distance past the threshold; must be >= 0.
	Beyond float64 `yaml:"beyond"`
	// Change is the number of replicas added or removed; must be > 0.
	Change int `yaml:"change"`
}

// SetDefaults fills every zero field that has a default.
func (c *StepConfig) SetDefaults() {
	if c.MinReplicas == 0 {
		c.MinReplicas = 1
	}
	if c.BreachPeriods == 0 {
		c.BreachPeriods = 1
	}
	if c.Cooldown == 0 {
		c.Cooldown = DefaultStepCooldown
	}
	if len(c.ScaleOut) == 0 {
		c.ScaleOut = []Step{{Change: 1}}
	}
	if len(c.ScaleIn) == 0 {
		c.ScaleIn = []Step{{Change: 1}}
	}
}

// Validate reports the first field out of range. Call SetDefaults first.
func (c StepConfig) Validate() error {
	switch {
	case c.MinReplicas < 1:
		return invalid("min_replicas", "must be >= 1, got %d", c.MinReplicas)
	case c.MaxReplicas < c.MinReplicas:
		return invalid("max_replicas", "must be >= min_replicas (%d), got %d", c.MinReplicas, c.MaxReplicas)
	case !(c.LowThreshold < c.HighThreshold):
		return invalid("low_threshold", "must be < high_threshold (%v), got %v", c.HighThreshold, c.LowThreshold)
	case c.BreachPeriods < 1:
		return invalid("breach_periods", "must be >= 1, got %d", c.BreachPeriods)
	case c.Cooldown < 0:
		return invalid("cooldown", "must be >= 0, got %v", c.Cooldown)
	}
	if err := validateSteps("scale_out", c.ScaleOut); err != nil {
		return err
	}
	return validateSteps("scale_in", c.ScaleIn)
}

func validateSteps(name string, steps []Step) error {
	for i, s := range steps {
		if !(s.Beyond >= 0) || s.Change <= 0 {
			return invalid(field.Index(name, i), "beyond must be >= 0 and change > 0, got %+v", s)
		}
	}
	return nil
}

// Stepper is the threshold autoscaler's state: the breach streak and the
// time of the last action.
type Stepper struct {
	cfg        StepConfig
	above      int // consecutive evaluations above HighThreshold
	below      int // consecutive evaluations below LowThreshold
	lastAction sim.Time
	acted      bool
}

// NewStepper returns a Stepper with cfg's defaults filled in, or an error
// naming the first invalid field.
func NewStepper(cfg StepConfig) (*Stepper, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Stepper{cfg: cfg}, nil
}

// Evaluate is one evaluation at now of the metric (e.g. mean cpu
// utilisation) with current replicas; it returns the replica count to
// set and why.
func (s *Stepper) Evaluate(now sim.Time, current int, metric float64) (int, string) {
	c := s.cfg
	s.above, s.below = streak(metric > c.HighThreshold, s.above), streak(metric < c.LowThreshold, s.below)
	var change int
	var why string
	switch {
	case s.above >= c.BreachPeriods:
		change = pickStep(c.ScaleOut, metric-c.HighThreshold)
		why = fmt.Sprintf("%g above %g for %d evaluations: +%d", metric, c.HighThreshold, s.above, change)
	case s.below >= c.BreachPeriods:
		change = -pickStep(c.ScaleIn, c.LowThreshold-metric)
		why = fmt.Sprintf("%g below %g for %d evaluations: %d", metric, c.LowThreshold, s.below, change)
	default:
		return current, fmt.Sprintf("%g: no breach long enough", metric)
	}
	if s.acted && now < s.lastAction.Add(c.Cooldown) {
		return current, why + fmt.Sprintf(", but cooling down until %v", s.lastAction.Add(c.Cooldown))
	}
	desired := min(max(current+change, c.MinReplicas), c.MaxReplicas)
	if desired != current {
		s.lastAction, s.acted = now, true
		s.above, s.below = 0, 0
	}
	return desired, why
}

func streak(breach bool, n int) int {
	if breach {
		return n + 1
	}
	return 0
}

// pickStep returns the change of the step with the largest Beyond <= d.
func pickStep(steps []Step, d float64) int {
	best, change := -1.0, 0
	for _, s := range steps {
		if s.Beyond <= d && s.Beyond > best {
			best, change = s.Beyond, s.Change
		}
	}
	return change
}
