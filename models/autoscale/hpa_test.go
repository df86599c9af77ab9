package autoscale

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// Sources cited by the rows below.
const (
	docAlgo     = "kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/ #algorithm-details"
	docBehavior = "kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/ #configurable-scaling-behavior"
	k8sCalcTest = "kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator_test.go"
)

// coolNow is when single-sync rows reconcile: pods started at 0 are past
// the 5-minute cpu initialisation period.
var coolNow = sim.At(10 * time.Minute)

// pod is a ready pod started at 0 with value v.
func pod(v float64) PodMetric { return PodMetric{Value: v, Ready: true} }

// unreadyPod never became ready (its readiness changed when it started).
func unreadyPod(v float64) PodMetric { return PodMetric{Value: v} }

// hotPod started 10 s before coolNow: inside the cpu initialisation
// period, and ready for less than a metric window.
func hotPod(v float64, ready bool) PodMetric {
	t := coolNow.Add(-10 * time.Second)
	return PodMetric{Value: v, Ready: ready, Started: t, ReadyChanged: t}
}

var missing = PodMetric{Missing: true, Ready: true}

func cpu(target float64, pods ...PodMetric) MetricSample {
	return MetricSample{Name: CPU, Type: Utilization, Target: target, Pods: pods, Window: time.Minute}
}

func avg(name string, target float64, pods ...PodMetric) MetricSample {
	return MetricSample{Name: name, Type: AverageValue, Target: target, Pods: pods, Window: time.Minute}
}

func pods(n int, v float64) []PodMetric {
	out := make([]PodMetric, n)
	for i := range out {
		out[i] = pod(v)
	}
	return out
}

// algorithmOnly has no scale-down stabilisation, so that one sync shows
// the replica calculation alone (a new HPA otherwise remembers its
// initial replica count for 300 s and never scales down at once).
func algorithmOnly(c *HPAConfig) {
	c.MaxReplicas = 100
	c.Behavior.ScaleDown = &ScalingRules{StabilizationWindowSeconds: intPtr(0)}
}

// TestHPAReplicaCalculation checks one sync per row against the
// documented algorithm and rows ported from kubernetes' own tests.
func TestHPAReplicaCalculation(t *testing.T) {
	tests := []struct {
		name    string
		source  string
		cfg     func(*HPAConfig)
		current int
		metrics []MetricSample
		want    int
		why     string // a fragment the explanation must contain
	}{
		{"50 replicas at 90% cpu with a 75% target: ceil(50 × 90 / 75) = 60",
			docAlgo, algorithmOnly, 50, []MetricSample{cpu(75, pods(50, 90)...)}, 60, "ratio 1.200"},
		{"if the current metric value is 200m, and the desired value is 100m, the number of replicas will be doubled",
			docAlgo, algorithmOnly, 1, []MetricSample{avg("qps", 0.1, pod(0.2))}, 2, "ratio 2.000"},
		{"if the current value is instead 50m, you'll halve the number of replicas",
			docAlgo, algorithmOnly, 4, []MetricSample{avg("qps", 0.1, pods(4, 0.05)...)}, 2, ""},
		{"the control plane skips any scaling action if the ratio is sufficiently close to 1.0 (1.05 within 0.1)",
			docAlgo, algorithmOnly, 2, []MetricSample{cpu(100, pod(105), pod(105))}, 2, "within tolerance"},
		{"ratio 0.91 is within tolerance too",
			docAlgo, algorithmOnly, 10, []MetricSample{cpu(100, pods(10, 91)...)}, 10, "within tolerance"},
		{"the HPA controller evaluates each metric, and proposes a new scale based on that metric. The largest of the proposed scales will be used",
			docAlgo, algorithmOnly, 3, []MetricSample{cpu(50, pod(60), pod(60), pod(60)), avg("qps", 10, pod(20), pod(20), pod(20))}, 6, "largest: 6"},
		{"several metrics: every metric below target scales down to the largest proposal",
			docAlgo, algorithmOnly, 10, []MetricSample{cpu(50, pods(10, 10)...), avg("qps", 10, pods(10, 5)...)}, 5, ""},
		{"clamped to maxReplicas",
			docAlgo, func(c *HPAConfig) { algorithmOnly(c); c.MaxReplicas = 5 }, 4, []MetricSample{cpu(50, pods(4, 100)...)}, 5, "clamped to max_replicas 5"},
		{"clamped to minReplicas",
			docAlgo, func(c *HPAConfig) { algorithmOnly(c); c.MinReplicas = 3 }, 6, []MetricSample{cpu(50, pods(6, 5)...)}, 3, "clamped to min_replicas 3"},
		{"current above maxReplicas is brought to maxReplicas whatever the metrics",
			docAlgo, algorithmOnly, 150, []MetricSample{cpu(50, pods(150, 50)...)}, 100, "above max_replicas"},
		{"a target scaled to zero replicas disables autoscaling",
			docAlgo, algorithmOnly, 0, []MetricSample{cpu(50, pod(100))}, 0, "disabled"},
		{"missing metrics, scale-down: assume those pods were consuming 100% of the desired value (TestReplicaCalcMissingMetrics)",
			k8sCalcTest, algorithmOnly, 4, []MetricSample{cpu(100, pod(40), pod(9.5), missing, missing)}, 3, "2 missing"},
		{"missing metrics on a cpu utilisation scale-down count as 100% of the request, not of a 50% target (TestReplicaCalcMissingMetricsUnreadyScaleDown)",
			k8sCalcTest, algorithmOnly, 4, []MetricSample{cpu(50, unreadyPod(10), pod(10), pod(10), missing)}, 3, ""},
		{"missing metrics on an average-value scale-down count as the target: (2+2+10+10)/4 = 6 of 10",
			docAlgo, algorithmOnly, 4, []MetricSample{avg("qps", 10, pod(2), pod(2), missing, missing)}, 3, ""},
		{"missing pods at exactly the target: no change (TestReplicaCalcMissingMetricsNoChangeEq)",
			k8sCalcTest, algorithmOnly, 2, []MetricSample{cpu(100, pod(100), missing)}, 2, ""},
		{"missing counted as 0% on scale-up brings 190% to 95%, within tolerance: no change (TestReplicaCalcMissingMetricsNoChangeGt)",
			k8sCalcTest, algorithmOnly, 2, []MetricSample{cpu(100, pod(190), missing)}, 2, "within tolerance"},
		{"missing counted as 100% on scale-down reverses the direction: no change (TestReplicaCalcMissingMetricsNoChangeLt)",
			k8sCalcTest, algorithmOnly, 2, []MetricSample{cpu(100, pod(60), missing)}, 2, ""},
		{"missing and not-ready pods counted as 0% on scale-up (TestReplicaCalcMissingMetricsUnreadyScaleUp)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{cpu(50, unreadyPod(10), pod(200), missing)}, 4, "1 missing and 1 unready"},
		{"missing with an unready pod: 90% of target within tolerance, but recomputed it reverses: no change (TestReplicaCalcMissingMetricsUnreadyChange)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{cpu(50, unreadyPod(10), pod(45), missing)}, 3, ""},
		{"as above with a hot pod (TestReplicaCalcMissingMetricsHotCpuNoChange)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{cpu(50, hotPod(10, true), pod(45), missing)}, 3, ""},
		{"not-ready pods counted as 0% on scale-up dampen it (TestReplicaCalcScaleUpUnreadyLessScale)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{cpu(30, unreadyPod(30), pod(50), pod(70))}, 4, "0 missing and 1 unready"},
		{"not-ready pods counted as 0% reverse the scale-up: the decision is cancelled (TestReplicaCalcScaleUpUnreadyNoScale)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{cpu(30, pod(40), unreadyPod(50), unreadyPod(70))}, 3, "reverse"},
		{"a pod within the cpu initialisation period is set aside (TestReplicaCalcScaleUpHotCpuLessScale)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{cpu(30, hotPod(30, true), pod(50), pod(70))}, 4, ""},
		{"hot, not-ready pods reverse the scale-up (TestReplicaCalcScaleHotCpuNoScale)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{cpu(30, pod(40), hotPod(50, false), hotPod(70, false))}, 3, ""},
		{"readiness only matters for cpu: a custom metric counts its unready hot pod (TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{avg("qps", 15000, pod(50000), pod(10000), hotPod(30000, false))}, 6, ""},
		{"scale up by cpu (TestReplicaCalcScaleUp)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{cpu(30, pod(30), pod(50), pod(70))}, 5, ""},
		{"scale up by a custom metric (TestReplicaCalcScaleUpCM)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{avg("qps", 15000, pod(20000), pod(10000), pod(30000))}, 4, ""},
		{"scale down by cpu (TestReplicaCalcScaleDown)",
			k8sCalcTest, algorithmOnly, 5, []MetricSample{cpu(50, pod(10), pod(30), pod(50), pod(25), pod(25))}, 3, "cpu 28 of 50"},
		{"scale down by a custom metric (TestReplicaCalcScaleDownCM)",
			k8sCalcTest, algorithmOnly, 5, []MetricSample{avg("qps", 20000, pods(5, 12000)...)}, 3, ""},
		{"unready pods are set aside on scale-down and the count is over ready pods (TestReplicaCalcScaleDownIncludeUnreadyPods)",
			k8sCalcTest, algorithmOnly, 5, []MetricSample{cpu(50, pod(10), pod(30), pod(50), unreadyPod(25), unreadyPod(25))}, 2, ""},
		{"pending pods are set aside (TestReplicaCalcScaleDownExcludeUnscheduledPods)",
			k8sCalcTest, algorithmOnly, 5, []MetricSample{cpu(50, pod(10), PodMetric{Pending: true}, PodMetric{Pending: true}, PodMetric{Pending: true}, PodMetric{Pending: true})}, 1, ""},
		{"hot pods are set aside on scale-down (TestReplicaCalcScaleDownIgnoreHotCpuPods)",
			k8sCalcTest, algorithmOnly, 5, []MetricSample{cpu(50, pod(10), pod(30), pod(50), hotPod(25, true), hotPod(25, true))}, 2, ""},
		{"102% of a 100% target is within tolerance (TestReplicaCalcTolerance, equal requests)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{cpu(100, pod(101), pod(103), pod(102))}, 3, "within tolerance"},
		{"20666 of 20000 is within tolerance (TestReplicaCalcToleranceCM)",
			k8sCalcTest, algorithmOnly, 3, []MetricSample{avg("qps", 20000, pod(20000), pod(21000), pod(21000))}, 3, "within tolerance"},
		{"a metric without any ready sample blocks a scale-down by the others",
			docAlgo, algorithmOnly, 4, []MetricSample{cpu(50, pods(4, 10)...), avg("qps", 10, missing, missing, missing, missing)}, 4, "invalid metrics"},
		{"a metric without any ready sample does not block a scale-up by the others",
			docAlgo, algorithmOnly, 4, []MetricSample{cpu(50, pods(4, 100)...), avg("qps", 10, missing, missing, missing, missing)}, 8, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg HPAConfig
			tt.cfg(&cfg)
			h, err := NewHPA(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, why := h.Reconcile(coolNow, tt.current, tt.metrics)
			if got != tt.want || !strings.Contains(why, tt.why) {
				t.Errorf("Reconcile(current=%d) = %d, %q; want %d containing %q\nsource: %s", tt.current, got, why, tt.want, tt.why, tt.source)
			}
		})
	}
}

// sync is one call of Reconcile in a behavior row: at second At, with a
// load of Load units spread evenly over the current pods (target 1 per
// pod, so Load is the replica count the metric asks for, give or take
// the ceiling).
type sync struct {
	At   int
	Load float64
	Want int
	Why  string // a fragment the explanation must contain, if any
}

// TestHPABehavior checks the documented scaling behavior: stabilisation
// windows, rate-limit policies and select policies, over several syncs.
// Each sync starts from the replica count the previous one returned.
func TestHPABehavior(t *testing.T) {
	scaleDownWindow0 := func(c *HPAConfig) {
		c.MaxReplicas = 1000
		c.Behavior.ScaleDown = &ScalingRules{StabilizationWindowSeconds: intPtr(0)}
	}
	docScaleDown := func(c *HPAConfig) {
		c.MaxReplicas = 1000
		c.Behavior.ScaleDown = &ScalingRules{StabilizationWindowSeconds: intPtr(0), Policies: []ScalingPolicy{
			{Type: PolicyPods, Value: 4, PeriodSeconds: 60},
			{Type: PolicyPercent, Value: 10, PeriodSeconds: 60},
		}}
	}
	tests := []struct {
		name  string
		cfg   func(*HPAConfig)
		start int
		syncs []sync
	}{
		{"scale-down stabilisation (default 300 s): the highest recommendation within the window is used",
			func(c *HPAConfig) { c.MaxReplicas = 100 }, 10,
			[]sync{{0, 10, 10, ""}, {15, 4.5, 10, "scale-down stabilised at 10"}, {30, 4.5, 10, ""}, {150, 8.5, 10, ""}, {285, 4.5, 10, ""}, {300, 4.5, 9, ""}, {420, 4.5, 9, ""}, {450, 4.5, 5, ""}}},
		{"scale-up default: max(100%, 4 pods) per 15 s, from 1 pod at most 5",
			func(c *HPAConfig) { c.MaxReplicas = 1000 }, 1,
			[]sync{{0, 100, 5, "limited by the scale_up policies (Max) to 5"}}},
		{"scale-up default: from 10 pods at most 20",
			func(c *HPAConfig) { c.MaxReplicas = 1000 }, 10,
			[]sync{{0, 100, 20, ""}}},
		{"scale-up default: the limit counts the pods added within the period",
			func(c *HPAConfig) { c.MaxReplicas = 1000 }, 1,
			[]sync{{0, 100, 5, ""}, {5, 100, 5, ""}, {15, 100, 10, ""}, {30, 100, 20, ""}, {45, 100, 40, ""}, {60, 100, 80, ""}, {75, 100, 100, ""}}},
		{"scale-up clamped to maxReplicas below the policy limit",
			func(c *HPAConfig) { c.MaxReplicas = 7 }, 4,
			[]sync{{0, 100, 7, "clamped to max_replicas 7"}}},
		{"scaleDown Percent 10 per 60 s: 80 replicas to 10 remove 8, then 10% of 72 = 7.2 rounded up to 8",
			docScaleDown, 80,
			[]sync{{0, 9.5, 72, ""}, {30, 9.5, 72, ""}, {60, 9.5, 64, ""}, {120, 9.5, 57, ""}}},
		{"scaleDown Pods 4 and Percent 10 per 60 s: below 40 replicas the Pods policy removes 4",
			docScaleDown, 30,
			[]sync{{0, 9.5, 26, ""}, {60, 9.5, 22, ""}}},
		{"scaleUp selectPolicy Min: the smallest change, min(100%, 4 pods) from 10 is 14",
			func(c *HPAConfig) { c.MaxReplicas = 1000; c.Behavior.ScaleUp = &ScalingRules{SelectPolicy: SelectMin} }, 10,
			[]sync{{0, 100, 14, ""}, {15, 100, 18, ""}}},
		{"scaleUp selectPolicy Min from 1: 100% adds 1",
			func(c *HPAConfig) { c.MaxReplicas = 1000; c.Behavior.ScaleUp = &ScalingRules{SelectPolicy: SelectMin} }, 1,
			[]sync{{0, 100, 2, ""}}},
		{"scaleDown selectPolicy Disabled: no scale-down at all",
			func(c *HPAConfig) {
				scaleDownWindow0(c)
				c.Behavior.ScaleDown.SelectPolicy = SelectDisabled
			}, 10,
			[]sync{{0, 1.5, 10, ""}, {600, 1.5, 10, ""}, {615, 100, 20, ""}}},
		{"scaleUp selectPolicy Disabled: no scale-up, scale-down still works",
			func(c *HPAConfig) {
				scaleDownWindow0(c)
				c.Behavior.ScaleUp = &ScalingRules{SelectPolicy: SelectDisabled}
			}, 10,
			[]sync{{0, 100, 10, ""}, {15, 4.5, 5, ""}}},
		{"scale-up stabilisation of 60 s: the lowest recommendation within the window is used",
			func(c *HPAConfig) {
				c.MaxReplicas = 1000
				c.Behavior.ScaleUp = &ScalingRules{StabilizationWindowSeconds: intPtr(60)}
			}, 4,
			[]sync{{0, 4, 4, ""}, {15, 7.5, 4, ""}, {45, 7.5, 4, ""}, {60, 7.5, 8, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg HPAConfig
			tt.cfg(&cfg)
			h, err := NewHPA(cfg)
			if err != nil {
				t.Fatal(err)
			}
			current := tt.start
			for _, s := range tt.syncs {
				m := avg("load", 1, pods(current, s.Load/float64(current))...)
				got, why := h.Reconcile(sim.At(time.Duration(s.At)*time.Second), current, []MetricSample{m})
				if got != s.Want || !strings.Contains(why, s.Why) {
					t.Fatalf("t=%ds current=%d load=%g: got %d (%s), want %d (%q)\nsource: %s", s.At, current, s.Load, got, why, s.Want, s.Why, docBehavior)
				}
				current = got
			}
		})
	}
}

func TestHPAConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   func(*HPAConfig)
		field string // "" if valid
	}{
		{"defaults with max", func(c *HPAConfig) {}, ""},
		{"max below min", func(c *HPAConfig) { c.MinReplicas = 5; c.MaxReplicas = 4 }, "max_replicas"},
		{"negative min", func(c *HPAConfig) { c.MinReplicas = -1 }, "min_replicas"},
		{"tolerance 1", func(c *HPAConfig) { one := 1.0; c.Tolerance = &one }, "tolerance"},
		{"zero tolerance is allowed", func(c *HPAConfig) { z := 0.0; c.Tolerance = &z }, ""},
		{"bad select policy", func(c *HPAConfig) { c.Behavior.ScaleUp = &ScalingRules{SelectPolicy: "Most"} }, "behavior.scale_up.select_policy"},
		{"window too long", func(c *HPAConfig) { c.Behavior.ScaleDown = &ScalingRules{StabilizationWindowSeconds: intPtr(3601)} }, "behavior.scale_down.stabilization_window_seconds"},
		{"bad policy type", func(c *HPAConfig) {
			c.Behavior.ScaleDown = &ScalingRules{Policies: []ScalingPolicy{{Type: "Pod", Value: 1, PeriodSeconds: 1}}}
		}, "behavior.scale_down.policies[0].type"},
		{"zero period", func(c *HPAConfig) {
			c.Behavior.ScaleUp = &ScalingRules{Policies: []ScalingPolicy{{Type: PolicyPods, Value: 1}}}
		}, "behavior.scale_up.policies[0].period_seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := HPAConfig{MaxReplicas: 10}
			tt.cfg(&cfg)
			_, err := NewHPA(cfg)
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.field != "" && (err == nil || !strings.Contains(err.Error(), tt.field+":") || !errors.Is(err, ErrConfig)):
				t.Fatalf("error %v, want one naming %s and wrapping ErrConfig", err, tt.field)
			}
		})
	}
}

func TestHPADefaults(t *testing.T) {
	h, err := NewHPA(HPAConfig{MaxReplicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	c := h.Config()
	if c.MinReplicas != 1 || c.SyncPeriod != 15*time.Second || *c.Tolerance != 0.1 ||
		*c.Behavior.ScaleDown.StabilizationWindowSeconds != 300 || *c.Behavior.ScaleUp.StabilizationWindowSeconds != 0 ||
		c.CPUInitializationPeriod != 5*time.Minute || c.InitialReadinessDelay != 30*time.Second {
		t.Fatalf("defaults: %+v", c)
	}
}
