// Package autoscale holds autoscaling algorithms as pure state machines:
// the Kubernetes Horizontal Pod Autoscaler (HPA) as its documentation and
// controller describe it, a Knative-style concurrency autoscaler (KPA)
// with stable and panic windows, a threshold (step-scaling) policy for
// comparison, a vertical scaler that picks instance sizes from a ladder,
// and a bounded cluster whose autoscaler adds nodes after a provisioning
// delay. None of them schedules kernel events or reads a clock:
// the caller scrapes metrics and calls them with the kernel's Now (every
// HPAConfig.SyncPeriod for the HPA, every second for the KPA), then
// applies the replica count they return. The same inputs in the same
// order always give the same decisions.
//
// The HPA follows the controller of Kubernetes 1.27 and later: the
// replica calculation with tolerance, the setting aside of unready and
// missing pods and the conservative recomputation (missing pods count as
// max(100%, target) of their request on a utilisation scale-down), the
// largest proposal over several metrics, the stabilisation windows and
// the Pods/Percent rate-limit policies of spec.behavior. It assumes that
// every pod requests the same amount of a resource, and it always
// applies spec.behavior (with the documented defaults when none is
// given), where a real HPA created without behavior takes the legacy
// path (scale-up limited to max(2×, 4) per sync).
package autoscale
