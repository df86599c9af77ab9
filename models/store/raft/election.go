package raft

import (
	"slices"

	"github.com/faultline-sim/faultline/sim"
)

// campaign runs when the election timer fires: a follower that heard no
// leader, or a candidate that did not win, starts an election in the next
// term.
func (r *replica) campaign() {
	if r.role == leader {
		return
	}
	// As hashicorp/raft's follower loop: the timer fires every [T, 2T)
	// whatever it hears, and only a fire that finds no contact (an
	// AppendEntries from the leader or a granted vote) for T or more
	// starts an election. Contact does not re-arm the timer, so noticing
	// a lost leader takes T plus the rest of the timer's current cycle.
	if r.role == follower && r.c.k.Now().Sub(r.lastContact) < r.c.cfg.HeartbeatTimeout && r.lastContact != 0 {
		r.resetElection(r.c.cfg.HeartbeatTimeout)
		return
	}
	r.role, r.leader = candidate, -1
	r.round++
	if r.c.cfg.PreVoteDisabled {
		r.electSelf()
		return
	}
	// Pre-vote (hashicorp/raft's default since v1.7): ask whether the
	// others would vote for us in the next term before moving to it, so
	// that a replica cut off from the majority does not inflate terms
	// and depose the leader when the cut heals. A refused pre-vote waits
	// for the election timer and asks again.
	r.preVote, r.votes = true, 1
	r.resetElection(r.c.cfg.ElectionTimeout)
	last := r.lastIndex()
	r.sendAll(message{kind: msgPreVote, from: r.i, term: r.term + 1, index: last, logTerm: r.log[last].term, round: r.round})
	if r.votes >= r.c.majority() {
		r.electSelf()
	}
}

// electSelf moves to the next term and asks everyone for their vote.
func (r *replica) electSelf() {
	r.term++
	r.votedFor, r.votes, r.preVote = r.i, 1, false
	r.resetElection(r.c.cfg.ElectionTimeout)
	last := r.lastIndex()
	r.sendAll(message{kind: msgVote, from: r.i, term: r.term, index: last, logTerm: r.log[last].term, round: r.round})
	if r.votes >= r.c.majority() {
		r.becomeLeader()
	}
}

func (r *replica) sendAll(m message) {
	for j := range r.c.replicas {
		if j != r.i {
			r.c.send(r.i, j, m)
		}
	}
}

// upToDate reports whether a candidate whose last entry is (index,
// logTerm) has a log at least as up to date as this replica's (Raft
// §5.4.1).
func (r *replica) upToDate(index, logTerm uint64) bool {
	last := r.lastIndex()
	return logTerm > r.log[last].term || (logTerm == r.log[last].term && index >= last)
}

// refuse turns down a vote or pre-vote: the answer of a replica that
// knows a leader.
func (r *replica) refuse(m *message) {
	kind := msgVoteResp
	if m.kind == msgPreVote {
		kind = msgPreVoteResp
	}
	r.c.send(r.i, m.from, message{kind: kind, from: r.i, term: r.term, round: m.round})
}

// onVote grants a vote at most once per term, and only to a candidate
// whose log is at least as up to date as this replica's.
func (r *replica) onVote(m *message) {
	grant := m.term == r.term && (r.votedFor < 0 || r.votedFor == m.from) && r.upToDate(m.index, m.logTerm)
	if grant {
		r.votedFor = m.from
		r.lastContact = r.c.k.Now()
	}
	r.c.send(r.i, m.from, message{kind: msgVoteResp, from: r.i, term: r.term, ok: grant, round: m.round})
}

func (r *replica) onVoteResp(m *message) {
	if r.role != candidate || r.preVote || m.term != r.term || m.round != r.round || !m.ok {
		return
	}
	r.votes++
	if r.votes >= r.c.majority() {
		r.becomeLeader()
	}
}

// onPreVote grants a pre-vote, as hashicorp/raft does, to a candidate
// whose proposed term is not behind this replica's and whose log is at
// least as up to date; it records nothing (the voter's term and vote
// stay as they are), so it may grant several candidates.
func (r *replica) onPreVote(m *message) {
	grant := m.term >= r.term && r.upToDate(m.index, m.logTerm)
	r.c.send(r.i, m.from, message{kind: msgPreVoteResp, from: r.i, term: max(r.term, m.term), ok: grant, round: m.round})
}

// onPreVoteResp counts the answers of this round's pre-vote; a majority
// of grants starts the election, a higher term sends the candidate back
// to following.
func (r *replica) onPreVoteResp(m *message) {
	if r.role != candidate || !r.preVote || m.round != r.round {
		return
	}
	if m.term > r.term+1 {
		r.becomeFollower(m.term, -1)
		return
	}
	if !m.ok {
		return
	}
	r.votes++
	if r.votes >= r.c.majority() {
		r.electSelf()
	}
}

// becomeLeader takes over: it appends a no-op of its term (so that
// entries of earlier terms commit with it), replicates it at once and
// starts its heartbeat and lease check. Every follower counts as heard
// from now, as in hashicorp/raft.
func (r *replica) becomeLeader() {
	n := len(r.c.replicas)
	r.c.k.Cancel(r.timer)
	r.role, r.leader = leader, r.i
	r.next, r.match = make([]uint64, n), make([]uint64, n)
	r.contact = make([]sim.Time, n)
	now := r.c.k.Now()
	r.log = append(r.log, entry{term: r.term, kind: entryNoop})
	r.termStart = r.lastIndex()
	for j := range n {
		r.next[j], r.contact[j] = r.termStart, now
	}
	r.match[r.i] = r.termStart
	r.c.elected(r.i, r.term)
	r.broadcast()
	r.maybeCommit()
	r.tick = r.c.k.AfterTimer(r.c.cfg.HeartbeatTimeout/10, r.id, kindHeartbeat, 0, 0)
	if r.c.cfg.ReadMode != ReadLocal {
		r.lease = r.c.k.AfterTimer(r.c.cfg.LeaderLeaseTimeout, r.id, kindLease, 0, 0)
	}
}

// leaseExpiry returns when the leader's lease ends: LeaderLeaseTimeout
// after the latest time by which a majority (counting itself, heard now)
// had answered. A single replica's lease never ends.
func (r *replica) leaseExpiry() sim.Time {
	need := r.c.majority() - 1 // followers needed besides the leader
	if need == 0 {
		return sim.MaxTime
	}
	times := make([]sim.Time, 0, len(r.contact)-1)
	for j, t := range r.contact {
		if j != r.i {
			times = append(times, t)
		}
	}
	slices.Sort(times)
	return times[len(times)-need].Add(r.c.cfg.LeaderLeaseTimeout)
}

// leaseHolds reports whether a majority answered within the lease.
func (r *replica) leaseHolds() bool { return r.leaseExpiry() > r.c.k.Now() }

// checkLease steps down when the lease has run out, else checks again
// when it would. In "local" read mode the leader keeps no lease at all
// (as etcd/raft without CheckQuorum): it leads until it hears of a higher
// term, which is what lets a deposed leader serve stale reads.
func (r *replica) checkLease() {
	if r.role != leader {
		return
	}
	exp := r.leaseExpiry()
	if exp <= r.c.k.Now() {
		r.becomeFollower(r.term, -1)
		return
	}
	if exp != sim.MaxTime {
		r.lease = r.c.k.ScheduleTimer(exp, r.id, kindLease, 0, 0)
	}
}
