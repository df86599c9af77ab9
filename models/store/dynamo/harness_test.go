package dynamo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// env is a store on a network whose links have a latency distribution.
type env struct {
	t    *testing.T
	seed uint64
	k    *sim.Kernel
	net  *sim.Network
	ops  *store.OpTable
	c    store.Cluster
}

func newNet(t *testing.T, seed uint64, link sim.LinkConfig) *env {
	t.Helper()
	k := sim.New(seed)
	net, err := sim.NewNetwork(k, link)
	require.NoError(t, err)
	return &env{t: t, seed: seed, k: k, net: net, ops: &store.OpTable{}}
}

// constant returns a link of fixed latency.
func constant(t *testing.T, d time.Duration) sim.LinkConfig {
	lat, err := sim.NewConstant(d.Seconds())
	require.NoError(t, err)
	return sim.LinkConfig{Latency: lat}
}

// exponential returns a link of exponentially distributed latency.
func exponential(t *testing.T, mean time.Duration) sim.LinkConfig {
	lat, err := sim.NewExponential(mean.Seconds())
	require.NoError(t, err)
	return sim.LinkConfig{Latency: lat}
}

func newQuorum(t *testing.T, seed uint64, link sim.LinkConfig, replicas int, cfg Config) (*env, *Cluster) {
	t.Helper()
	e := newNet(t, seed, link)
	c, err := New(e.k, e.net, "kv", replicas, e.ops, cfg)
	require.NoError(t, err, "seed %d", seed)
	e.c = c
	return e, c
}

func newAsync(t *testing.T, seed uint64, link sim.LinkConfig, replicas int, cfg AsyncConfig) (*env, *AsyncCluster) {
	t.Helper()
	e := newNet(t, seed, link)
	c, err := NewAsync(e.k, e.net, "kv", replicas, e.ops, cfg)
	require.NoError(t, err, "seed %d", seed)
	e.c = c
	return e, c
}

// run advances the clock by d.
func (e *env) run(d time.Duration) { e.k.RunUntil(e.k.Now().Add(d)) }

// client is a minimal store client on its own node.
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

// HandleEvent takes replies and refusals (A = op index either way).
func (cl *client) HandleEvent(ev sim.Event) { cl.done[int32(ev.A)] = true }

// do sends op to replica and runs until it is answered or within has
// passed; the returned op's Status is StatusPending if no answer came.
func (cl *client) do(replica int, op store.Op, within time.Duration) store.Op {
	e := cl.e
	i := e.ops.Put(op)
	e.net.Send(sim.Message{From: cl.node, To: e.c.Nodes()[replica], Size: 128,
		Deliver: sim.Target{H: e.c.Handler(replica), Kind: store.KindOp, A: int64(i), B: store.Caller(cl.node, cl.id)}})
	deadline := e.k.Now().Add(within)
	e.k.RunWhile(func() bool { return !cl.done[i] && e.k.Now() < deadline })
	if !cl.done[i] {
		e.ops.At(i).Status = store.StatusPending
	}
	delete(cl.done, i)
	return *e.ops.At(i) // not freed: a late answer may still write to it
}

func put(key int, v int64) store.Op { return store.Op{Kind: store.Put, Key: key, Value: v} }
func get(key int) store.Op          { return store.Op{Kind: store.Get, Key: key} }
func cas(key int, expect, v int64) store.Op {
	return store.Op{Kind: store.CAS, Key: key, Expect: expect, Value: v}
}

// keyStartingAt returns the smallest key whose preference list starts at
// replica first.
func keyStartingAt(first, replicas int) int {
	for key := 0; ; key++ {
		if ringStart(key, replicas) == first {
			return key
		}
	}
}
