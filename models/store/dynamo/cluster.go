package dynamo

import (
	"errors"
	"fmt"
	"slices"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// MaxReplicas is the largest cluster New and NewAsync accept: a version
// keeps the coordinator's index in its low 8 bits.
const MaxReplicas = 256

// Cluster is a Dynamo-style quorum store. It implements store.Cluster.
type Cluster struct {
	k    *sim.Kernel
	net  *sim.Network
	name string
	ops  *store.OpTable
	cfg  Config

	replicas []*replica
	nodes    []sim.NodeID
	slab     sim.Slab[message]

	readRepairs     int64 // repair writes sent by read coordinators
	antiEntropyKeys int64 // keys updated by anti-entropy exchanges
}

var _ store.Cluster = (*Cluster)(nil)

// New creates a quorum store of replicas on nodes "<name>-<i>". cfg's
// zero fields take their defaults.
func New(k *sim.Kernel, net *sim.Network, name string, replicas int, ops *store.OpTable, cfg Config) (*Cluster, error) {
	if err := checkReplicas(name, replicas, ops); err != nil {
		return nil, err
	}
	cfg.SetDefaults()
	if err := cfg.Validate(replicas); err != nil {
		return nil, fmt.Errorf("store %s: %w", name, err)
	}
	c := &Cluster{k: k, net: net, name: name, ops: ops, cfg: cfg}
	for i := range replicas {
		r := newReplica(c, i)
		c.replicas = append(c.replicas, r)
		c.nodes = append(c.nodes, r.node)
	}
	for _, r := range c.replicas {
		r.start()
	}
	return c, nil
}

func checkReplicas(name string, replicas int, ops *store.OpTable) error {
	switch {
	case replicas < 1 || replicas > MaxReplicas:
		return fmt.Errorf("store %s: replicas: must be in [1, %d], got %d", name, MaxReplicas, replicas)
	case ops == nil:
		return errors.New("store " + name + ": nil op table")
	}
	return nil
}

// Name implements store.Cluster.
func (c *Cluster) Name() string { return c.name }

// Nodes implements store.Cluster.
func (c *Cluster) Nodes() []sim.NodeID { return c.nodes }

// Handler implements store.Cluster.
func (c *Cluster) Handler(i int) sim.HandlerID { return c.replicas[i].id }

// Config returns the settings in force, defaults filled in.
func (c *Cluster) Config() Config { return c.cfg }

// Crash stops replica i: it drops every event addressed to it until
// Restart, and the ops it was coordinating are never answered. Its data
// and hints are durable.
func (c *Cluster) Crash(i int) { c.replicas[i].crash() }

// Restart starts a crashed replica again.
func (c *Cluster) Restart(i int) { c.replicas[i].restart() }

// Preference returns key's preference list: the N replicas that hold it,
// in ring order.
func (c *Cluster) Preference(key int) []int {
	start := ringStart(key, len(c.replicas))
	pref := make([]int, c.cfg.N)
	for j := range pref {
		pref[j] = (start + j) % len(c.replicas)
	}
	return pref
}

// Value returns replica i's own (value, version) of key, hints aside.
func (c *Cluster) Value(i, key int) (value, version int64) {
	v := c.replicas[i].data[key]
	return v.value, v.version
}

// Divergence returns the number of keys whose (value, version) differ
// among the live replicas of their preference list, or of which a live
// stand-in holds a hinted write newer than the intended replica's copy.
func (c *Cluster) Divergence() int {
	n := 0
	for _, key := range c.keys() {
		if c.diverged(key) {
			n++
		}
	}
	return n
}

// keys returns every key any replica stores or holds a hint for, sorted.
func (c *Cluster) keys() []int {
	var keys []int
	for _, r := range c.replicas {
		for key := range r.data {
			keys = append(keys, key)
		}
		for _, h := range r.hints {
			keys = append(keys, h.key)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func (c *Cluster) diverged(key int) bool {
	var first *cell
	for _, i := range c.Preference(key) {
		r := c.replicas[i]
		if r.down {
			continue
		}
		v := r.data[key]
		if first == nil {
			first = &v
		} else if v != *first {
			return true
		}
	}
	for _, r := range c.replicas {
		if r.down {
			continue
		}
		for _, h := range r.hints {
			if h.key == key && h.cell.newer(c.replicas[h.target].data[key]) {
				return true
			}
		}
	}
	return false
}

// Metrics reports "hints_pending" (hinted writes held by stand-ins),
// "read_repairs" and "anti_entropy_keys" (counters since the start).
func (c *Cluster) Metrics(set func(name string, v float64)) {
	hints := 0
	for _, r := range c.replicas {
		hints += len(r.hints)
	}
	set("hints_pending", float64(hints))
	set("read_repairs", float64(c.readRepairs))
	set("anti_entropy_keys", float64(c.antiEntropyKeys))
}

// send puts m on the wire from replica from to replica to; a replica
// reaches itself at once, without the network.
func (c *Cluster) send(from, to int, m message) {
	m.from = from
	size := m.size()
	slot := c.slab.Put(m)
	if from == to {
		c.k.After(0, c.replicas[to].id, kindMsg, int64(slot), 0)
		return
	}
	c.net.Send(sim.Message{From: c.nodes[from], To: c.nodes[to], Size: size,
		Deliver: sim.Target{H: c.replicas[to].id, Kind: kindMsg, A: int64(slot)}})
}
