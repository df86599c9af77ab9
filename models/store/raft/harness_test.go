package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// env is a cluster on a network with constant link latency, checking on
// every leader change that no term ever has two leaders.
type env struct {
	t       *testing.T
	seed    uint64
	k       *sim.Kernel
	net     *sim.Network
	ops     *store.OpTable
	c       *Cluster
	leaders map[uint64]int // term -> the replica elected in it
}

func newEnv(t *testing.T, seed uint64, replicas int, cfg Config, latency time.Duration, jitter time.Duration) *env {
	t.Helper()
	k := sim.New(seed)
	lat, err := sim.NewConstant(latency.Seconds())
	require.NoError(t, err)
	net, err := sim.NewNetwork(k, sim.LinkConfig{Latency: lat, Jitter: jitter})
	require.NoError(t, err)
	e := &env{t: t, seed: seed, k: k, net: net, ops: &store.OpTable{}, leaders: map[uint64]int{}}
	e.c, err = New(k, net, "kv", replicas, e.ops, cfg)
	require.NoError(t, err, "seed %d", seed)
	e.c.OnLeaderChange = e.checkLeader
	return e
}

func (e *env) checkLeader(replica int, term uint64, leader bool) {
	if !leader {
		return
	}
	if prev, ok := e.leaders[term]; ok && prev != replica {
		e.t.Errorf("seed %d: term %d has two leaders: replicas %d and %d", e.seed, term, prev, replica)
	}
	e.leaders[term] = replica
}

// run advances the clock by d.
func (e *env) run(d time.Duration) { e.k.RunUntil(e.k.Now().Add(d)) }

// awaitLeader runs until some replica leads, at most within d, and
// returns it (or -1).
func (e *env) awaitLeader(within time.Duration) int {
	deadline := e.k.Now().Add(within)
	e.k.RunWhile(func() bool { return e.c.Leader() < 0 && e.k.Now() < deadline })
	return e.c.Leader()
}

// client is a minimal store client on its own node: it sends ops with
// the store protocol and notes which were answered.
type client struct {
	e    *env
	node sim.NodeID
	id   sim.HandlerID
	done map[int32]bool
}

func (e *env) newClient(name string) *client {
	cl := &client{e: e, node: e.net.AddNode(name), done: map[int32]bool{}}
	cl.id = e.k.Register("test-client/"+name, cl)
	return cl
}

func (cl *client) HandleEvent(ev sim.Event) {
	if ev.Kind == store.KindReply {
		cl.done[int32(ev.A)] = true
	}
}

// send sends op to replica and returns its index.
func (cl *client) send(replica int, op store.Op) int32 {
	e := cl.e
	i := e.ops.Put(op)
	e.net.Send(sim.Message{From: cl.node, To: e.c.Nodes()[replica], Size: 128,
		Deliver: sim.Target{H: e.c.Handler(replica), Kind: store.KindOp, A: int64(i), B: store.Caller(cl.node, cl.id)}})
	return i
}

// do sends op and runs until it is answered or within has passed; the
// returned op's Status is StatusPending if no answer came.
func (cl *client) do(replica int, op store.Op, within time.Duration) store.Op {
	i := cl.send(replica, op)
	cl.await(i, within)
	return *cl.e.ops.At(i)
}

func (cl *client) await(i int32, within time.Duration) {
	e := cl.e
	deadline := e.k.Now().Add(within)
	e.k.RunWhile(func() bool { return !cl.done[i] && e.k.Now() < deadline })
	if !cl.done[i] {
		e.ops.At(i).Status = store.StatusPending
	}
}

func put(key int, v int64) store.Op { return store.Op{Kind: store.Put, Key: key, Value: v} }
func get(key int) store.Op          { return store.Op{Kind: store.Get, Key: key} }
