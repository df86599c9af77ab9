package store

import (
	"fmt"

	"github.com/faultline-sim/faultline/sim"
)

// OpKind is what a client asks of the store.
type OpKind uint8

const (
	// Get reads a key.
	Get OpKind = iota
	// Put writes a key.
	Put
	// CAS writes New if the key's current value is Expect.
	CAS
)

func (k OpKind) String() string {
	switch k {
	case Get:
		return "get"
	case Put:
		return "put"
	case CAS:
		return "cas"
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// Status is a replica's answer to an operation.
type Status uint8

const (
	// StatusPending: no answer yet.
	StatusPending Status = iota
	// StatusOK: done. For Get, Op.Out is the value read (0 = absent); for
	// CAS, Op.Out is 1 when it swapped and 0 when the value differed.
	StatusOK
	// StatusUnavailable: definitely not applied (no leader, no quorum,
	// refused). Safe to retry.
	StatusUnavailable
	// StatusUnknown: may or may not have been applied (e.g. the
	// coordinator gave up waiting for acknowledgements after sending).
	StatusUnknown
)

func (s Status) String() string {
	return [...]string{"pending", "ok", "unavailable", "unknown"}[min(int(s), 3)]
}

// Op is one operation in flight: the payload of the client's request and
// of the replica's reply. Ops live in an OpTable shared by clients and
// replicas, as a message's body would; only the index travels in events.
type Op struct {
	Kind   OpKind
	Key    int
	Value  int64 // Put: the value to write; CAS: the new value
	Expect int64 // CAS: the value expected
	Status Status
	Out    int64 // Get: the value read; CAS: 1 if swapped
	// Version is the store's own version of the value read or written
	// (a log index for raft, a timestamp for LWW), for diagnostics.
	Version int64
}

// OpTable is a slab of operations with a free list: no allocation per op.
// Put stores an op and returns its index, At reaches it, Free releases it.
type OpTable = sim.Slab[Op]

// Wire protocol. A client sends an op to a replica as the message
//
//	Deliver: sim.Target{H: replica handler, Kind: KindOp, A: op index, B: Caller(node, handler)}
//
// and the replica answers, after setting Op.Status and Op.Out, with
//
//	Deliver: sim.Target{H: caller handler, Kind: KindReply, A: op index, B: replica index}
//
// Replicas choose their own kinds for replica-to-replica messages; they
// must not use KindOp or KindReply for them.
const (
	KindOp    uint32 = 2000
	KindReply uint32 = 2001
)

// Caller packs the node and handler a reply goes to.
func Caller(node sim.NodeID, h sim.HandlerID) int64 { return int64(node)<<32 | int64(h) }

// SplitCaller unpacks Caller.
func SplitCaller(b int64) (sim.NodeID, sim.HandlerID) {
	return sim.NodeID(b >> 32), sim.HandlerID(b & 0xffffffff)
}

// Reply sends the answer to op i back to its caller over the network.
// replica is the answering replica's index (reported in B).
func Reply(net *sim.Network, from sim.NodeID, replica int, i int32, caller int64, size int) {
	node, h := SplitCaller(caller)
	net.Send(sim.Message{From: from, To: node, Size: size,
		Deliver: sim.Target{H: h, Kind: KindReply, A: int64(i), B: int64(replica)}})
}

// Cluster is what every store design offers the engine.
type Cluster interface {
	// Name is the store's name; replicas are nodes <name>-0, <name>-1, ...
	Name() string
	// Nodes returns each replica's node.
	Nodes() []sim.NodeID
	// Handler returns where clients send ops for replica i.
	Handler(i int) sim.HandlerID
	// Crash and Restart stop and start replica i (state that the design
	// keeps durable survives; the rest is lost).
	Crash(i int)
	Restart(i int)
	// Divergence returns the number of keys on which the live replicas do
	// not all hold the same value now (0 when converged).
	Divergence() int
	// Metrics adds design-specific gauges (e.g. "leader" = index or -1,
	// "term") for the report's time series.
	Metrics(set func(name string, v float64))
}
