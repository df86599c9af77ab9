package raft

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// Event kinds of a replica (store.KindOp comes from clients).
const (
	kindMsg          uint32 = 1 // A = message slot
	kindElection     uint32 = 2 // the follower's or candidate's timeout
	kindHeartbeat    uint32 = 3 // the leader's heartbeat tick
	kindLease        uint32 = 4 // the leader's lease check
	kindApplyTimeout uint32 = 5 // A = log index of a pending op
)

// role is a replica's part in the protocol.
type role uint8

const (
	follower role = iota
	candidate
	leader
)

func (r role) String() string { return [...]string{"follower", "candidate", "leader"}[r] }

// pending is a client op the leader has appended and not yet answered.
type pending struct {
	index  uint64 // its log index
	op     int32
	caller int64
	timer  sim.Timer // its apply timeout
}

// replica is one Raft server: a sim.Handler on its own node.
type replica struct {
	c    *Cluster
	i    int
	name string
	node sim.NodeID
	id   sim.HandlerID
	rng  *rand.Rand
	down bool

	// Durable: survive a crash.
	term     uint64
	votedFor int // -1 = none in this term
	log      []entry

	// Volatile.
	role    role
	leader  int // the leader this replica knows of, -1 = none
	commit  uint64
	applied uint64
	kv      map[int]int64
	votes   int       // candidate: votes (or pre-votes) granted, its own included
	preVote bool      // candidate: still in the pre-vote of this round
	round   uint32    // candidate: campaigns started, to tell late answers apart
	timer   sim.Timer // election timeout (follower, candidate)

	lastContact sim.Time // last AppendEntries from the leader or vote granted; 0 for never

	// Leader only.
	next, match []uint64
	contact     []sim.Time // last AppendEntries response from each replica
	termStart   uint64     // index of the no-op that opened this term
	pending     []pending  // by increasing log index
	tick, lease sim.Timer
}

func newReplica(c *Cluster, i int) *replica {
	name := fmt.Sprintf("store/%s/replica-%d", c.name, i)
	r := &replica{c: c, i: i, name: name, rng: c.k.Stream(name),
		node:     c.net.AddNode(fmt.Sprintf("%s-%d", c.name, i)),
		votedFor: -1, log: []entry{{}}, leader: -1, kv: map[int]int64{}}
	r.id = c.k.Register(name, r)
	return r
}

// start makes the replica a follower waiting for a leader.
func (r *replica) start() { r.resetElection(r.c.cfg.HeartbeatTimeout) }

// HandleEvent implements sim.Handler.
func (r *replica) HandleEvent(ev sim.Event) {
	if ev.Kind == kindMsg {
		m := r.c.slab.Take(int32(ev.A))
		if !r.down {
			r.step(&m)
		}
		return
	}
	if r.down {
		return
	}
	switch ev.Kind {
	case store.KindOp:
		r.clientOp(int32(ev.A), ev.B, false)
	case kindElection:
		r.campaign()
	case kindHeartbeat:
		r.heartbeat()
	case kindLease:
		r.checkLease()
	case kindApplyTimeout:
		r.applyTimeout(uint64(ev.A))
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
	case kindElection:
		return "election-timeout"
	case kindHeartbeat:
		return "heartbeat"
	case kindLease:
		return "lease-check"
	case kindApplyTimeout:
		return "apply-timeout"
	}
	return fmt.Sprintf("kind%d", kind)
}

// step handles a message from another replica.
func (r *replica) step(m *message) {
	if m.kind == msgForward {
		r.clientOp(m.op, m.caller, true)
		return
	}
	// As hashicorp/raft: a replica that knows a leader (itself, when it
	// leads) turns down another's vote or pre-vote without even reading
	// its term, so a candidate cannot win until a majority has noticed
	// that the leader is gone, and cannot depose a leader that still
	// leads. A pre-vote never changes the voter's term.
	switch m.kind {
	case msgVote, msgPreVote:
		if r.leader >= 0 && r.leader != m.from {
			r.refuse(m)
			return
		}
	}
	if m.term > r.term && m.kind != msgPreVote && m.kind != msgPreVoteResp {
		r.becomeFollower(m.term, -1)
	}
	switch m.kind {
	case msgPreVote:
		r.onPreVote(m)
	case msgPreVoteResp:
		r.onPreVoteResp(m)
	case msgVote:
		r.onVote(m)
	case msgVoteResp:
		r.onVoteResp(m)
	case msgAppend:
		r.onAppend(m)
	case msgAppendResp:
		r.onAppendResp(m)
	}
}

// timeout draws a timeout in [base, 2·base), or base without jitter.
func (r *replica) timeout(base time.Duration) time.Duration {
	if r.c.cfg.NoJitter {
		return base
	}
	return base + time.Duration(r.rng.Int64N(int64(base)))
}

func (r *replica) resetElection(base time.Duration) {
	r.c.k.Cancel(r.timer)
	r.timer = r.c.k.AfterTimer(r.timeout(base), r.id, kindElection, 0, 0)
}

// becomeFollower moves to term (if higher) as a follower of lead (-1 =
// unknown). A leader steps down: its pending ops are answered Unknown. A
// follower keeps its running timer: only a leader's AppendEntries or a
// granted vote resets it, so a disruptive candidate cannot hold off its
// election.
func (r *replica) becomeFollower(term uint64, lead int) {
	wasFollower := r.role == follower
	if r.role == leader {
		r.stepDown()
	}
	if term > r.term {
		r.term, r.votedFor = term, -1
	}
	r.role, r.leader = follower, lead
	if !wasFollower || !r.c.k.Pending(r.timer) {
		r.resetElection(r.c.cfg.HeartbeatTimeout)
	}
}

// stepDown ends this replica's leadership.
func (r *replica) stepDown() {
	r.c.k.Cancel(r.tick)
	r.c.k.Cancel(r.lease)
	r.answerPending(store.StatusUnknown)
	r.role, r.leader = follower, -1
	r.c.deposed(r.i, r.term)
}

func (r *replica) crash() {
	if r.down {
		return
	}
	if r.role == leader {
		r.c.k.Cancel(r.tick)
		r.c.k.Cancel(r.lease)
		r.c.deposed(r.i, r.term)
	}
	for _, p := range r.pending {
		r.c.k.Cancel(p.timer) // its client will time out
	}
	r.c.k.Cancel(r.timer)
	r.pending = nil
	r.down = true
	r.role, r.leader, r.votes = follower, -1, 0
	r.commit, r.applied = 0, 0
	r.kv = map[int]int64{}
}

func (r *replica) restart() {
	if !r.down {
		return
	}
	r.down = false
	r.start()
}
