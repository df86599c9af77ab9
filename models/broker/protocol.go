package broker

import "github.com/faultline-sim/faultline/sim"

// Everything the broker, producers and consumers say to each other fits in
// an event's kind and two integers, so no message allocates. A record's
// payload (its key and produce time) stays in the Broker's record table
// and a message carries the record's index; a fetch reply names a range
// of the partition's log, which is append-only, so reading it on delivery
// is the same as carrying it.
//
// To the broker:
//
//	kindProduce    A: record            B: producer
//	kindDeadLetter A: record            B: 0
//	kindFetch      A: consumer|part|seq B: offset
//	kindCommit     A: consumer|part|gen B: offset
//	kindHeartbeat  A: consumer          B: incarnation<<32 | generation
//	kindJoin       A: consumer          B: incarnation
//	kindLeave      A: consumer          B: incarnation
//
// To a producer: kindAck (A: record). To a consumer: kindGroupState (A:
// generation, B: incarnation<<1 | rebalancing), kindFetchReply (A:
// part<<32 | seq, B: offset<<17 | over<<16 | count) and kindCommitAck (A and B as
// the commit's).
const (
	kindProduce uint32 = iota + 1
	kindDeadLetter
	kindFetch
	kindCommit
	kindHeartbeat
	kindJoin
	kindLeave
	kindFetchExpire   // the broker's own: a parked fetch waited FetchMaxWait
	kindSessionCheck  // the broker's own: has a member's session expired?
	kindPauseOver     // the broker's own: a rebalance's pause elapsed
	kindRebalanceOver // the broker's own: a rebalance's timeout elapsed

	kindAck         // producer
	kindSendTimeout // producer's own: no ack in time
	kindResend      // producer's own: back-off over, send again
	kindArrival     // producer's own: next open-loop record

	kindGroupState // consumer
	kindFetchReply
	kindCommitAck
	kindHeartbeatTick // consumer's own
	kindCommitTick
	kindDone
	kindRetry
	kindFetchTimeout
)

var kindNames = [...]string{
	kindProduce: "produce", kindDeadLetter: "dead-letter", kindFetch: "fetch",
	kindCommit: "commit", kindHeartbeat: "heartbeat", kindJoin: "join",
	kindLeave: "leave", kindFetchExpire: "fetch-expire", kindSessionCheck: "session-check",
	kindPauseOver: "pause-over", kindRebalanceOver: "rebalance-timeout",
	kindAck: "ack", kindSendTimeout: "send-timeout", kindResend: "resend",
	kindArrival: "arrival", kindGroupState: "group-state", kindFetchReply: "fetch-reply", kindCommitAck: "commit-ack",
	kindHeartbeatTick: "heartbeat-tick", kindCommitTick: "commit-tick", kindDone: "done",
	kindRetry: "retry", kindFetchTimeout: "fetch-timeout",
}

func kindName(kind uint32) string {
	if int(kind) < len(kindNames) && kindNames[kind] != "" {
		return kindNames[kind]
	}
	return "unknown"
}

// packCPS packs a consumer, a partition and a 32-bit sequence or
// generation into A.
func packCPS(consumer, part int, seq uint32) int64 {
	return int64(consumer)<<48 | int64(part)<<32 | int64(seq)
}

func unpackCPS(a int64) (consumer, part int, seq uint32) {
	return int(a >> 48), int(a>>32) & 0xffff, uint32(a)
}

// packRange packs a fetch reply's range, and whether the run is over for
// the fetcher: the run has ended and nothing more will come.
func packRange(offset int64, count int, over bool) int64 {
	b := offset<<17 | int64(count)
	if over {
		b |= 1 << 16
	}
	return b
}

func unpackRange(b int64) (offset int64, count int, over bool) {
	return b >> 17, int(b & 0xffff), b&(1<<16) != 0
}

// send puts an event on the wire from one node to another.
func send(net *sim.Network, from, to sim.NodeID, size int, t sim.Target) {
	net.Send(sim.Message{From: from, To: to, Size: size, Deliver: t})
}
