package dynamo

import (
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// request is a client op a replica coordinates: one phase (read or
// write) sent to its targets, waiting for need answers.
type request struct {
	id      int64
	op      int32
	caller  int64
	kind    store.OpKind
	key     int
	write   bool // the write phase (Put, or CAS after its read)
	cell    cell // write: what is written; read: the newest answer, once done
	need    int  // answers that complete the phase: R or W
	got     int  // answers so far
	used    int  // stand-ins taken from the ring so far (sloppy)
	done    bool // answered the client (a read may wait on, to repair)
	timer   sim.Timer
	targets []target
}

// target is a replica a phase was sent to.
type target struct {
	replica  int
	hintFor  int // the intended replica when this one stands in, else -1
	answered bool
	replaced bool // a stand-in was sent in its place
	cell     cell // read: its answer
}

func (r *replica) clientOp(i int32, caller int64) {
	op := r.c.ops.At(i)
	if op.Kind == store.Put {
		r.begin(i, caller, op, true, cell{op.Value, r.stamp()})
		return
	}
	r.begin(i, caller, op, false, cell{})
}

// stamp returns a new write version: the time in ns, shifted to make room
// for the coordinator's index, and above every version it stamped before.
func (r *replica) stamp() int64 {
	v := max(int64(r.c.k.Now())<<8|int64(r.i), r.lastStamp+1<<8)
	r.lastStamp = v
	return v
}

// begin starts a phase of op: sends it to its targets and arms the timeout.
func (r *replica) begin(i int32, caller int64, op *store.Op, write bool, c cell) {
	cfg := &r.c.cfg
	r.nextReq++
	q := &request{id: r.nextReq, op: i, caller: caller, kind: op.Kind, key: op.Key, write: write, cell: c, need: cfg.R}
	if write {
		q.need = cfg.W
	}
	q.targets = r.pick(q.key, q.need)
	r.reqs[q.id] = q
	q.timer = r.c.k.AfterTimer(cfg.RequestTimeout, r.id, kindTimeout, q.id, 0)
	for j := range q.targets {
		r.sendTo(q, j)
	}
}

// pick returns the replicas a phase goes to: key's whole preference list,
// or with QuorumOnly count of them drawn uniformly.
func (r *replica) pick(key, count int) []target {
	n, reps := r.c.cfg.N, len(r.c.replicas)
	start := ringStart(key, reps)
	ts := make([]target, n)
	for j := range ts {
		ts[j] = target{replica: (start + j) % reps, hintFor: -1}
	}
	if !r.c.cfg.QuorumOnly {
		return ts
	}
	for j := range count { // partial Fisher-Yates
		s := j + r.rng.IntN(n-j)
		ts[j], ts[s] = ts[s], ts[j]
	}
	return ts[:count]
}

func (r *replica) sendTo(q *request, j int) {
	t := &q.targets[j]
	m := message{kind: msgRead, req: q.id, key: q.key, hintFor: t.hintFor}
	if q.write {
		m.kind, m.cell = msgWrite, q.cell
	}
	r.c.send(r.i, t.replica, m)
}

// answer records from's answer to q; it reports false for a replica q
// was not waiting on.
func (q *request) answer(from int, c cell) (*target, bool) {
	for j := range q.targets {
		if t := &q.targets[j]; t.replica == from && !t.answered {
			t.answered, t.cell = true, c
			q.got++
			return t, true
		}
	}
	return nil, false
}

func (r *replica) readReply(m message) {
	q := r.reqs[m.req]
	if q == nil || q.write {
		return
	}
	t, ok := q.answer(m.from, m.cell)
	switch {
	case !ok:
	case q.done:
		r.repair(q, t) // a late answer
		if q.got == len(q.targets) {
			r.finish(q)
		}
	case q.got >= q.need:
		r.readDone(q)
	}
}

// readDone completes a read phase with the newest of the answers.
func (r *replica) readDone(q *request) {
	for _, t := range q.targets {
		if t.answered && t.cell.newer(q.cell) {
			q.cell = t.cell
		}
	}
	q.done = true
	for j := range q.targets {
		r.repair(q, &q.targets[j])
	}
	if q.kind == store.CAS {
		r.finish(q)
		r.compare(q)
		return
	}
	r.reply(q, store.StatusOK, q.cell.value, q.cell.version)
	if q.got == len(q.targets) || !*r.c.cfg.ReadRepair {
		r.finish(q)
	}
}

// repair writes the read's result back to t if t answered an older one.
func (r *replica) repair(q *request, t *target) {
	if !*r.c.cfg.ReadRepair || !t.answered || !q.cell.newer(t.cell) {
		return
	}
	r.c.readRepairs++
	r.c.send(r.i, t.replica, message{kind: msgWrite, key: q.key, cell: q.cell, hintFor: t.hintFor})
}

// compare is CAS's decision after its read: not atomic, since another
// coordinator may write between this read and this write.
func (r *replica) compare(q *request) {
	op := r.c.ops.At(q.op)
	if q.cell.value != op.Expect {
		r.reply(q, store.StatusOK, 0, q.cell.version)
		return
	}
	r.begin(q.op, q.caller, op, true, cell{op.Value, r.stamp()})
}

func (r *replica) writeAck(m message) {
	q := r.reqs[m.req]
	if q == nil || !q.write {
		return
	}
	if _, ok := q.answer(m.from, m.cell); ok && q.got >= q.need {
		var out int64
		if q.kind == store.CAS {
			out = 1
		}
		r.reply(q, store.StatusOK, out, q.cell.version)
		r.finish(q)
	}
}

// timeout ends a phase that did not complete in time, unless a sloppy
// quorum can still send it to stand-ins.
func (r *replica) timeout(id int64) {
	q := r.reqs[id]
	switch {
	case q == nil:
	case q.done:
		r.finish(q)
	case r.c.cfg.Sloppy && r.standIn(q):
		q.timer = r.c.k.AfterTimer(r.c.cfg.RequestTimeout, r.id, kindTimeout, q.id, 0)
	case q.write:
		r.reply(q, store.StatusUnknown, 0, 0) // sent: may have been applied
		r.finish(q)
	default:
		r.reply(q, store.StatusUnavailable, 0, 0)
		r.finish(q)
	}
}

// standIn sends the phase to the next replicas on the ring beyond the
// preference list, one for each target that has not answered, and
// reports whether it sent any.
func (r *replica) standIn(q *request) bool {
	n, reps := r.c.cfg.N, len(r.c.replicas)
	start := ringStart(q.key, reps)
	sent := false
	for j, end := 0, len(q.targets); j < end && q.used < reps-n; j++ {
		t := q.targets[j]
		if t.answered || t.replaced {
			continue
		}
		intended := t.hintFor
		if intended < 0 {
			intended = t.replica
		}
		q.targets[j].replaced = true
		q.targets = append(q.targets, target{replica: (start + n + q.used) % reps, hintFor: intended})
		q.used++
		r.sendTo(q, len(q.targets)-1)
		sent = true
	}
	return sent
}

func (r *replica) reply(q *request, s store.Status, out, version int64) {
	op := r.c.ops.At(q.op)
	op.Status, op.Out, op.Version = s, out, version
	store.Reply(r.c.net, r.node, r.i, q.op, q.caller, 64)
}

func (r *replica) finish(q *request) {
	r.c.k.Cancel(q.timer)
	delete(r.reqs, q.id)
}
