package service

import "github.com/faultline-sim/faultline/sim"

// Deadlines is where callers leave the deadline of each request they send,
// so that the instance serving it can tell when its caller has given up
// (the deadline a gRPC client propagates in its request's metadata). One
// table serves a whole world; the key is the caller's handler and its
// request ID, which the protocol already carries. A nil *Deadlines is an
// empty table that ignores writes.
type Deadlines struct {
	m map[deadlineKey]sim.Time
}

type deadlineKey struct {
	caller sim.HandlerID
	id     int64
}

// NewDeadlines returns an empty table.
func NewDeadlines() *Deadlines { return &Deadlines{m: map[deadlineKey]sim.Time{}} }

// Set records that caller's request id must be answered by at.
func (d *Deadlines) Set(caller sim.HandlerID, id int64, at sim.Time) {
	if d != nil {
		d.m[deadlineKey{caller, id}] = at
	}
}

// Clear forgets caller's request id: its attempt has ended.
func (d *Deadlines) Clear(caller sim.HandlerID, id int64) {
	if d != nil {
		delete(d.m, deadlineKey{caller, id})
	}
}

// Of returns the deadline of request r, if its caller left one. Entries
// go when the instance answers (Clear from sendReply): a caller that times
// out leaves its entry for the instance to find expired. Only requests
// lost on the network leave entries behind.
func (d *Deadlines) Of(r Request) (sim.Time, bool) {
	if d == nil {
		return 0, false
	}
	at, ok := d.m[deadlineKey{r.Caller, r.ID}]
	return at, ok
}

// Len returns the number of deadlines held (for tests: callers clean up).
func (d *Deadlines) Len() int {
	if d == nil {
		return 0
	}
	return len(d.m)
}
