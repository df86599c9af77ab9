package autoscale

import (
	"errors"
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/field"
)

// Defaults of the HPA, as documented for kube-controller-manager and the
// autoscaling/v2 API.
const (
	DefaultSyncPeriod              = 15 * time.Second // --horizontal-pod-autoscaler-sync-period
	DefaultTolerance               = 0.1              // --horizontal-pod-autoscaler-tolerance
	DefaultCPUInitializationPeriod = 5 * time.Minute  // --horizontal-pod-autoscaler-cpu-initialization-period
	DefaultInitialReadinessDelay   = 30 * time.Second // --horizontal-pod-autoscaler-initial-readiness-delay
	DefaultMinReplicas             = 1
	DefaultScaleUpWindowSeconds    = 0
	DefaultScaleDownWindowSeconds  = 300
	maxPolicyPeriodSeconds         = 1800 // the API's limit on periodSeconds
	maxWindowSeconds               = 3600 // the API's limit on stabilizationWindowSeconds
)

// Policy types and select policies of HPAScalingRules.
const (
	PolicyPods    = "Pods"
	PolicyPercent = "Percent"

	SelectMax      = "Max"
	SelectMin      = "Min"
	SelectDisabled = "Disabled"
)

// ErrConfig is wrapped by every error the Validate methods of this package
// return.
var ErrConfig = errors.New("invalid autoscaler config")

// invalid returns a config error at path that matches ErrConfig under
// errors.Is.
func invalid(path, format string, args ...any) error {
	return &field.Error{Path: path, Msg: fmt.Sprintf(format, args...), Err: ErrConfig}
}

// HPAConfig is a HorizontalPodAutoscaler: its spec (replica bounds and
// behavior) and the controller flags that shape its algorithm.
type HPAConfig struct {
	// MinReplicas is the lower bound of the replica count. Default 1;
	// must be >= 1 and <= MaxReplicas.
	MinReplicas int `yaml:"min_replicas"`
	// MaxReplicas is the upper bound of the replica count. Required, >= 1.
	MaxReplicas int `yaml:"max_replicas"`
	// SyncPeriod is how often the caller should call Reconcile. Default
	// 15s; must be > 0. The HPA itself does not schedule anything.
	SyncPeriod time.Duration `yaml:"sync_period"`
	// Tolerance is the dead band: no scaling while |ratio-1| <= Tolerance.
	// Nil means 0.1; must be in [0, 1).
	Tolerance *float64 `yaml:"tolerance"`
	// CPUInitializationPeriod is how long after a pod starts its cpu
	// samples are distrusted (see PodMetric). Default 5m; must be >= 0.
	CPUInitializationPeriod time.Duration `yaml:"cpu_initialization_period"`
	// InitialReadinessDelay is how long after a pod starts a not-ready
	// pod is taken to have never been ready. Default 30s; must be >= 0.
	InitialReadinessDelay time.Duration `yaml:"initial_readiness_delay"`
	// Behavior limits the speed of scaling in each direction.
	Behavior Behavior `yaml:"behavior"`
}

// Behavior is the HPA's spec.behavior. A nil direction gets the
// documented default rules.
type Behavior struct {
	ScaleUp   *ScalingRules `yaml:"scale_up"`
	ScaleDown *ScalingRules `yaml:"scale_down"`
}

// ScalingRules limit scaling in one direction (HPAScalingRules).
type ScalingRules struct {
	// StabilizationWindowSeconds is how far back recommendations are
	// remembered: scale-down uses the highest within it, scale-up the
	// lowest. Nil means 0 for scale-up and 300 for scale-down; must be in
	// [0, 3600].
	StabilizationWindowSeconds *int `yaml:"stabilization_window_seconds"`
	// SelectPolicy picks among the policies' limits: Max (default, the
	// largest change), Min (the smallest change) or Disabled (no scaling
	// in this direction).
	SelectPolicy string `yaml:"select_policy"`
	// Policies are the rate limits. Empty means the defaults: scale-up
	// 100% and 4 pods per 15s, scale-down 100% per 15s.
	Policies []ScalingPolicy `yaml:"policies"`
}

// ScalingPolicy allows a change of Value pods (Pods) or Value percent of
// the replicas at the start of the period (Percent) per PeriodSeconds.
type ScalingPolicy struct {
	// Type is Pods or Percent.
	Type string `yaml:"type"`
	// Value must be > 0.
	Value int `yaml:"value"`
	// PeriodSeconds must be in (0, 1800].
	PeriodSeconds int `yaml:"period_seconds"`
}

// DefaultScaleUpRules returns the documented default scale-up behavior:
// no stabilisation; at most max(100%, 4 pods) more per 15s.
func DefaultScaleUpRules() *ScalingRules {
	return &ScalingRules{
		StabilizationWindowSeconds: intPtr(DefaultScaleUpWindowSeconds),
		SelectPolicy:               SelectMax,
		Policies: []ScalingPolicy{
			{Type: PolicyPercent, Value: 100, PeriodSeconds: 15},
			{Type: PolicyPods, Value: 4, PeriodSeconds: 15},
		},
	}
}

// DefaultScaleDownRules returns the documented default scale-down
// behavior: a 300s stabilisation window; up to 100% fewer per 15s.
func DefaultScaleDownRules() *ScalingRules {
	return &ScalingRules{
		StabilizationWindowSeconds: intPtr(DefaultScaleDownWindowSeconds),
		SelectPolicy:               SelectMax,
		Policies:                   []ScalingPolicy{{Type: PolicyPercent, Value: 100, PeriodSeconds: 15}},
	}
}

func intPtr(v int) *int { return &v }

// SetDefaults fills every zero field that has a default. Rules given in
// part are completed field by field, as the API server does.
func (c *HPAConfig) SetDefaults() {
	if c.MinReplicas == 0 {
		c.MinReplicas = DefaultMinReplicas
	}
	if c.SyncPeriod == 0 {
		c.SyncPeriod = DefaultSyncPeriod
	}
	if c.Tolerance == nil {
		t := DefaultTolerance
		c.Tolerance = &t
	}
	if c.CPUInitializationPeriod == 0 {
		c.CPUInitializationPeriod = DefaultCPUInitializationPeriod
	}
	if c.InitialReadinessDelay == 0 {
		c.InitialReadinessDelay = DefaultInitialReadinessDelay
	}
	c.Behavior.ScaleUp = completeRules(c.Behavior.ScaleUp, DefaultScaleUpRules())
	c.Behavior.ScaleDown = completeRules(c.Behavior.ScaleDown, DefaultScaleDownRules())
}

func completeRules(r, def *ScalingRules) *ScalingRules {
	if r == nil {
		return def
	}
	out := *r
	if out.StabilizationWindowSeconds == nil {
		out.StabilizationWindowSeconds = def.StabilizationWindowSeconds
	}
	if out.SelectPolicy == "" {
		out.SelectPolicy = def.SelectPolicy
	}
	if len(out.Policies) == 0 {
		out.Policies = def.Policies
	}
	return &out
}

// Validate reports the first field out of range, a *field.Error with
// the field's yaml path. Call SetDefaults first.
func (c HPAConfig) Validate() error {
	switch {
	case c.MinReplicas < 1:
		return invalid("min_replicas", "must be >= 1, got %d", c.MinReplicas)
	case c.MaxReplicas < c.MinReplicas:
		return invalid("max_replicas", "must be >= min_replicas (%d), got %d", c.MinReplicas, c.MaxReplicas)
	case c.SyncPeriod <= 0:
		return invalid("sync_period", "must be > 0, got %v", c.SyncPeriod)
	case c.Tolerance == nil || !(*c.Tolerance >= 0 && *c.Tolerance < 1):
		return invalid("tolerance", "must be in [0, 1), got %v", fmtPtr(c.Tolerance))
	case c.CPUInitializationPeriod < 0:
		return invalid("cpu_initialization_period", "must be >= 0, got %v", c.CPUInitializationPeriod)
	case c.InitialReadinessDelay < 0:
		return invalid("initial_readiness_delay", "must be >= 0, got %v", c.InitialReadinessDelay)
	}
	if err := c.Behavior.ScaleUp.validate("behavior.scale_up"); err != nil {
		return err
	}
	return c.Behavior.ScaleDown.validate("behavior.scale_down")
}

func fmtPtr(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func (r *ScalingRules) validate(path string) error {
	if r == nil {
		return invalid(path, "is required (call SetDefaults)")
	}
	w := r.StabilizationWindowSeconds
	switch {
	case w == nil || *w < 0 || *w > maxWindowSeconds:
		return invalid(path+".stabilization_window_seconds", "must be in [0, %d]", maxWindowSeconds)
	case r.SelectPolicy != SelectMax && r.SelectPolicy != SelectMin && r.SelectPolicy != SelectDisabled:
		return invalid(path+".select_policy", "must be Max, Min or Disabled, got %q", r.SelectPolicy)
	case len(r.Policies) == 0:
		return invalid(path+".policies", "must hold at least one policy")
	}
	for i, p := range r.Policies {
		if err := p.validate(); err != nil {
			return field.Under(field.Index(path+".policies", i), err)
		}
	}
	return nil
}

func (p ScalingPolicy) validate() error {
	switch {
	case p.Type != PolicyPods && p.Type != PolicyPercent:
		return invalid("type", "must be Pods or Percent, got %q", p.Type)
	case p.Value <= 0:
		return invalid("value", "must be > 0, got %d", p.Value)
	case p.PeriodSeconds <= 0 || p.PeriodSeconds > maxPolicyPeriodSeconds:
		return invalid("period_seconds", "must be in (0, %d], got %d", maxPolicyPeriodSeconds, p.PeriodSeconds)
	}
	return nil
}

func (r *ScalingRules) window() time.Duration {
	return time.Duration(*r.StabilizationWindowSeconds) * time.Second
}

func (r *ScalingRules) longestPeriod() time.Duration {
	var longest int
	for _, p := range r.Policies {
		longest = max(longest, p.PeriodSeconds)
	}
	return time.Duration(longest) * time.Second
}

func secondsDuration(s int) time.Duration { return time.Duration(s) * time.Second }
