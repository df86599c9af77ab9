package rollout

import (
	"fmt"

	"github.com/faultline-sim/faultline/sim"
)

// ReplicaSet counts the pods of one version.
type ReplicaSet struct {
	// Pods is the number of pods the version has that are not
	// terminating: starting, ready or available. It is what the
	// Deployment controller reads as the ReplicaSet's size.
	Pods int
	// Available is how many of Pods have been ready for at least
	// Config.MinReady.
	Available int
	// Terminating is how many deleted pods have not exited yet. They count
	// against the surge, so that the pods running never exceed desired +
	// max_surge; a caller that drops a pod the moment it deletes it (0
	// here, Kubernetes' default) lets them briefly exceed it, as
	// Kubernetes does.
	Terminating int
}

// unavailable is the number of the set's pods that are not available.
func (r ReplicaSet) unavailable() int { return r.Pods - r.Available }

// State is what the caller knows when it asks for a plan.
type State struct {
	// Desired is the Deployment's replicas.
	Desired int
	// Old and New are the version being replaced and the version being
	// rolled out; they keep these roles after a rollback.
	Old, New ReplicaSet
}

// Decision is the size (ReplicaSet.Pods) each version should have now.
// The caller creates pods up to a larger size, and deletes pods down to a
// smaller one, unavailable pods first.
type Decision struct {
	Old, New int
	// Done is true when the state planned from is complete: the target
	// version (the new one, or the old one after a rollback) has every
	// desired replica available and nothing else, and the other version
	// has no pod, terminating ones included. Old and New then repeat the
	// sizes the versions already have.
	Done bool
}

// Planner is the rolling-update planner of one Deployment rollout.
type Planner struct {
	cfg        Config
	rolledBack bool
	done       bool
	progress   progress
}

// New returns the planner of a rollout with cfg (defaults applied).
func New(cfg Config) (*Planner, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Planner{cfg: cfg}, nil
}

// Config returns the planner's settings with defaults applied.
func (p *Planner) Config() Config { return p.cfg }

// AvailableAt returns when a pod that became ready at ready counts as
// available: min_ready later.
func (p *Planner) AvailableAt(ready sim.Time) sim.Time { return ready.Add(p.cfg.MinReady) }

// RolledBack reports whether Rollback has aborted the rollout.
func (p *Planner) RolledBack() bool { return p.rolledBack }

// Plan returns the sizes the two versions should have in state s, as the
// Deployment controller's rolling update sets them. After a rollback it
// rolls the old version back in the same way.
func (p *Planner) Plan(s State) Decision {
	if err := s.validate(); err != nil {
		panic(err) // the caller's counts are broken
	}
	d := plan(&p.cfg, p.target(s))
	if p.rolledBack {
		d.Old, d.New = d.New, d.Old
	}
	p.done = p.done || d.Done
	return d
}

// target returns s with New the version the Deployment rolls towards:
// unchanged while rolling out, swapped after a rollback.
func (p *Planner) target(s State) State {
	if p.rolledBack {
		s.Old, s.New = s.New, s.Old
	}
	return s
}

func plan(c *Config, s State) Decision {
	surge, unavailable := c.Bounds(s.Desired)
	done := s.complete()
	newSize := scaleNew(s, surge)
	// The controller scales the old ReplicaSet down on its next sync,
	// which sees the new one at its new size; doing both here is the
	// same, since nothing else can happen in between.
	s.New.Pods = newSize
	s.New.Available = min(s.New.Available, newSize) // a scale-down deletes unavailable pods first
	oldSize := s.Old.Pods - scaleDownOld(s, s.Desired-unavailable)
	return Decision{Old: oldSize, New: newSize, Done: done}
}

// scaleNew is NewRSNewReplicas: the new size, up by as many pods as the
// surge leaves room for, never above desired.
func scaleNew(s State, surge int) int {
	if s.New.Pods >= s.Desired {
		return s.Desired
	}
	total := s.Old.Pods + s.Old.Terminating + s.New.Pods + s.New.Terminating
	room := s.Desired + surge - total
	if room <= 0 {
		return s.New.Pods
	}
	return s.New.Pods + min(room, s.Desired-s.New.Pods)
}

// scaleDownOld is reconcileOldReplicaSets: how many old pods to delete,
// first unavailable ones (cleanupUnhealthyReplicas), then as many
// available ones as keep minAvailable pods available.
func scaleDownOld(s State, minAvailable int) int {
	if s.Old.Pods == 0 {
		return 0
	}
	// Deleting unhealthy old pods is held back while new pods are
	// unavailable, lest the Deployment fall below minAvailable once the
	// old ones would have become available.
	maxScaledDown := s.Old.Pods + s.New.Pods - minAvailable - s.New.unavailable()
	if maxScaledDown <= 0 {
		return 0
	}
	cleanup := min(maxScaledDown, s.Old.unavailable())
	available := s.Old.Available + s.New.Available
	if available <= minAvailable {
		return cleanup
	}
	return cleanup + min(s.Old.Pods-cleanup, available-minAvailable)
}

// complete reports whether the new version has every desired replica
// available and nothing else is left.
func (s State) complete() bool {
	return s.New.Pods == s.Desired && s.New.Available == s.Desired && s.New.Terminating == 0 &&
		s.Old.Pods == 0 && s.Old.Terminating == 0
}

func (s State) validate() error {
	if s.Desired < 0 {
		return fmt.Errorf("rollout: desired %d < 0", s.Desired)
	}
	for _, r := range []struct {
		name string
		set  ReplicaSet
	}{{"old", s.Old}, {"new", s.New}} {
		if r.set.Available < 0 || r.set.Available > r.set.Pods || r.set.Terminating < 0 {
			return fmt.Errorf("rollout: %s pods %+v: need 0 <= available <= pods, terminating >= 0", r.name, r.set)
		}
	}
	return nil
}
