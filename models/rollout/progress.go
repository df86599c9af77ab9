package rollout

import "github.com/faultline-sim/faultline/sim"

// progress tracks the Deployment's Progressing condition.
type progress struct {
	last    State
	since   sim.Time
	started bool
}

// Stalled records the state at now and reports whether the rollout has
// gone past its progress deadline: Kubernetes' Progressing=False with
// reason ProgressDeadlineExceeded. The rollout progresses when the
// version it rolls towards (the new one, or the old one after a rollback)
// gains pods or available pods, or the other version loses pods, and a
// complete rollout is never stalled. As in Kubernetes, a stall is only
// reported, never acted on. Call it with the same states as Plan, the
// first when the rollout starts; now must not go back.
func (p *Planner) Stalled(now sim.Time, s State) bool {
	s = p.target(s)
	g := &p.progress
	if !g.started || progressed(g.last, s) || s.complete() {
		g.started = true
		g.since = now
	}
	g.last = s
	return now.Sub(g.since) > p.cfg.ProgressDeadline
}

func progressed(before, after State) bool {
	return after.New.Pods > before.New.Pods || after.New.Available > before.New.Available ||
		after.Old.Pods < before.Old.Pods || after.Desired != before.Desired
}
