package dynamo

import "github.com/faultline-sim/faultline/models/store"

// execute applies op i at the primary and sets its answer. CAS is atomic
// here: one primary orders every write.
func (r *asyncReplica) execute(i int32) {
	op := r.c.ops.At(i)
	cur := r.data[op.Key]
	op.Status, op.Out, op.Version = store.StatusOK, 0, cur.version
	switch {
	case op.Kind == store.Get:
		op.Out = cur.value
	case op.Kind == store.Put:
		op.Version = r.appendLog(op.Key, op.Value)
	case op.Kind == store.CAS && cur.value == op.Expect:
		op.Out, op.Version = 1, r.appendLog(op.Key, op.Value)
	}
}

// appendLog applies a write, returns its log index and schedules its
// shipping.
func (r *asyncReplica) appendLog(key int, value int64) int64 {
	r.log = append(r.log, logEntry{key: key, value: value})
	idx := len(r.log)
	r.data[key] = cell{value: value, version: int64(idx)}
	r.c.k.After(r.c.cfg.ReplicationDelay, r.id, kindShip, int64(idx), 0)
	return int64(idx)
}

// ship sends each follower the entries up to idx it has not been sent.
func (r *asyncReplica) ship(idx int) {
	r.shipped = max(r.shipped, idx)
	for f := 1; f < len(r.c.replicas); f++ {
		if from := max(r.sent[f], r.acked[f]); from < idx {
			r.sendEntries(f, from, idx)
		}
	}
	r.armResend()
}

// sendEntries sends follower f the entries (from, to].
func (r *asyncReplica) sendEntries(f, from, to int) {
	r.sent[f] = max(r.sent[f], to)
	entries := append([]logEntry(nil), r.log[from:to]...)
	r.c.send(r.i, f, asyncMsg{kind: amsgAppend, index: from + 1, entries: entries}, noTarget)
}

// lagging reports whether a follower has not acknowledged all that was
// shipped.
func (r *asyncReplica) lagging() bool {
	for f := 1; f < len(r.c.replicas); f++ {
		if r.acked[f] < r.shipped {
			return true
		}
	}
	return false
}

func (r *asyncReplica) armResend() {
	if r.lagging() && !r.c.k.Pending(r.resend) {
		r.resend = r.c.k.AfterTimer(r.c.cfg.RequestTimeout, r.id, kindResend, 0, 0)
	}
}

// resendLagging sends every lagging follower what it has not acknowledged:
// what a partition or a crash made it miss.
func (r *asyncReplica) resendLagging() {
	for f := 1; f < len(r.c.replicas); f++ {
		if r.acked[f] < r.shipped {
			r.sendEntries(f, r.acked[f], r.shipped)
		}
	}
	r.armResend()
}

// appendEntries applies, at a follower, the entries it has not applied;
// a batch after a gap is ignored (the primary resends from the gap).
func (r *asyncReplica) appendEntries(m asyncMsg) {
	if m.index <= r.applied+1 {
		for j, e := range m.entries {
			if idx := m.index + j; idx > r.applied {
				r.data[e.key] = cell{value: e.value, version: int64(idx)}
				r.applied = idx
			}
		}
	}
	r.c.send(r.i, 0, asyncMsg{kind: amsgAppendAck, index: r.applied}, noTarget)
}
