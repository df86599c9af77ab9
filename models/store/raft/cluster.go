package raft

import (
	"errors"
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// MaxReplicas is the largest cluster New accepts.
const MaxReplicas = 15

// Trace record kinds (k.Record), so that the run's hash covers them.
const (
	recElected     uint32 = 100 // A = replica, B = term
	recSteppedDown uint32 = 101 // A = replica, B = term
)

// Cluster is a Raft store: replicas, their shared message slab and the
// cluster-wide view used by metrics and tests. It implements store.Cluster.
type Cluster struct {
	k    *sim.Kernel
	net  *sim.Network
	name string
	ops  *store.OpTable
	cfg  Config

	replicas []*replica
	nodes    []sim.NodeID
	slab     sim.Slab[message]

	leaders   int      // live replicas in the leader role
	lostAt    sim.Time // when the last leader was lost (0 at start)
	elections []time.Duration

	// OnLeaderChange, if set, is called whenever a replica becomes leader
	// (leader true) or stops being one by stepping down or crashing
	// (leader false), with the term concerned. Tests use it to check that
	// no term ever has two leaders.
	OnLeaderChange func(replica int, term uint64, leader bool)
}

var _ store.Cluster = (*Cluster)(nil)

// New creates a cluster of replicas on nodes "<name>-<i>". cfg's zero
// fields take their defaults. Every replica starts as a follower of term 0.
func New(k *sim.Kernel, net *sim.Network, name string, replicas int, ops *store.OpTable, cfg Config) (*Cluster, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("store %s: %w", name, err)
	}
	switch {
	case replicas < 1 || replicas > MaxReplicas:
		return nil, fmt.Errorf("store %s: replicas: must be in [1, %d], got %d", name, MaxReplicas, replicas)
	case ops == nil:
		return nil, errors.New("store " + name + ": nil op table")
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

// StartWithLeader makes replica i the leader of term 1 now, every other
// replica its follower, as if it had won the first election before the
// run began: a run then starts from a cluster in service, as the real
// engine's does (it starts the load once a leader is elected). Call it
// before the kernel runs; a cluster left alone elects its first leader
// itself.
func (c *Cluster) StartWithLeader(i int) {
	for j, r := range c.replicas {
		r.term, r.votedFor = 1, i
		if j != i {
			r.leader, r.lastContact = i, c.k.Now()
		}
	}
	c.replicas[i].becomeLeader()
}

// Name implements store.Cluster.
func (c *Cluster) Name() string { return c.name }

// Nodes implements store.Cluster.
func (c *Cluster) Nodes() []sim.NodeID { return c.nodes }

// Handler implements store.Cluster.
func (c *Cluster) Handler(i int) sim.HandlerID { return c.replicas[i].id }

// Crash stops replica i: it drops every event addressed to it until
// Restart. Its term, vote and log survive; its commit index and state
// machine are lost. A crashed leader's pending ops are never answered.
func (c *Cluster) Crash(i int) { c.replicas[i].crash() }

// Restart starts a crashed replica again as a follower.
func (c *Cluster) Restart(i int) { c.replicas[i].restart() }

// Leader returns the live replica that is leader with the highest term, or
// -1 when none is.
func (c *Cluster) Leader() int {
	best := -1
	for i, r := range c.replicas {
		if !r.down && r.role == leader && (best < 0 || r.term > c.replicas[best].term) {
			best = i
		}
	}
	return best
}

// Leads reports whether replica i is live and leader, and its term.
func (c *Cluster) Leads(i int) (bool, uint64) {
	r := c.replicas[i]
	return !r.down && r.role == leader, r.term
}

// Term returns the highest term any replica has reached.
func (c *Cluster) Term() uint64 {
	var t uint64
	for _, r := range c.replicas {
		t = max(t, r.term)
	}
	return t
}

// Elections returns, for each leaderless period that ended, how long it
// lasted: from the moment the cluster had no live leader (the last one
// crashed or stepped down, or t=0) to the moment a replica won an
// election. A new leader elected while a deposed one still believes it
// leads (a partition) ends no leaderless period and adds nothing.
func (c *Cluster) Elections() []time.Duration { return c.elections }

// Divergence returns the number of keys whose applied values differ among
// the live replicas (an absent key counts as value 0).
func (c *Cluster) Divergence() int {
	var live []*replica
	for _, r := range c.replicas {
		if !r.down {
			live = append(live, r)
		}
	}
	seen := map[int]bool{}
	n := 0
	for _, r := range live {
		for key := range r.kv { // counting only: order does not matter
			if seen[key] {
				continue
			}
			seen[key] = true
			if differs(live, key) {
				n++
			}
		}
	}
	return n
}

func differs(live []*replica, key int) bool {
	v := live[0].kv[key]
	for _, r := range live[1:] {
		if r.kv[key] != v {
			return true
		}
	}
	return false
}

// Metrics reports "leader" (index or -1), "term" (see Term) and
// "commit_index" (the leader's; the highest among live replicas when
// there is no leader).
func (c *Cluster) Metrics(set func(name string, v float64)) {
	l := c.Leader()
	set("leader", float64(l))
	set("term", float64(c.Term()))
	var commit uint64
	if l >= 0 {
		commit = c.replicas[l].commit
	} else {
		for _, r := range c.replicas {
			if !r.down {
				commit = max(commit, r.commit)
			}
		}
	}
	set("commit_index", float64(commit))
}

// elected records that replica i won term's election.
func (c *Cluster) elected(i int, term uint64) {
	c.k.Record(c.replicas[i].id, recElected, int64(i), int64(term))
	if c.leaders == 0 {
		c.elections = append(c.elections, c.k.Now().Sub(c.lostAt))
	}
	c.leaders++
	if c.OnLeaderChange != nil {
		c.OnLeaderChange(i, term, true)
	}
}

// deposed records that replica i stopped leading term.
func (c *Cluster) deposed(i int, term uint64) {
	c.k.Record(c.replicas[i].id, recSteppedDown, int64(i), int64(term))
	c.leaders--
	if c.leaders == 0 {
		c.lostAt = c.k.Now()
	}
	if c.OnLeaderChange != nil {
		c.OnLeaderChange(i, term, false)
	}
}

// majority is the number of replicas that make a quorum.
func (c *Cluster) majority() int { return len(c.replicas)/2 + 1 }

// send puts m on the wire from replica from to replica to.
func (c *Cluster) send(from, to int, m message) {
	size := m.size()
	slot := c.slab.Put(m)
	c.net.Send(sim.Message{From: c.nodes[from], To: c.nodes[to], Size: size,
		Deliver: sim.Target{H: c.replicas[to].id, Kind: kindMsg, A: int64(slot)}})
}

// Value returns the value replica i has applied for key (0 when absent)
// and, for symmetry with the other designs' Value, a version of 0.
func (c *Cluster) Value(i, key int) (value, version int64) {
	return c.replicas[i].kv[key], 0
}
