package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

func TestConfigDefaults(t *testing.T) {
	var c Config
	c.SetDefaults()
	assert.Equal(t, Config{HeartbeatTimeout: time.Second, ElectionTimeout: time.Second,
		LeaderLeaseTimeout: 500 * time.Millisecond, ReadMode: "log", ApplyTimeout: 5 * time.Second}, c)
	require.NoError(t, c.Validate())
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"heartbeat too short", func(c *Config) { c.HeartbeatTimeout = time.Microsecond },
			"heartbeat_timeout: must be >= 1ms, got 1µs"},
		{"negative election timeout", func(c *Config) { c.ElectionTimeout = -time.Second },
			"election_timeout: must be >= 1ms, got -1s"},
		{"lease longer than heartbeat", func(c *Config) { c.LeaderLeaseTimeout = 2 * time.Second },
			"leader_lease_timeout: must be in (0, heartbeat_timeout (1s)], got 2s"},
		{"negative lease", func(c *Config) { c.LeaderLeaseTimeout = -time.Millisecond },
			"leader_lease_timeout: must be in (0, heartbeat_timeout (1s)], got -1ms"},
		{"unknown read mode", func(c *Config) { c.ReadMode = "eventual" },
			`read_mode: must be log, lease, local or stale, got "eventual"`},
		{"negative apply timeout", func(c *Config) { c.ApplyTimeout = -time.Second },
			"apply_timeout: must be > 0, got -1s"},
		{"lease equal to heartbeat", func(c *Config) { c.LeaderLeaseTimeout = c.HeartbeatTimeout }, ""},
		{"lease reads", func(c *Config) { c.ReadMode = "lease" }, ""},
		{"local reads", func(c *Config) { c.ReadMode = "local" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			c.SetDefaults()
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tc.want)
		})
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	k := sim.New(1)
	net, err := sim.NewNetwork(k, sim.LinkConfig{})
	require.NoError(t, err)
	ops := &store.OpTable{}
	_, err = New(k, net, "kv", 0, ops, Config{})
	assert.EqualError(t, err, "store kv: replicas: must be in [1, 15], got 0")
	_, err = New(k, net, "kv", 16, ops, Config{})
	assert.EqualError(t, err, "store kv: replicas: must be in [1, 15], got 16")
	_, err = New(k, net, "kv", 3, nil, Config{})
	assert.EqualError(t, err, "store kv: nil op table")
	_, err = New(k, net, "kv", 3, ops, Config{ReadMode: "x"})
	assert.EqualError(t, err, `store kv: read_mode: must be log, lease, local or stale, got "x"`)
}
