// Package autoscale holds autoscaling algorithms as pure state machines:
// the Kubernetes Horizontal Pod Autoscaler (HPA) exactly as its
// documentation and controller describe it, a Knative-style concurrency
// autoscaler (KPA) with stable and panic windows, and a simple step-scaling
// policy for comparison. None of them schedules kernel events or reads a
// clock: the caller scrapes metrics and calls them with the kernel's Now
// (every HPAConfig.SyncPeriod for the HPA, every second for the KPA), then
// applies the replica count they return. The same inputs in the same order
// always give the same decisions.
package autoscale
