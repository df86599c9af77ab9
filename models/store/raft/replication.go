package raft

import "github.com/faultline-sim/faultline/models/store"

// maxBatch caps the entries one AppendEntries carries.
const maxBatch = 64

func (r *replica) lastIndex() uint64 { return uint64(len(r.log) - 1) }

// heartbeat sends AppendEntries to every follower and rearms the tick.
func (r *replica) heartbeat() {
	if r.role != leader {
		return
	}
	r.broadcast()
	r.tick = r.c.k.AfterTimer(r.c.cfg.HeartbeatTimeout/10, r.id, kindHeartbeat, 0, 0)
}

func (r *replica) broadcast() {
	for j := range r.c.replicas {
		if j != r.i {
			r.sendAppend(j)
		}
	}
}

// sendAppend sends follower j the log from its nextIndex (up to maxBatch
// entries) and the leader's commit index; with nothing new it is a
// heartbeat.
func (r *replica) sendAppend(j int) {
	prev := r.next[j] - 1
	end := min(r.lastIndex(), prev+maxBatch)
	var batch []entry
	if end > prev {
		batch = append([]entry(nil), r.log[prev+1:end+1]...)
	}
	r.c.send(r.i, j, message{kind: msgAppend, from: r.i, term: r.term,
		index: prev, logTerm: r.log[prev].term, entries: batch, commit: r.commit})
}

// onAppend accepts the leader of the current term, checks log matching,
// appends (truncating a conflicting suffix) and follows the leader's
// commit index as far as it has verified the log.
func (r *replica) onAppend(m *message) {
	if m.term < r.term {
		r.c.send(r.i, m.from, message{kind: msgAppendResp, from: r.i, term: r.term, match: r.lastIndex()})
		return
	}
	if r.role != follower || r.leader != m.from {
		r.becomeFollower(m.term, m.from)
	}
	r.lastContact = r.c.k.Now()
	if m.index > r.lastIndex() || r.log[m.index].term != m.logTerm {
		hint := min(r.lastIndex(), m.index-1)
		r.c.send(r.i, m.from, message{kind: msgAppendResp, from: r.i, term: r.term, match: hint})
		return
	}
	for n, e := range m.entries {
		idx := m.index + 1 + uint64(n)
		if idx <= r.lastIndex() {
			if r.log[idx].term == e.term {
				continue
			}
			r.log = r.log[:idx]
		}
		r.log = append(r.log, e)
	}
	match := m.index + uint64(len(m.entries))
	if c := min(m.commit, match); c > r.commit {
		r.commit = c
		r.apply()
	}
	r.c.send(r.i, m.from, message{kind: msgAppendResp, from: r.i, term: r.term, ok: true, match: match})
}

func (r *replica) onAppendResp(m *message) {
	if r.role != leader || m.term != r.term {
		return
	}
	j := m.from
	r.contact[j] = r.c.k.Now()
	if m.ok {
		r.match[j] = max(r.match[j], m.match)
		r.next[j] = r.match[j] + 1
		r.maybeCommit()
		return
	}
	r.next[j] = max(1, min(r.next[j]-1, m.match+1))
	r.sendAppend(j)
}

// maybeCommit advances the commit index to the highest entry of the
// current term stored on a majority (Raft §5.4.2: earlier terms' entries
// commit only with one of the current term).
func (r *replica) maybeCommit() {
	for n := r.lastIndex(); n > r.commit && r.log[n].term == r.term; n-- {
		if r.replicatedOn(n) >= r.c.majority() {
			r.commit = n
			r.apply()
			return
		}
	}
}

func (r *replica) replicatedOn(n uint64) int {
	count := 0
	for j, m := range r.match {
		if j == r.i || m >= n {
			count++
		}
	}
	return count
}

// apply runs committed entries through the state machine in order and
// answers the leader's pending op at each.
func (r *replica) apply() {
	for r.applied < r.commit {
		r.applied++
		out := r.applyEntry(&r.log[r.applied])
		if len(r.pending) > 0 && r.pending[0].index == r.applied {
			p := r.pending[0]
			r.pending = r.pending[1:]
			r.c.k.Cancel(p.timer)
			r.answer(p.op, p.caller, store.StatusOK, out, int64(r.applied))
		}
	}
}

// applyEntry changes the state machine and returns the op's Out: the
// value read, or 1 when a CAS swapped.
func (r *replica) applyEntry(e *entry) int64 {
	switch e.kind {
	case entryGet:
		return r.kv[e.key]
	case entryPut:
		r.kv[e.key] = e.value
	case entryCAS:
		if r.kv[e.key] != e.expect {
			return 0
		}
		r.kv[e.key] = e.value
		return 1
	}
	return 0
}
