package service

import (
	"math"
	"time"

	"github.com/faultline-sim/faultline/models/autoscale"
)

// Autoscaling policies of AutoscaleConfig.Policy.
const (
	PolicyNone = "none"
	PolicyHPA  = "hpa"
	PolicyKPA  = "kpa"
	// PolicyVertical keeps the number of instances and resizes them
	// (see autoscale.VerticalConfig and Resizer).
	PolicyVertical = "vertical"
)

// DefaultTargetUtilization is the HPA's cpu target when none is given, in
// percent: kubectl autoscale's default.
const DefaultTargetUtilization = 80.0

// AutoscaleConfig says how an autoscaler changes a service's number of
// instances. Only the chosen policy's settings are read.
type AutoscaleConfig struct {
	// Policy is "none" (the default: the service keeps its instances),
	// "hpa" (the Kubernetes Horizontal Pod Autoscaler on cpu utilisation),
	// "kpa" (the Knative autoscaler on concurrency) or "vertical" (the
	// instances keep their number and change size, see Vertical).
	Policy string `yaml:"policy"`
	// TargetUtilization is the HPA's cpu target: each instance's busy
	// time over the sync period, as a percentage of its workers' time.
	// Default 80; must be in (0, 100].
	TargetUtilization float64 `yaml:"target_utilization"`
	// MetricLag is how old the metrics are when the autoscaler acts on
	// them (scrape and pipeline delay). Default 0; must be >= 0 and
	// below the sync period (HPA) or 1s (KPA).
	MetricLag time.Duration `yaml:"metric_lag"`
	// HPA holds the HPA's settings, with the meaning they have in
	// Kubernetes; max_replicas is required.
	HPA autoscale.HPAConfig `yaml:"hpa"`
	// KPA holds the Knative autoscaler's settings. Concurrency is
	// requests at an instance, waiting or in service; min_scale 0 is
	// taken as 1 (a service never scales to zero here).
	KPA autoscale.KPAConfig `yaml:"kpa"`
	// Vertical holds the vertical scaler's settings: a ladder of sizes
	// in workers per instance (the last is the ceiling) and a target
	// utilisation. An instance is resized by a restart: it drains, stops,
	// and starts again at the new size after the service's startup,
	// serving nothing meanwhile; one instance at a time.
	Vertical autoscale.VerticalConfig `yaml:"vertical"`
	// Cluster bounds the pods the service may run (nodes × pods per
	// node); pods beyond it stay Pending until the cluster autoscaler's
	// new nodes are ready. Read by every policy; the zero value is an
	// unbounded cluster.
	Cluster autoscale.ClusterConfig `yaml:"cluster"`
	// ColdStart makes the first requests of an instance launched by
	// scaling or resizing slower (see ColdStart).
	ColdStart ColdStart `yaml:"cold_start"`
	// SLO is the objective the run is judged against: the minutes that
	// break it and the time to recover after the first fault window
	// starts (see SLO).
	SLO SLO `yaml:"slo"`
	// PricePerHour, if > 0, turns instance-seconds into money: the run's
	// cost metric is instance_seconds / 3600 × PricePerHour, for an
	// instance of the configured workers. Default 0 (no cost metric);
	// must be >= 0.
	PricePerHour float64 `yaml:"price_per_hour"`
}

// SetDefaults fills the zero fields of the policy in use.
func (a *AutoscaleConfig) SetDefaults() {
	if a.Policy == "" {
		a.Policy = PolicyNone
	}
	switch a.Policy {
	case PolicyHPA:
		if a.TargetUtilization == 0 {
			a.TargetUtilization = DefaultTargetUtilization
		}
		a.HPA.SetDefaults()
	case PolicyKPA:
		a.KPA.SetDefaults()
	case PolicyVertical:
		a.Vertical.SetDefaults()
	}
	a.Cluster.SetDefaults()
}

// validate reports the first bad field under the path autoscale.
func (a *AutoscaleConfig) validate() error {
	switch {
	case a.Policy != PolicyNone && a.Policy != PolicyHPA && a.Policy != PolicyKPA && a.Policy != PolicyVertical:
		return fieldErr("autoscale.policy", "must be none, hpa, kpa or vertical, got %q", a.Policy)
	case a.MetricLag < 0:
		return fieldErr("autoscale.metric_lag", "must be >= 0, got %v", a.MetricLag)
	case !(a.PricePerHour >= 0 && a.PricePerHour < math.Inf(1)):
		return fieldErr("autoscale.price_per_hour", "must be >= 0 and finite, got %v", a.PricePerHour)
	}
	if err := firstErr(under("autoscale.cluster", a.Cluster.Validate()),
		a.ColdStart.validate(), a.SLO.validate()); err != nil {
		return err
	}
	switch a.Policy {
	case PolicyVertical:
		if a.Vertical.SyncPeriod > 0 && a.MetricLag >= a.Vertical.SyncPeriod {
			return fieldErr("autoscale.metric_lag", "must be below the sync period (%v), got %v", a.Vertical.SyncPeriod, a.MetricLag)
		}
		return under("autoscale.vertical", a.Vertical.Validate())
	case PolicyHPA:
		return a.validateHPA()
	case PolicyKPA:
		if a.MetricLag >= time.Second {
			return fieldErr("autoscale.metric_lag", "must be below 1s (the KPA's scrape period), got %v", a.MetricLag)
		}
		return under("autoscale.kpa", a.KPA.Validate())
	}
	return nil
}

func (a *AutoscaleConfig) validateHPA() error {
	switch {
	case !(a.TargetUtilization > 0 && a.TargetUtilization <= 100):
		return fieldErr("autoscale.target_utilization", "must be in (0, 100] percent, got %v", a.TargetUtilization)
	case a.HPA.MaxReplicas < 1:
		return fieldErr("autoscale.hpa.max_replicas", "is required: >= 1, got %d", a.HPA.MaxReplicas)
	case a.HPA.SyncPeriod > 0 && a.MetricLag >= a.HPA.SyncPeriod:
		return fieldErr("autoscale.metric_lag", "must be below the sync period (%v), got %v", a.HPA.SyncPeriod, a.MetricLag)
	}
	return under("autoscale.hpa", a.HPA.Validate())
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
