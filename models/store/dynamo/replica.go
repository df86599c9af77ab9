package dynamo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// Event kinds of a quorum replica (store.KindOp comes from clients).
const (
	kindMsg         uint32 = 1 // A = message slot
	kindTimeout     uint32 = 2 // A = request id
	kindHandoff     uint32 = 3 // retry the hints
	kindAntiEntropy uint32 = 4 // exchange with a random peer
)

// replica is one server of the quorum store: storage, stand-in for
// others' hints, and coordinator of the client ops it receives.
type replica struct {
	c    *Cluster
	i    int
	name string
	node sim.NodeID
	id   sim.HandlerID
	rng  *rand.Rand
	down bool

	// Durable.
	data  map[int]cell
	hints []hint

	// Volatile.
	reqs      map[int64]*request // by id (lookup only)
	nextReq   int64
	lastStamp int64
	handoff   sim.Timer
	entropy   sim.Timer
}

// hint is a write a stand-in keeps for an unreachable replica.
type hint struct {
	target, key int
	cell
}

func newReplica(c *Cluster, i int) *replica {
	name := fmt.Sprintf("store/%s/replica-%d", c.name, i)
	r := &replica{c: c, i: i, name: name, rng: c.k.Stream(name),
		node: c.net.AddNode(fmt.Sprintf("%s-%d", c.name, i)),
		data: map[int]cell{}, reqs: map[int64]*request{}}
	r.id = c.k.Register(name, r)
	return r
}

// start arms the periodic work: anti-entropy at a random phase, so that
// replicas do not all exchange at once, and handoff if hints are held.
func (r *replica) start() {
	if ae := r.c.cfg.AntiEntropy; ae > 0 {
		r.entropy = r.c.k.AfterTimer(time.Duration(r.rng.Int64N(int64(ae))+1), r.id, kindAntiEntropy, 0, 0)
	}
	r.armHandoff()
}

func (r *replica) crash() {
	if r.down {
		return
	}
	r.down = true
	for _, q := range r.reqs { // cancelling only: order does not matter
		r.c.k.Cancel(q.timer)
	}
	clear(r.reqs)
	r.c.k.Cancel(r.handoff)
	r.c.k.Cancel(r.entropy)
}

func (r *replica) restart() {
	if !r.down {
		return
	}
	r.down = false
	r.start()
}

// HandleEvent implements sim.Handler.
func (r *replica) HandleEvent(ev sim.Event) {
	if r.down {
		if ev.Kind == kindMsg {
			r.c.slab.Take(int32(ev.A))
		}
		return
	}
	switch ev.Kind {
	case store.KindOp:
		r.clientOp(int32(ev.A), ev.B)
	case kindMsg:
		r.receive(r.c.slab.Take(int32(ev.A)))
	case kindTimeout:
		r.timeout(ev.A)
	case kindHandoff:
		r.retryHints()
	case kindAntiEntropy:
		r.exchange()
	default:
		panic(fmt.Sprintf("%s: unknown event kind %d", r.name, ev.Kind))
	}
}

// KindName implements sim.KindNamer.
func (r *replica) KindName(kind uint32) string {
	switch kind {
	case store.KindOp:
		return "op"
	case kindMsg:
		return "msg"
	case kindTimeout:
		return "timeout"
	case kindHandoff:
		return "handoff"
	case kindAntiEntropy:
		return "anti-entropy"
	}
	return fmt.Sprintf("kind%d", kind)
}

func (r *replica) receive(m message) {
	switch m.kind {
	case msgRead:
		r.c.send(r.i, m.from, message{kind: msgReadResp, req: m.req, key: m.key, cell: r.lookup(m.key)})
	case msgWrite:
		r.write(m)
	case msgReadResp:
		r.readReply(m)
	case msgWriteAck:
		r.writeAck(m)
	case msgHandoff:
		r.apply(m.key, m.cell)
		r.c.send(r.i, m.from, message{kind: msgHandoffAck, key: m.key, cell: m.cell})
	case msgHandoffAck:
		r.handedOff(m)
	case msgSync:
		r.merge(m.entries)
		r.c.send(r.i, m.from, message{kind: msgSyncResp, entries: r.shared(m.from)})
	case msgSyncResp:
		r.merge(m.entries)
	}
}

// lookup returns the newest copy of key this replica has, its own or a
// hinted one: a stand-in answers sloppy reads from its hints.
func (r *replica) lookup(key int) cell {
	best := r.data[key]
	for _, h := range r.hints {
		if h.key == key && h.cell.newer(best) {
			best = h.cell
		}
	}
	return best
}

// write stores a coordinator's write, as a hint when it was meant for
// another replica, and acknowledges it unless it is a read repair.
func (r *replica) write(m message) {
	if m.hintFor >= 0 && m.hintFor != r.i {
		r.addHint(m.hintFor, m.key, m.cell)
	} else {
		r.apply(m.key, m.cell)
	}
	if m.req != 0 {
		r.c.send(r.i, m.from, message{kind: msgWriteAck, req: m.req, key: m.key, cell: m.cell})
	}
}

// apply keeps c if it is newer than what the replica holds (last writer
// wins) and reports whether it did.
func (r *replica) apply(key int, c cell) bool {
	if !c.newer(r.data[key]) {
		return false
	}
	r.data[key] = c
	return true
}
