package raft

import (
	"github.com/faultline-sim/faultline/models/store"
)

// replyBytes is the size of an answer to a client.
const replyBytes = 64

// clientOp handles op i from caller, received from the client or, when
// forwarded, from a follower.
func (r *replica) clientOp(i int32, caller int64, forwarded bool) {
	if r.c.cfg.ReadMode == ReadStale && r.c.ops.At(i).Kind == store.Get {
		// Any replica, leader or not, answers from what it has applied.
		r.answer(i, caller, store.StatusOK, r.kv[r.c.ops.At(i).Key], int64(r.applied))
		return
	}
	if r.role != leader {
		if forwarded || r.leader < 0 {
			r.answer(i, caller, store.StatusUnavailable, 0, 0)
			return
		}
		r.c.send(r.i, r.leader, message{kind: msgForward, from: r.i, op: i, caller: caller})
		return
	}
	op := r.c.ops.At(i)
	if op.Kind == store.Get && r.c.cfg.ReadMode != ReadLog {
		r.readNow(op, i, caller)
		return
	}
	r.log = append(r.log, entryFor(op, r.term))
	idx := r.lastIndex()
	r.match[r.i] = idx
	r.pending = append(r.pending, pending{index: idx, op: i, caller: caller,
		timer: r.c.k.AfterTimer(r.c.cfg.ApplyTimeout, r.id, kindApplyTimeout, int64(idx), 0)})
	r.broadcast()
	r.maybeCommit()
}

// readNow answers a read from the leader's state machine: in "local" mode
// unconditionally, in "lease" mode only while the lease holds and an entry
// of this term has been applied (so that the state machine holds every
// earlier committed write).
func (r *replica) readNow(op *store.Op, i int32, caller int64) {
	if r.c.cfg.ReadMode == ReadLease && (!r.leaseHolds() || r.applied < r.termStart) {
		r.answer(i, caller, store.StatusUnavailable, 0, 0)
		return
	}
	r.answer(i, caller, store.StatusOK, r.kv[op.Key], int64(r.applied))
}

// applyTimeout gives up on the pending op at log index idx: it may still
// commit, so the answer is Unknown.
func (r *replica) applyTimeout(idx uint64) {
	for n, p := range r.pending {
		if p.index == idx {
			r.pending = append(r.pending[:n], r.pending[n+1:]...)
			r.answer(p.op, p.caller, store.StatusUnknown, 0, 0)
			return
		}
	}
}

// answerPending answers every pending op with status, oldest first.
func (r *replica) answerPending(status store.Status) {
	for _, p := range r.pending {
		r.c.k.Cancel(p.timer)
		r.answer(p.op, p.caller, status, 0, 0)
	}
	r.pending = nil
}

// answer sets op i's outcome and sends it straight to its caller.
func (r *replica) answer(i int32, caller int64, status store.Status, out, version int64) {
	op := r.c.ops.At(i)
	op.Status, op.Out, op.Version = status, out, version
	store.Reply(r.c.net, r.node, r.i, i, caller, replyBytes)
}
