package autoscale

import (
	"math"
	"slices"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// ClusterConfig is the room a cluster has for a service's pods: whole
// nodes, each holding PodsPerNode pods, and a cluster autoscaler that
// adds nodes, up to MaxNodes, when pods cannot be scheduled. The zero
// value means an unbounded cluster.
type ClusterConfig struct {
	// Nodes is how many nodes the cluster starts with. 0 (the default)
	// means no limit: every pod is scheduled at once and the other
	// fields must be 0. Otherwise must be >= 1.
	Nodes int `yaml:"nodes"`
	// PodsPerNode is how many of the service's pods fit on one node.
	// Default 1 when Nodes is set; must be >= 1.
	PodsPerNode int `yaml:"pods_per_node"`
	// MaxNodes is the most nodes the cluster autoscaler may run. Default
	// Nodes (the cluster never grows); must be >= Nodes.
	MaxNodes int `yaml:"max_nodes"`
	// NodeStartup is how long a node the cluster autoscaler asks for
	// takes to accept pods (its scan interval, the cloud's provisioning,
	// boot and kubelet registration; minutes in practice). Default 0;
	// must be >= 0.
	NodeStartup time.Duration `yaml:"node_startup"`
}

// SetDefaults fills the zero fields of a bounded cluster.
func (c *ClusterConfig) SetDefaults() {
	if c.Nodes == 0 {
		return
	}
	if c.PodsPerNode == 0 {
		c.PodsPerNode = 1
	}
	if c.MaxNodes == 0 {
		c.MaxNodes = c.Nodes
	}
}

// Validate reports the first field out of range. Call SetDefaults first.
func (c ClusterConfig) Validate() error {
	switch {
	case c.Nodes < 0:
		return invalid("nodes", "must be >= 0 (0 = unbounded), got %d", c.Nodes)
	case c.Nodes == 0 && (c.PodsPerNode != 0 || c.MaxNodes != 0 || c.NodeStartup != 0):
		return invalid("nodes", "must be >= 1 when pods_per_node, max_nodes or node_startup is set, got 0")
	case c.Nodes == 0:
		return nil
	case c.PodsPerNode < 1:
		return invalid("pods_per_node", "must be >= 1, got %d", c.PodsPerNode)
	case c.MaxNodes < c.Nodes:
		return invalid("max_nodes", "must be >= nodes (%d), got %d", c.Nodes, c.MaxNodes)
	case c.NodeStartup < 0:
		return invalid("node_startup", "must be >= 0, got %v", c.NodeStartup)
	}
	return nil
}

// Cluster tracks the nodes of a bounded cluster and the ones the cluster
// autoscaler is provisioning. Nodes are never removed during a run: the
// cluster autoscaler removes a node only after it has been under-used for
// 10 minutes (scale-down-unneeded-time), and the instance-seconds of a
// service count its pods, not its nodes.
type Cluster struct {
	cfg     ClusterConfig
	nodes   int        // ready nodes
	joining []sim.Time // when each provisioning node is ready, ascending
}

// NewCluster returns the cluster cfg describes (defaults filled, then
// validated).
func NewCluster(cfg ClusterConfig) (*Cluster, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Cluster{cfg: cfg, nodes: cfg.Nodes}, nil
}

// Bounded reports whether the cluster limits the pods at all.
func (c *Cluster) Bounded() bool { return c.cfg.Nodes > 0 }

// Nodes returns the nodes ready at now.
func (c *Cluster) Nodes(now sim.Time) int {
	c.advance(now)
	return c.nodes
}

// Capacity returns how many pods fit on the nodes ready at now
// (math.MaxInt for an unbounded cluster).
func (c *Cluster) Capacity(now sim.Time) int {
	if !c.Bounded() {
		return math.MaxInt
	}
	c.advance(now)
	return c.nodes * c.cfg.PodsPerNode
}

// advance makes the nodes whose provisioning is over at now ready.
func (c *Cluster) advance(now sim.Time) {
	n := 0
	for n < len(c.joining) && c.joining[n] <= now {
		n++
	}
	c.nodes += n
	c.joining = c.joining[n:]
}

// Demand tells the cluster autoscaler that pods pods want a place at now.
// It asks for the nodes that the pods not fitting on the ready and
// joining nodes need, within MaxNodes, and returns when each node it asked
// for will be ready, for the caller to schedule the pending pods then.
func (c *Cluster) Demand(now sim.Time, pods int) []sim.Time {
	if !c.Bounded() {
		return nil
	}
	c.advance(now)
	want := (pods + c.cfg.PodsPerNode - 1) / c.cfg.PodsPerNode
	add := min(want, c.cfg.MaxNodes) - c.nodes - len(c.joining)
	if add <= 0 {
		return nil
	}
	ready := now.Add(c.cfg.NodeStartup)
	out := slices.Repeat([]sim.Time{ready}, add)
	c.joining = append(c.joining, out...)
	return out
}
