package dynamo

import (
	"fmt"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// Event kinds of an async replica, besides kindMsg and kindTimeout
// (A = forward id).
const (
	kindShip    uint32 = 5 // primary: ship the log up to index A
	kindResend  uint32 = 6 // primary: resend what followers lack
	kindRefused uint32 = 7 // follower: the forward A was refused
)

// asyncKind is the type of an async replica-to-replica message.
type asyncKind uint8

const (
	amsgForward     asyncKind = iota // follower -> primary: a client op
	amsgForwardResp                  // primary -> follower: the op is answered in the OpTable
	amsgAppend                       // primary -> follower: log entries from index start
	amsgAppendAck                    // follower -> primary: the index it has applied
)

// logEntry is one write in the primary's log.
type logEntry struct {
	key   int
	value int64
}

// asyncMsg is the body of an async replica-to-replica message.
type asyncMsg struct {
	kind    asyncKind
	from    int
	req     int64 // forward id at the follower
	op      int32 // amsgForward: the op's index in the OpTable
	index   int   // amsgAppend: index of entries[0] (1-based); amsgAppendAck: applied index
	entries []logEntry
}

// asyncReplica is the primary (i = 0) or a follower.
type asyncReplica struct {
	c    *AsyncCluster
	i    int
	name string
	node sim.NodeID
	id   sim.HandlerID
	down bool

	// Durable.
	data    map[int]cell // version = log index
	applied int          // follower: log entries applied
	log     []logEntry   // primary
	acked   []int        // primary: per follower, the index it acknowledged
	sent    []int        // primary: per follower, the index sent so far
	shipped int          // primary: the index whose replication delay is over

	// Volatile.
	fwd     map[int64]forward // follower: ops sent to the primary, by id (lookup only)
	nextFwd int64
	resend  sim.Timer
}

// forward is a client op a follower passed to the primary.
type forward struct {
	op     int32
	caller int64
	timer  sim.Timer
}

func newAsyncReplica(c *AsyncCluster, i int) *asyncReplica {
	name := fmt.Sprintf("store/%s/replica-%d", c.name, i)
	r := &asyncReplica{c: c, i: i, name: name,
		node: c.net.AddNode(fmt.Sprintf("%s-%d", c.name, i)),
		data: map[int]cell{}, fwd: map[int64]forward{}}
	r.id = c.k.Register(name, r)
	return r
}

func (r *asyncReplica) crash() {
	if r.down {
		return
	}
	r.down = true
	for _, f := range r.fwd { // cancelling only: order does not matter
		r.c.k.Cancel(f.timer)
	}
	clear(r.fwd)
	r.c.k.Cancel(r.resend)
}

func (r *asyncReplica) restart() {
	if !r.down {
		return
	}
	r.down = false
	if r.i == 0 {
		r.ship(len(r.log)) // ship events that fell while down were dropped
	}
}

// HandleEvent implements sim.Handler.
func (r *asyncReplica) HandleEvent(ev sim.Event) {
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
		r.forwardFailed(ev.A, store.StatusUnknown)
	case kindRefused:
		r.forwardFailed(ev.A, store.StatusUnavailable)
	case kindShip:
		r.ship(int(ev.A))
	case kindResend:
		r.resendLagging()
	default:
		panic(fmt.Sprintf("%s: unknown event kind %d", r.name, ev.Kind))
	}
}

// KindName implements sim.KindNamer.
func (r *asyncReplica) KindName(kind uint32) string {
	switch kind {
	case store.KindOp:
		return "op"
	case kindMsg:
		return "msg"
	case kindTimeout:
		return "timeout"
	case kindRefused:
		return "refused"
	case kindShip:
		return "ship"
	case kindResend:
		return "resend"
	}
	return fmt.Sprintf("kind%d", kind)
}

func (r *asyncReplica) receive(m asyncMsg) {
	switch m.kind {
	case amsgForward:
		r.execute(m.op)
		r.c.send(r.i, m.from, asyncMsg{kind: amsgForwardResp, req: m.req}, noTarget)
	case amsgForwardResp:
		if f, ok := r.fwd[m.req]; ok {
			r.finishForward(m.req, f)
		}
	case amsgAppend:
		r.appendEntries(m)
	case amsgAppendAck:
		r.acked[m.from] = max(r.acked[m.from], m.index)
	}
}

// clientOp serves op: the primary executes it, a follower answers reads
// from its own state (read_from any) and forwards the rest.
func (r *asyncReplica) clientOp(i int32, caller int64) {
	op := r.c.ops.At(i)
	switch {
	case r.i == 0:
		r.execute(i)
	case op.Kind == store.Get && r.c.cfg.ReadFrom == ReadAny:
		v := r.data[op.Key]
		op.Status, op.Out, op.Version = store.StatusOK, v.value, v.version
	default:
		r.nextFwd++
		id := r.nextFwd
		r.fwd[id] = forward{op: i, caller: caller,
			timer: r.c.k.AfterTimer(r.c.cfg.RequestTimeout, r.id, kindTimeout, id, 0)}
		r.c.send(r.i, 0, asyncMsg{kind: amsgForward, req: id, op: i}, sim.Target{H: r.id, Kind: kindRefused, A: id})
		return
	}
	store.Reply(r.c.net, r.node, r.i, i, caller, 64)
}

// forwardFailed answers a forwarded op the primary did not answer: status
// is StatusUnavailable when the forward was refused, StatusUnknown when it
// timed out (the primary may have applied it; a read is just unavailable).
func (r *asyncReplica) forwardFailed(id int64, status store.Status) {
	f, ok := r.fwd[id]
	if !ok {
		return
	}
	op := r.c.ops.At(f.op)
	if op.Kind == store.Get {
		status = store.StatusUnavailable
	}
	op.Status, op.Out, op.Version = status, 0, 0
	r.finishForward(id, f)
}

func (r *asyncReplica) finishForward(id int64, f forward) {
	r.c.k.Cancel(f.timer)
	delete(r.fwd, id)
	store.Reply(r.c.net, r.node, r.i, f.op, f.caller, 64)
}
