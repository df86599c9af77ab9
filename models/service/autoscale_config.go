package service

import (
	"strings"
	"time"

	"faultline/models/autoscale"
)

// Autoscaling policies of AutoscaleConfig.Policy.
const (
	PolicyNone = "none"
	PolicyHPA  = "hpa"
	PolicyKPA  = "kpa"
)

// DefaultTargetUtilization is the HPA's cpu target when none is given, in
// percent: kubectl autoscale's default.
const DefaultTargetUtilization = 80.0

// AutoscaleConfig says how an autoscaler changes a service's number of
// instances. Only the chosen policy's settings are read.
type AutoscaleConfig struct {
	// Policy is "none" (the default: the service keeps its instances),
	// "hpa" (the Kubernetes Horizontal Pod Autoscaler on cpu utilisation)
	// or "kpa" (the Knative autoscaler on concurrency).
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
	}
}

// validate reports the first bad field under the path autoscale.
func (a *AutoscaleConfig) validate() error {
	switch {
	case a.Policy != PolicyNone && a.Policy != PolicyHPA && a.Policy != PolicyKPA:
		return fieldErr("autoscale.policy", "must be none, hpa or kpa, got %q", a.Policy)
	case a.MetricLag < 0:
		return fieldErr("autoscale.metric_lag", "must be >= 0, got %v", a.MetricLag)
	}
	switch a.Policy {
	case PolicyHPA:
		return a.validateHPA()
	case PolicyKPA:
		if a.MetricLag >= time.Second {
			return fieldErr("autoscale.metric_lag", "must be below 1s (the KPA's scrape period), got %v", a.MetricLag)
		}
		return autoscaleErr("autoscale.kpa", a.KPA.Validate())
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
	return autoscaleErr("autoscale.hpa", a.HPA.Validate())
}

// autoscaleErr places an autoscale package error ("invalid autoscaler
// config: min_replicas: must be ...") under path.
func autoscaleErr(path string, err error) error {
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), autoscale.ErrConfig.Error()+": ")
	field, rule, ok := strings.Cut(msg, ": ")
	if !ok {
		return &FieldError{Field: path, Rule: msg, cause: err}
	}
	return &FieldError{Field: path + "." + field, Rule: rule, cause: err}
}
