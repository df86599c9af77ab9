package service

import (
	"fmt"

	"github.com/faultline-sim/faultline/sim"
)

// The wire protocol between a caller and an instance fits in an event's
// kind and two integers, so sending a request allocates nothing.
//
// A request is delivered to the instance's handler as
//
//	Kind: KindRequest | endpoint << 16, A: request ID, B: caller node << 32 | caller handler
//
// where endpoint is the index of the callee's endpoint (0 for a service
// without endpoints, so that its requests are plain KindRequest events).
// The ID is the caller's own and opaque to the instance, which echoes it.
// Every request gets exactly one answer at the caller's handler, unless a
// message is lost or black-holed on the way (the caller's timeout covers
// that):
//
//	Kind: KindReply, A: request ID, B: Status
//
// A reply is sent over the network from the instance's node to the
// caller's node. When the network refuses a message (a partition in Refuse
// mode, a reset_peer fault), the caller receives a reply with
// StatusRefused instead, about one round trip after the send: for a
// request the connection was refused, for a reply the connection was reset
// before the answer got through.
const (
	// KindRequest is the event kind of a request at an instance.
	KindRequest uint32 = 1
	// endpointShift places a request's endpoint index in its event kind;
	// the kinds below it are the instance's own.
	endpointShift = 16
	kindMask      = 1<<endpointShift - 1
	// KindReply is the event kind of a reply at the caller. A caller's
	// handler must not use it for its own events.
	KindReply uint32 = 1000
)

// Status is how an instance (or the network) answered a request.
type Status uint8

const (
	// StatusOK: a worker served the request.
	StatusOK Status = iota
	// StatusRejected: the instance's queue was full (an HTTP 503 at
	// admission).
	StatusRejected
	// StatusReset: the process was down or died holding the request (the
	// host's TCP RST).
	StatusReset
	// StatusError: the service failed the request (an HTTP 500): a call
	// it depends on failed and had no fallback.
	StatusError
	// StatusRefused: the network refused the request or reset the
	// connection before the reply got through.
	StatusRefused
	// StatusExpired: the instance dropped the request unserved because its
	// caller's deadline had passed (gRPC's DEADLINE_EXCEEDED on the
	// server); only instances that honour deadlines answer it.
	StatusExpired
	numStatuses
)

var statusNames = [numStatuses]string{"ok", "rejected", "reset", "error", "refused", "expired"}

// String returns the status's name, e.g. "rejected".
func (s Status) String() string {
	if s < numStatuses {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Request is a request as an instance receives it.
type Request struct {
	ID     int64
	From   sim.NodeID    // the caller's node, where the reply goes
	Caller sim.HandlerID // the caller's handler, which receives the reply
	// Endpoint is the index of the callee's endpoint the request is for,
	// 0 for a service without endpoints.
	Endpoint int
}

// Reply is an answer as the caller receives it.
type Reply struct {
	ID     int64
	Status Status
}

func packCaller(node sim.NodeID, h sim.HandlerID) int64 {
	return int64(uint32(node))<<32 | int64(h)
}

// IsRequest reports whether an event kind is a request's, for any
// endpoint.
func IsRequest(kind uint32) bool { return kind&kindMask == KindRequest }

// requestKind is the event kind of a request for endpoint e.
func requestKind(e int) uint32 { return KindRequest | uint32(e)<<endpointShift }

// DecodeRequest reads a request event (see IsRequest).
func DecodeRequest(ev sim.Event) Request {
	return Request{ID: ev.A, From: sim.NodeID(uint64(ev.B) >> 32), Caller: sim.HandlerID(uint32(ev.B)),
		Endpoint: int(ev.Kind >> endpointShift)}
}

// DecodeReply reads a KindReply event.
func DecodeReply(ev sim.Event) Reply {
	return Reply{ID: ev.A, Status: Status(ev.B)}
}

// replyTarget is the event that tells caller how request id ended.
func replyTarget(caller sim.HandlerID, id int64, st Status) sim.Target {
	return sim.Target{H: caller, Kind: KindReply, A: id, B: int64(st)}
}

// SendRequest sends request id for endpoint (an index of the service's
// endpoints, 0 for a service without) from node from, on behalf of
// handler caller, to instance inst. The caller's handler will receive one
// KindReply event for it, unless the request or its reply is lost.
func SendRequest(net *sim.Network, from sim.NodeID, caller sim.HandlerID, inst *Instance, endpoint int, id int64) {
	inst.inbound++ // a draining instance waits for it before it stops
	net.Send(sim.Message{
		From:    from,
		To:      inst.node,
		Size:    inst.reqBytes,
		Deliver: sim.Target{H: inst.id, Kind: requestKind(endpoint), A: id, B: packCaller(from, caller)},
		Refused: replyTarget(caller, id, StatusRefused),
	})
}

// sendReply answers request r from the instance's node.
func (in *Instance) sendReply(r Request, st Status) {
	in.deadlines.Clear(r.Caller, r.ID)
	if in.owner != nil {
		in.owner.rollout.answered(in, st)
	}
	in.tracer.answered(r, st, in.k.Now())
	size := 0
	if st == StatusOK {
		size = in.respBytes
	}
	in.net.Send(sim.Message{
		From:    in.node,
		To:      r.From,
		Size:    size,
		Deliver: replyTarget(r.Caller, r.ID, st),
		Refused: replyTarget(r.Caller, r.ID, StatusRefused),
	})
}
