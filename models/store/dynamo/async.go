package dynamo

import (
	"fmt"
	"slices"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// AsyncCluster is a primary with asynchronous followers: replica 0 is the
// primary, for ever (no failover). It applies every write, acknowledges it
// at once and ships it to the followers ReplicationDelay later; a follower
// forwards writes to it. Every replica's state is durable, so a crash
// loses no acknowledged write: it only delays shipping until the restart.
// It implements store.Cluster.
type AsyncCluster struct {
	k    *sim.Kernel
	net  *sim.Network
	name string
	ops  *store.OpTable
	cfg  AsyncConfig

	replicas []*asyncReplica
	nodes    []sim.NodeID
	slab     sim.Slab[asyncMsg]
}

var _ store.Cluster = (*AsyncCluster)(nil)

// NewAsync creates a primary (replica 0) and replicas-1 followers on nodes
// "<name>-<i>". cfg's zero fields take their defaults.
func NewAsync(k *sim.Kernel, net *sim.Network, name string, replicas int, ops *store.OpTable, cfg AsyncConfig) (*AsyncCluster, error) {
	if err := checkReplicas(name, replicas, ops); err != nil {
		return nil, err
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("store %s: %w", name, err)
	}
	c := &AsyncCluster{k: k, net: net, name: name, ops: ops, cfg: cfg}
	for i := range replicas {
		r := newAsyncReplica(c, i)
		c.replicas = append(c.replicas, r)
		c.nodes = append(c.nodes, r.node)
	}
	c.replicas[0].acked = make([]int, replicas)
	c.replicas[0].sent = make([]int, replicas)
	return c, nil
}

// Name implements store.Cluster.
func (c *AsyncCluster) Name() string { return c.name }

// Nodes implements store.Cluster.
func (c *AsyncCluster) Nodes() []sim.NodeID { return c.nodes }

// Handler implements store.Cluster.
func (c *AsyncCluster) Handler(i int) sim.HandlerID { return c.replicas[i].id }

// Crash stops replica i: it drops every event addressed to it until
// Restart, and the ops it was forwarding are never answered. Its data (and
// the primary's log) are durable.
func (c *AsyncCluster) Crash(i int) { c.replicas[i].crash() }

// Restart starts a crashed replica again; a restarted primary ships at
// once whatever its followers lack.
func (c *AsyncCluster) Restart(i int) { c.replicas[i].restart() }

// Lag returns how many log entries follower f has not acknowledged.
func (c *AsyncCluster) Lag(f int) int {
	p := c.replicas[0]
	return len(p.log) - p.acked[f]
}

// Value returns replica i's value of key and its log index.
func (c *AsyncCluster) Value(i, key int) (value, index int64) {
	v := c.replicas[i].data[key]
	return v.value, v.version
}

// Divergence returns the number of keys whose value differs among the
// live replicas.
func (c *AsyncCluster) Divergence() int {
	var keys []int
	for _, r := range c.replicas {
		for key := range r.data {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	n := 0
	for _, key := range slices.Compact(keys) {
		if c.diverged(key) {
			n++
		}
	}
	return n
}

func (c *AsyncCluster) diverged(key int) bool {
	var first *cell
	for _, r := range c.replicas {
		if r.down {
			continue
		}
		v := r.data[key]
		if first == nil {
			first = &v
		} else if v.value != first.value {
			return true
		}
	}
	return false
}

// Metrics reports "log_length" (the primary's) and "replication_lag" (the
// most entries any follower has not acknowledged).
func (c *AsyncCluster) Metrics(set func(name string, v float64)) {
	lag := 0
	for f := 1; f < len(c.replicas); f++ {
		lag = max(lag, c.Lag(f))
	}
	set("log_length", float64(len(c.replicas[0].log)))
	set("replication_lag", float64(lag))
}

// send puts m on the wire from replica from to replica to; refused, if
// valid, runs at the sender when a cut refuses it.
func (c *AsyncCluster) send(from, to int, m asyncMsg, refused sim.Target) {
	m.from = from
	slot := c.slab.Put(m)
	c.net.Send(sim.Message{From: c.nodes[from], To: c.nodes[to], Size: 64 + 24*len(m.entries),
		Deliver: sim.Target{H: c.replicas[to].id, Kind: kindMsg, A: int64(slot)}, Refused: refused})
}

// noTarget is the zero sim.Target: no event.
var noTarget sim.Target
