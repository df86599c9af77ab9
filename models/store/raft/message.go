package raft

import "github.com/faultline-sim/faultline/models/store"

// msgKind is the type of a replica-to-replica message.
type msgKind uint8

const (
	msgVote msgKind = iota
	msgVoteResp
	msgAppend
	msgAppendResp
	msgForward // a client op a follower passes to the leader
	msgPreVote // a pre-vote: would you vote for me in term?
	msgPreVoteResp
)

func (k msgKind) String() string {
	return [...]string{"vote", "vote-resp", "append", "append-resp", "forward", "pre-vote", "pre-vote-resp"}[k]
}

// entry is one log entry. Index 0 of every log is a sentinel of term 0.
type entry struct {
	term   uint64
	kind   entryKind
	key    int
	value  int64 // put: the value; cas: the new value
	expect int64 // cas: the value expected
}

// entryKind is what applying an entry does.
type entryKind uint8

const (
	entryNoop entryKind = iota // a new leader's first entry
	entryGet                   // a read in "log" mode: changes nothing
	entryPut
	entryCAS
)

func entryFor(op *store.Op, term uint64) entry {
	e := entry{term: term, key: op.Key, value: op.Value, expect: op.Expect}
	switch op.Kind {
	case store.Put:
		e.kind = entryPut
	case store.CAS:
		e.kind = entryCAS
	default:
		e.kind = entryGet
	}
	return e
}

// message is the body of a replica-to-replica message. Fields unused by a
// kind stay zero.
type message struct {
	kind msgKind
	from int
	term uint64

	// msgVote, msgPreVote: the candidate's last log entry. msgAppend: the entry
	// before Entries (prevIndex, prevTerm).
	index, logTerm uint64
	entries        []entry
	commit         uint64 // msgAppend: the leader's commit index
	ok             bool   // msgVoteResp, msgPreVoteResp: granted; msgAppendResp: success
	// msgAppendResp: on success the follower's match index, on failure
	// its last index (a hint for the leader's nextIndex).
	match uint64

	// msgVote, msgPreVote and their answers: the candidate's campaign
	// round, echoed so that a late answer counts in no later round.
	round uint32

	op     int32 // msgForward: the op's index in the OpTable
	caller int64 // msgForward: the client, as store.Caller packs it
}

// msgSize is a message's size on the wire: a header plus each entry.
func (m *message) size() int { return 64 + 200*len(m.entries) }
