package broker

import (
	"fmt"
	"math/rand/v2"

	"github.com/faultline-sim/faultline/sim"
)

// Consumer is one member of the group, on its own node "<name>-consumer-
// <i>"; its handler and random stream (service times, failures) are named
// "broker/<name>/consumer-<i>".
//
// It fetches each partition it owns with a long poll, holds what it
// fetched in a buffer, and processes records with Workers workers, never
// two records of one partition at once and each partition in offset order
// (Kafka's ordering guarantee; Workers 1 is the classic single-threaded
// poll loop). A failed record is retried after RetryBackoff, holding up
// its partition, and after MaxRetries retries goes to the dead-letter
// topic. Offsets are committed as Config.Consumer.Commit says.
//
// A crash loses everything but what was committed; events addressed to a
// crashed consumer are dropped, and its restart rejoins the group as a new
// member (a new incarnation).
type Consumer struct {
	b    *Broker
	idx  int
	name string
	node sim.NodeID
	id   sim.HandlerID
	r    *rand.Rand

	down    bool // crashed
	stopped bool // scaled away, or not started yet
	inc     int64
	gen     uint32
	state   memberState
	owned   []int   // partitions owned in gen, increasing
	parts   []cpart // by partition
	busy    int     // workers processing a record
	rr      int     // round-robin cursor into owned
}

type memberState uint8

const (
	stateStable   memberState = iota // working on its assignment
	stateRevoking                    // rebalance: waiting for records in service
	stateJoined                      // rebalance: revoked and rejoined
)

// cpart is a consumer's view of one partition.
type cpart struct {
	owned     bool
	next      int64 // next offset to process
	end       int64 // fetched up to here: [next, end) is buffered
	committed int64 // the highest commit the broker has acknowledged
	fetching  bool
	seq       uint32
	timer     sim.Timer // the outstanding fetch's timeout
	inService bool
	backoff   bool // waiting RetryBackoff before a retry
	drained   bool // a fetch after the run's end found nothing: stop fetching
	attempts  int  // failed attempts of the record at next
}

func newConsumer(b *Broker, i int) *Consumer {
	name := fmt.Sprintf("broker/%s/consumer-%d", b.cfg.Name, i)
	c := &Consumer{b: b, idx: i, name: name, r: b.k.Stream(name), parts: make([]cpart, len(b.parts)), stopped: true}
	c.node = b.net.AddNode(fmt.Sprintf("%s-consumer-%d", b.cfg.Name, i))
	c.id = b.k.Register(name, c)
	return c
}

// Node returns the consumer's node.
func (c *Consumer) Node() sim.NodeID { return c.node }

// Up reports whether the consumer is running: started, not crashed and
// not scaled away.
func (c *Consumer) Up() bool { return !c.down && !c.stopped }

// Partitions returns the partitions the consumer currently owns.
func (c *Consumer) Partitions() []int { return append([]int(nil), c.owned...) }

// Position returns the next offset the consumer would process in
// partition p, and whether it owns p.
func (c *Consumer) Position(p int) (int64, bool) { return c.parts[p].next, c.parts[p].owned }

// Crash kills the consumer (SIGKILL): it stops heartbeating, and records
// processed since its last commit will be redelivered to whoever gets its
// partitions.
func (c *Consumer) Crash() {
	if c.down {
		return
	}
	c.down = true
	c.reset()
}

// Restart starts a crashed consumer afresh; it rejoins the group. A
// consumer scaled away stays stopped.
func (c *Consumer) Restart() {
	if !c.down {
		return
	}
	c.down = false
	if !c.stopped && c.b.started {
		c.launch()
	}
}

// reset forgets everything in memory and makes pending events stale.
func (c *Consumer) reset() {
	c.inc++
	c.gen, c.state, c.busy, c.rr = 0, stateStable, 0, 0
	c.dropAll()
}

func (c *Consumer) dropAll() {
	for _, p := range c.owned {
		c.b.k.Cancel(c.parts[p].timer)
		c.parts[p] = cpart{seq: c.parts[p].seq} // seq never repeats: stale replies stay stale
	}
	c.owned = c.owned[:0]
}

// launch starts the process: it heartbeats (which joins the group) and
// auto-commits.
func (c *Consumer) launch() {
	c.stopped = false
	if c.down {
		return
	}
	c.reset()
	c.heartbeat()
	c.b.k.After(c.b.cfg.Consumer.AutoCommitInterval, c.id, kindCommitTick, 0, c.inc)
}

// leave is a clean shutdown on scale-in: commit what was processed, leave
// the group, stop. Records in service are abandoned unfinished.
func (c *Consumer) leave() {
	c.stopped = true
	if c.down {
		return
	}
	c.commitAll()
	c.toBroker(kindLeave, int64(c.idx), c.inc)
	c.reset()
}

func (c *Consumer) toBroker(kind uint32, a, b int64) {
	send(c.b.net, c.node, c.b.node, 0, sim.Target{H: c.b.id, Kind: kind, A: a, B: b})
}

func (c *Consumer) heartbeat() {
	c.toBroker(kindHeartbeat, int64(c.idx), c.inc<<32|int64(c.gen))
	if c.b.k.Now() < c.b.until {
		c.b.k.After(c.b.cfg.Group.HeartbeatInterval, c.id, kindHeartbeatTick, 0, c.inc)
	}
}

// HandleEvent implements sim.Handler.
func (c *Consumer) HandleEvent(ev sim.Event) {
	if c.down || c.stopped {
		return
	}
	switch ev.Kind {
	case kindGroupState:
		if ev.B>>1 == c.inc {
			c.onGroupState(uint32(ev.A), ev.B&1 == 1)
		}
	case kindCommitAck:
		_, p, gen := unpackCPS(ev.A)
		c.onCommitAck(p, gen, ev.B)
	case kindFetchReply:
		off, n, over := unpackRange(ev.B)
		c.onFetchReply(int(ev.A>>32), uint32(ev.A), off, n, over)
	default:
		if ev.B == c.inc {
			c.onTimer(ev)
		}
	}
}

// KindName names the consumer's event kinds in traces.
func (c *Consumer) KindName(kind uint32) string { return kindName(kind) }

func (c *Consumer) onTimer(ev sim.Event) {
	switch ev.Kind {
	case kindHeartbeatTick:
		c.heartbeat()
	case kindCommitTick:
		c.commitAll()
		if c.b.k.Now() < c.b.until || c.working() {
			c.b.k.After(c.b.cfg.Consumer.AutoCommitInterval, c.id, kindCommitTick, 0, c.inc)
		}
	case kindDone:
		c.onDone(int(ev.A))
	case kindRetry:
		if p, gen := int(ev.A&0xffff), uint32(ev.A>>32); gen == c.gen && c.parts[p].owned {
			c.parts[p].backoff = false
			c.dispatch()
		}
	case kindFetchTimeout:
		p, seq := int(ev.A>>32), uint32(ev.A)
		if cp := &c.parts[p]; cp.owned && cp.fetching && cp.seq == seq {
			cp.fetching = false
			c.maybeFetch(p)
		}
	}
}

// onGroupState follows the coordinator: stop and rejoin when a rebalance
// is under way, take up the new assignment when it is over.
func (c *Consumer) onGroupState(gen uint32, rebalancing bool) {
	switch {
	case gen < c.gen:
		return // a stale notice
	case rebalancing && c.state == stateStable:
		c.state = stateRevoking
		c.maybeRejoin()
	case rebalancing && c.state == stateJoined:
		c.toBroker(kindJoin, int64(c.idx), c.inc) // the join may have been lost
	case !rebalancing && (gen > c.gen || c.state != stateStable) && c.busy > 0:
		// A generation it missed: finish the records in hand before taking
		// anything new; a later notice brings the assignment.
		c.state = stateRevoking
	case !rebalancing && (gen > c.gen || c.state != stateStable):
		c.adopt(gen)
	}
}

// maybeRejoin finishes revoking once no record is in service: it commits
// what was processed, drops its partitions and rejoins.
func (c *Consumer) maybeRejoin() {
	if c.state != stateRevoking || c.busy > 0 {
		return
	}
	c.commitAll()
	c.dropAll()
	c.state = stateJoined
	c.toBroker(kindJoin, int64(c.idx), c.inc)
}

// adopt takes up the assignment of generation gen, starting every
// partition from its committed offset.
func (c *Consumer) adopt(gen uint32) {
	parts, ok := c.b.assignment(c.idx, gen)
	if !ok {
		return // superseded; a later notice will bring the current one
	}
	c.dropAll()
	c.gen, c.state = gen, stateStable
	c.owned = append(c.owned, parts...)
	for _, p := range parts {
		off := c.b.parts[p].committed
		c.parts[p] = cpart{owned: true, next: off, end: off, committed: off, seq: c.parts[p].seq}
		c.maybeFetch(p)
	}
	c.dispatch()
}

// maybeFetch asks for more of partition p once its buffer is empty.
func (c *Consumer) maybeFetch(p int) {
	cp := &c.parts[p]
	if !cp.owned || c.state != stateStable || cp.fetching || cp.next < cp.end || cp.drained {
		return
	}
	cp.fetching = true
	cp.seq++
	c.toBroker(kindFetch, packCPS(c.idx, p, cp.seq), cp.end)
	wait := c.b.cfg.Consumer.FetchMaxWait + c.b.cfg.Consumer.RequestTimeout
	cp.timer = c.b.k.AfterTimer(wait, c.id, kindFetchTimeout, int64(p)<<32|int64(cp.seq), c.inc)
}

func (c *Consumer) onFetchReply(p int, seq uint32, off int64, n int, over bool) {
	cp := &c.parts[p]
	if !cp.owned || !cp.fetching || cp.seq != seq || cp.end != off {
		return
	}
	cp.fetching = false
	c.b.k.Cancel(cp.timer)
	cp.end += int64(n)
	cp.drained = over
	c.dispatch()
	c.maybeFetch(p)
}

// dispatch gives idle workers records of partitions that have one ready,
// taking partitions in turn.
func (c *Consumer) dispatch() {
	w := c.b.cfg.Consumer.Workers
	for tries := 0; c.busy < w && c.state == stateStable && tries < len(c.owned); tries++ {
		c.rr = (c.rr + 1) % len(c.owned)
		p := c.owned[c.rr]
		if cp := &c.parts[p]; !cp.inService && !cp.backoff && cp.next < cp.end {
			c.startRecord(p)
			tries = -1 // a worker was used: look at every partition again
		}
	}
}

func (c *Consumer) startRecord(p int) {
	c.parts[p].inService = true
	c.busy++
	d := sim.Seconds(c.b.svc.Sample(c.r))
	c.b.k.After(d, c.id, kindDone, int64(p), c.inc)
}

// onDone ends a processing attempt of partition p's next record.
func (c *Consumer) onDone(p int) {
	cp := &c.parts[p]
	cp.inService = false
	c.busy--
	cfg := &c.b.cfg.Consumer
	switch {
	case c.b.downstreamDown && cfg.Outage == OutageBlock:
		c.backoff(p)
	case c.b.downstreamDown || (cfg.ErrorRate > 0 && c.r.Float64() < cfg.ErrorRate):
		c.failed(p)
	default:
		c.finish(p, true)
	}
	c.maybeRejoin()
	c.dispatch()
	c.maybeFetch(p)
}

func (c *Consumer) backoff(p int) {
	c.parts[p].backoff = true
	c.b.k.After(c.b.cfg.Consumer.RetryBackoff, c.id, kindRetry, int64(c.gen)<<32|int64(p), c.inc)
}

// failed counts a failed attempt: retry, or dead-letter once the retries
// are spent.
func (c *Consumer) failed(p int) {
	cp := &c.parts[p]
	cp.attempts++
	c.b.stats.FailedAttempts++
	if cp.attempts <= c.b.cfg.Consumer.MaxRetries {
		c.backoff(p)
		return
	}
	rec := c.b.parts[p].log[cp.next].rec
	c.toBroker(kindDeadLetter, rec, 0)
	c.finish(p, false)
}

// finish records the outcome of partition p's next record and moves on.
func (c *Consumer) finish(p int, ok bool) {
	cp := &c.parts[p]
	off := cp.next
	c.b.handled(c.idx, p, off, ok)
	cp.next++
	cp.attempts = 0
	if c.b.cfg.Consumer.Commit == CommitRecord {
		c.commit(p)
	}
}

// working reports whether the consumer has fetched or is fetching records
// it has not processed, or has processed records whose commit is not
// acknowledged; after the run's end it keeps committing until it has
// none.
func (c *Consumer) working() bool {
	for _, p := range c.owned {
		if cp := &c.parts[p]; cp.fetching || cp.next < cp.end || cp.committed < cp.next {
			return true
		}
	}
	return false
}

func (c *Consumer) commitAll() {
	for _, p := range c.owned {
		c.commit(p)
	}
}

// commit sends partition p's processed position unless the broker has
// acknowledged it already; an unacknowledged commit is sent again at the
// next commit tick.
func (c *Consumer) commit(p int) {
	cp := &c.parts[p]
	if cp.next == cp.committed {
		return
	}
	c.toBroker(kindCommit, packCPS(c.idx, p, c.gen), cp.next)
}

func (c *Consumer) onCommitAck(p int, gen uint32, off int64) {
	if cp := &c.parts[p]; gen == c.gen && cp.owned {
		cp.committed = max(cp.committed, off)
	}
}
