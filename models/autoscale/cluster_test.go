package autoscale

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/sim"
)

func at(s int) sim.Time { return sim.At(time.Duration(s) * time.Second) }

func TestClusterUnboundedByDefault(t *testing.T) {
	c, err := NewCluster(ClusterConfig{})
	require.NoError(t, err)
	assert.False(t, c.Bounded())
	assert.Equal(t, math.MaxInt, c.Capacity(0))
	assert.Empty(t, c.Demand(0, 1000))
}

// TestClusterProvisioning: pods beyond nodes × pods_per_node wait for the
// nodes the cluster autoscaler adds after node_startup, up to max_nodes.
func TestClusterProvisioning(t *testing.T) {
	c, err := NewCluster(ClusterConfig{Nodes: 2, PodsPerNode: 3, MaxNodes: 4, NodeStartup: 90 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, 6, c.Capacity(at(0)))
	assert.Empty(t, c.Demand(at(0), 6), "6 pods fit on 2 nodes of 3")
	assert.Equal(t, []sim.Time{at(100), at(100)}, c.Demand(at(10), 20), "20 pods want 7 nodes: 2 more within max_nodes 4, ready after 90 s")
	assert.Empty(t, c.Demand(at(20), 20), "the joining nodes are counted")
	assert.Equal(t, 6, c.Capacity(at(99)), "not ready before 10 s + 90 s")
	assert.Equal(t, 12, c.Capacity(at(100)))
	assert.Equal(t, 4, c.Nodes(at(100)))
}

func TestClusterNoGrowthWithoutMaxNodes(t *testing.T) {
	c, err := NewCluster(ClusterConfig{Nodes: 3})
	require.NoError(t, err)
	assert.Equal(t, 3, c.Capacity(0), "pods_per_node defaults to 1")
	assert.Empty(t, c.Demand(0, 10), "max_nodes defaults to nodes")
}

func TestClusterConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   ClusterConfig
		field string // "" for valid
	}{
		{"unbounded", ClusterConfig{}, ""},
		{"bounded", ClusterConfig{Nodes: 1, PodsPerNode: 4, MaxNodes: 3, NodeStartup: time.Minute}, ""},
		{"negative nodes", ClusterConfig{Nodes: -1}, "nodes"},
		{"settings without nodes", ClusterConfig{MaxNodes: 3}, "nodes"},
		{"max below nodes", ClusterConfig{Nodes: 3, MaxNodes: 2}, "max_nodes"},
		{"negative startup", ClusterConfig{Nodes: 1, NodeStartup: -time.Second}, "node_startup"},
		{"negative pods per node", ClusterConfig{Nodes: 1, PodsPerNode: -2}, "pods_per_node"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCluster(tt.cfg)
			if tt.field == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrConfig))
			var fe *field.Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Path, "the error names the field: %v", err)
		})
	}
}

// TestClusterProperties: whatever the demands, capacity never exceeds
// max_nodes × pods_per_node nor shrinks, and a node asked for is ready
// exactly node_startup later.
func TestClusterProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := ClusterConfig{Nodes: rapid.IntRange(1, 5).Draw(t, "nodes"), PodsPerNode: rapid.IntRange(1, 8).Draw(t, "pods_per_node"),
			NodeStartup: time.Duration(rapid.IntRange(0, 120).Draw(t, "startup_s")) * time.Second}
		cfg.MaxNodes = cfg.Nodes + rapid.IntRange(0, 5).Draw(t, "extra_nodes")
		c, err := NewCluster(cfg)
		if err != nil {
			t.Fatal(err)
		}
		now, last := sim.Time(0), c.Capacity(0)
		for range rapid.IntRange(1, 20).Draw(t, "steps") {
			now = now.Add(time.Duration(rapid.IntRange(0, 60).Draw(t, "wait_s")) * time.Second)
			for _, ready := range c.Demand(now, rapid.IntRange(0, 100).Draw(t, "pods")) {
				if ready != now.Add(cfg.NodeStartup) {
					t.Fatalf("node asked for at %v ready at %v, want %v later", now, ready, cfg.NodeStartup)
				}
			}
			got := c.Capacity(now)
			if got < last || got > cfg.MaxNodes*cfg.PodsPerNode {
				t.Fatalf("capacity %d at %v after %d; want within [%d, %d]", got, now, last, last, cfg.MaxNodes*cfg.PodsPerNode)
			}
			last = got
		}
	})
}
