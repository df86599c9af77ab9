// Package rollout holds the rolling-update planner of a Kubernetes
// Deployment as a pure state machine, so that a scenario can replace the
// instances of a service version by version and measure what the surge
// and availability settings, a readiness delay and a bad version cost.
//
// The caller owns the pods. It keeps, for the old and the new version,
// how many pods exist and how many are available (ready for at least
// Config.MinReady), and calls Planner.Plan whenever one of those counts
// changes: a pod becomes available, a pod finishes terminating, or the
// desired number of replicas changes. Plan answers with the size each
// version should have now, following the Deployment controller's
// RollingUpdate strategy: the new ReplicaSet is scaled up as far as
// max_surge allows, then the old one is scaled down as far as
// max_unavailable allows, unavailable old pods first. The rollout is done
// when the new version has every desired replica available and the old
// version has no pod left.
//
// An optional analysis in the manner of Argo Rollouts aborts the rollout
// when the new version's error rate over a window passes a threshold
// (Planner.Rollback); from then on Plan rolls back to the old version with
// the same algorithm, the two versions' roles swapped. Planner.Stalled
// reports a rollout that has gone past its progress deadline. Nothing here
// reads a clock: the caller passes the kernel's Now, and Plan keeps no
// state but the abort, so the same counts always give the same decision.
//
// The model works with counts, not individual pods: it cannot tell which
// old pod the caller deletes, and relies on the caller to delete
// unavailable pods before available ones, as the ReplicaSet controller
// does. It has one old ReplicaSet, where a Deployment may have several,
// and a change of the desired replicas during a rollout is not spread
// over the two versions in proportion (the controller's proportional
// scaling): the planner only caps the new version at the new desired
// count and goes on.
package rollout
