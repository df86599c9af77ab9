package autoscale

import (
	"fmt"
	"math"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// Defaults of Knative's autoscaler (config-autoscaler).
const (
	DefaultContainerConcurrencyTarget  = 100.0            // container-concurrency-target-default
	DefaultTargetUtilizationPercentage = 70.0             // container-concurrency-target-percentage
	DefaultStableWindow                = 60 * time.Second // stable-window
	DefaultPanicWindowPercentage       = 10.0             // panic-window-percentage
	DefaultPanicThresholdPercentage    = 200.0            // panic-threshold-percentage
	DefaultMaxScaleUpRate              = 1000.0           // max-scale-up-rate
	DefaultMaxScaleDownRate            = 2.0              // max-scale-down-rate
)

// KPAConfig configures the Knative-style autoscaler. Zero fields take
// the defaults.
type KPAConfig struct {
	// ContainerConcurrencyTarget is the concurrency one pod should carry
	// at 100% utilisation. Default 100; must be > 0.
	ContainerConcurrencyTarget float64 `yaml:"container_concurrency_target"`
	// TargetUtilizationPercentage is the share of that target to aim
	// for. Default 70; must be in (0, 100].
	TargetUtilizationPercentage float64 `yaml:"target_utilization_percentage"`
	// StableWindow is the averaging window of the stable mode, and how
	// long panic lasts after the last panic-worthy decision. Default 60s;
	// whole seconds in [6s, 1h].
	StableWindow time.Duration `yaml:"stable_window"`
	// PanicWindowPercentage is the panic window as a percentage of the
	// stable window. Default 10 (6s); must be in [1, 100] and give at
	// least one second.
	PanicWindowPercentage float64 `yaml:"panic_window_percentage"`
	// PanicThresholdPercentage: panic starts when the panic window asks
	// for this percentage of the ready pods. Default 200; in [110, 1000].
	PanicThresholdPercentage float64 `yaml:"panic_threshold_percentage"`
	// MaxScaleUpRate bounds one decision to this multiple of the ready
	// pods. Default 1000; must be > 1.
	MaxScaleUpRate float64 `yaml:"max_scale_up_rate"`
	// MaxScaleDownRate bounds one decision to the ready pods divided by
	// this. Default 2; must be > 1.
	MaxScaleDownRate float64 `yaml:"max_scale_down_rate"`
	// MinScale and MaxScale bound the result (min-scale, max-scale
	// annotations). MaxScale 0 means unbounded; MinScale must be >= 0 and
	// <= MaxScale when MaxScale is set.
	MinScale int `yaml:"min_scale"`
	MaxScale int `yaml:"max_scale"`
}

// SetDefaults fills every zero field that has a default.
func (c *KPAConfig) SetDefaults() {
	def := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.ContainerConcurrencyTarget, DefaultContainerConcurrencyTarget)
	def(&c.TargetUtilizationPercentage, DefaultTargetUtilizationPercentage)
	def(&c.PanicWindowPercentage, DefaultPanicWindowPercentage)
	def(&c.PanicThresholdPercentage, DefaultPanicThresholdPercentage)
	def(&c.MaxScaleUpRate, DefaultMaxScaleUpRate)
	def(&c.MaxScaleDownRate, DefaultMaxScaleDownRate)
	if c.StableWindow == 0 {
		c.StableWindow = DefaultStableWindow
	}
}

// Validate reports the first field out of range. Call SetDefaults first.
func (c KPAConfig) Validate() error {
	switch {
	case !(c.ContainerConcurrencyTarget > 0) || math.IsInf(c.ContainerConcurrencyTarget, 0):
		return invalid("container_concurrency_target", "must be > 0 and finite, got %v", c.ContainerConcurrencyTarget)
	case !(c.TargetUtilizationPercentage > 0 && c.TargetUtilizationPercentage <= 100):
		return invalid("target_utilization_percentage", "must be in (0, 100], got %v", c.TargetUtilizationPercentage)
	case c.StableWindow < 6*time.Second || c.StableWindow > time.Hour || c.StableWindow%time.Second != 0:
		return invalid("stable_window", "must be whole seconds in [6s, 1h], got %v", c.StableWindow)
	case !(c.PanicWindowPercentage >= 1 && c.PanicWindowPercentage <= 100) || c.panicWindowSeconds() < 1:
		return invalid("panic_window_percentage", "must be in [1, 100] and give a panic window of at least 1s, got %v", c.PanicWindowPercentage)
	case !(c.PanicThresholdPercentage >= 110 && c.PanicThresholdPercentage <= 1000):
		return invalid("panic_threshold_percentage", "must be in [110, 1000], got %v", c.PanicThresholdPercentage)
	case !(c.MaxScaleUpRate > 1) || math.IsInf(c.MaxScaleUpRate, 0):
		return invalid("max_scale_up_rate", "must be > 1 and finite, got %v", c.MaxScaleUpRate)
	case !(c.MaxScaleDownRate > 1) || math.IsInf(c.MaxScaleDownRate, 0):
		return invalid("max_scale_down_rate", "must be > 1 and finite, got %v", c.MaxScaleDownRate)
	case c.MinScale < 0:
		return invalid("min_scale", "must be >= 0, got %d", c.MinScale)
	case c.MaxScale < 0 || (c.MaxScale > 0 && c.MaxScale < c.MinScale):
		return invalid("max_scale", "must be 0 (unbounded) or >= min_scale (%d), got %d", c.MinScale, c.MaxScale)
	}
	return nil
}

func (c KPAConfig) panicWindowSeconds() int {
	return int(c.StableWindow.Seconds() * c.PanicWindowPercentage / 100)
}

// TargetPerPod is the concurrency each pod is sized for: the container
// target times the target utilisation (70 by default).
func (c KPAConfig) TargetPerPod() float64 {
	return c.ContainerConcurrencyTarget * c.TargetUtilizationPercentage / 100
}

// KPA is a Knative-style concurrency autoscaler. Record feeds it the
// observed concurrency (e.g. every second); Desired turns the stable and
// panic window averages into a pod count.
type KPA struct {
	cfg          KPAConfig
	stable       *window
	panic        *window
	panicSince   sim.Time // the last decision over the panic threshold
	panicking    bool
	maxPanicPods int
}

// NewKPA returns a KPA with cfg's defaults filled in, or an error naming
// the first invalid field.
func NewKPA(cfg KPAConfig) (*KPA, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &KPA{
		cfg:    cfg,
		stable: newWindow(int(cfg.StableWindow / time.Second)),
		panic:  newWindow(cfg.panicWindowSeconds()),
	}, nil
}

// Config returns the configuration in use, defaults filled in.
func (a *KPA) Config() KPAConfig { return a.cfg }

// Record adds an observation of concurrency (requests in flight) at now.
// Observations in the same second add up, as pods' reports do in
// Knative: record each pod's concurrency, or the total once a second.
func (a *KPA) Record(now sim.Time, concurrency float64) {
	a.stable.record(now, concurrency)
	a.panic.record(now, concurrency)
}

// Desired returns the pod count to run given the ready pods now, and
// whether the autoscaler is in panic mode. With nothing recorded within
// the stable window it makes no decision and returns readyPods.
func (a *KPA) Desired(now sim.Time, readyPods int) (int, bool) {
	if a.stable.empty(now) {
		return readyPods, a.panicking
	}
	target := a.cfg.TargetPerPod()
	ready := math.Max(1, float64(readyPods))
	maxUp := math.Ceil(a.cfg.MaxScaleUpRate * ready)
	maxDown := math.Floor(ready / a.cfg.MaxScaleDownRate)
	dspc := math.Ceil(a.stable.average(now) / target)
	dppc := math.Ceil(a.panic.average(now) / target)
	stablePods := int(math.Min(math.Max(dspc, maxDown), maxUp))
	panicPods := int(math.Min(math.Max(dppc, maxDown), maxUp))

	over := dppc/ready >= a.cfg.PanicThresholdPercentage/100
	switch {
	case over:
		a.panicking, a.panicSince = true, now
	case a.panicking && a.panicSince.Add(a.cfg.StableWindow) < now:
		a.panicking, a.maxPanicPods = false, 0
	}
	desired := stablePods
	if a.panicking {
		// Provision for the larger of the two, and never scale down.
		desired = max(desired, panicPods, a.maxPanicPods)
		a.maxPanicPods = desired
	}
	return a.bound(desired), a.panicking
}

func (a *KPA) bound(n int) int {
	n = max(n, a.cfg.MinScale)
	if a.cfg.MaxScale > 0 {
		n = min(n, a.cfg.MaxScale)
	}
	return n
}

// String describes the autoscaler's state, for traces.
func (a *KPA) String() string {
	return fmt.Sprintf("kpa(panicking=%v, maxPanicPods=%d)", a.panicking, a.maxPanicPods)
}
