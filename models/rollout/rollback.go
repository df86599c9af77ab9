package rollout

// Rollback judges the new version by the errors and requests it served
// over the last rollback.window and aborts the rollout when the window
// holds at least rollback.min_requests (and at least one) requests and
// their error rate exceeds rollback.error_rate. It returns true on the
// call that aborts; from then on Plan rolls back to the old version.
// Without a rollback config, after an abort, and once Plan has reported
// the rollout done, it never aborts: the analysis runs only while the
// rollout does.
func (p *Planner) Rollback(errors, requests int) bool {
	r := p.cfg.Rollback
	if r == nil || p.rolledBack || p.done {
		return false
	}
	if requests <= 0 || requests < r.MinRequests {
		return false
	}
	if float64(errors) <= r.ErrorRate*float64(requests) {
		return false
	}
	p.rolledBack = true
	p.progress = progress{} // the rollback is a new rollout with its own deadline
	return true
}
