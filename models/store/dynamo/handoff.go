package dynamo

// addHint keeps a write meant for target, replacing an older hint for the
// same key, and arms the handoff retries.
func (r *replica) addHint(target, key int, c cell) {
	for j := range r.hints {
		if h := &r.hints[j]; h.target == target && h.key == key {
			if c.newer(h.cell) {
				h.cell = c
			}
			return
		}
	}
	r.hints = append(r.hints, hint{target: target, key: key, cell: c})
	r.armHandoff()
}

// armHandoff schedules the next retry of the hints, if there are any and
// hinted handoff is on.
func (r *replica) armHandoff() {
	if !r.c.cfg.HintedHandoff || r.down || len(r.hints) == 0 || r.c.k.Pending(r.handoff) {
		return
	}
	r.handoff = r.c.k.AfterTimer(r.c.cfg.HandoffInterval, r.id, kindHandoff, 0, 0)
}

// retryHints sends every hint to its intended replica; each stays until
// that replica acknowledges it.
func (r *replica) retryHints() {
	for _, h := range r.hints {
		r.c.send(r.i, h.target, message{kind: msgHandoff, key: h.key, cell: h.cell})
	}
	r.armHandoff()
}

// handedOff drops the hints the intended replica now holds.
func (r *replica) handedOff(m message) {
	kept := r.hints[:0]
	for _, h := range r.hints {
		if h.target != m.from || h.key != m.key || h.cell.newer(m.cell) {
			kept = append(kept, h)
		}
	}
	clear(r.hints[len(kept):])
	r.hints = kept
}
