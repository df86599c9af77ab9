package broker

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/sim"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{Name: "orders", Consumer: ConsumerConfig{ServiceTime: constant(0.01)}}
	c.SetDefaults()
	require.NoError(t, c.Validate())
	assert.Equal(t, DefaultPartitions, c.Partitions)
	assert.Equal(t, 1, c.Producers)
	assert.Equal(t, 1, c.Consumers)
	assert.Equal(t, "1", c.Producer.Acks)
	assert.Equal(t, DefaultProduceRetries, c.Producer.Retries)
	assert.Equal(t, AssignRange, c.Group.Assignor)
	assert.Equal(t, 45*time.Second, c.Group.SessionTimeout)
	assert.Equal(t, 3*time.Second, c.Group.HeartbeatInterval)
	assert.Equal(t, CommitAuto, c.Consumer.Commit)
	assert.Equal(t, 5*time.Second, c.Consumer.AutoCommitInterval)
	assert.Equal(t, 500, c.Consumer.MaxPollRecords)
	assert.Equal(t, OutageBlock, c.Consumer.Outage)

	// -1 spells an explicit 0 where 0 is not the default.
	z := Config{Name: "orders", Consumer: ConsumerConfig{ServiceTime: constant(0.01), MaxRetries: -1},
		Producer: ProducerConfig{Retries: -1}, Group: GroupConfig{RebalancePause: -1}}
	z.SetDefaults()
	require.NoError(t, z.Validate())
	assert.Zero(t, z.Consumer.MaxRetries)
	assert.Zero(t, z.Producer.Retries)
	assert.Zero(t, z.Group.RebalancePause)
}

func TestConfigValidateNamesField(t *testing.T) {
	tests := []struct {
		field string
		edit  func(*Config)
	}{
		{"name", func(c *Config) { c.Name = "Orders" }},
		{"partitions", func(c *Config) { c.Partitions = MaxPartitions + 1 }},
		{"producers", func(c *Config) { c.Producers = -2 }},
		{"consumers", func(c *Config) { c.Consumers = -1 }},
		{"record_bytes", func(c *Config) { c.RecordBytes = -1 }},
		{"producer.rate", func(c *Config) { c.Producer.Rate = -1 }},
		{"producer.keys", func(c *Config) { c.Producer.Keys = -1 }},
		{"producer.acks", func(c *Config) { c.Producer.Acks = "2" }},
		{"producer.request_timeout", func(c *Config) { c.Producer.RequestTimeout = -time.Second }},
		{"producer.retries", func(c *Config) { c.Producer.Retries = -3 }},
		{"producer.retry_backoff", func(c *Config) { c.Producer.RetryBackoff = -time.Second }},
		{"group.assignor", func(c *Config) { c.Group.Assignor = "sticky" }},
		{"group.heartbeat_interval", func(c *Config) { c.Group.HeartbeatInterval = -time.Second }},
		{"group.session_timeout", func(c *Config) { c.Group.SessionTimeout = time.Second }},
		{"group.rebalance_pause", func(c *Config) { c.Group.RebalancePause = -2 * time.Second }},
		{"group.rebalance_timeout", func(c *Config) { c.Group.RebalanceTimeout = time.Millisecond }},
		{"consumer.workers", func(c *Config) { c.Consumer.Workers = -1 }},
		{"consumer.max_poll_records", func(c *Config) { c.Consumer.MaxPollRecords = 1 << 16 }},
		{"consumer.fetch_max_wait", func(c *Config) { c.Consumer.FetchMaxWait = -1 }},
		{"consumer.request_timeout", func(c *Config) { c.Consumer.RequestTimeout = -1 }},
		{"consumer.commit", func(c *Config) { c.Consumer.Commit = "sync" }},
		{"consumer.auto_commit_interval", func(c *Config) { c.Consumer.AutoCommitInterval = -1 }},
		{"consumer.error_rate", func(c *Config) { c.Consumer.ErrorRate = 1.5 }},
		{"consumer.max_retries", func(c *Config) { c.Consumer.MaxRetries = -2 }},
		{"consumer.retry_backoff", func(c *Config) { c.Consumer.RetryBackoff = -1 }},
		{"consumer.outage", func(c *Config) { c.Consumer.Outage = "ignore" }},
		{"consumer.service_time", func(c *Config) { c.Consumer.ServiceTime = sim.DistSpec{} }},
		{"consumer.service_time.mean", func(c *Config) { c.Consumer.ServiceTime = sim.DistSpec{Kind: "exponential"} }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			c := Config{Name: "orders", Consumer: ConsumerConfig{ServiceTime: constant(0.01)}, Group: GroupConfig{SessionTimeout: 10 * time.Second}}
			tt.edit(&c)
			c.SetDefaults()
			err := c.Validate()
			require.Error(t, err)
			var fe *field.Error
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.Equal(t, tt.field, fe.Path, "%v", err)
			assert.ErrorIs(t, err, ErrConfig)
			k := sim.New(1)
			net, _ := sim.NewNetwork(k, sim.LinkConfig{})
			_, err = New(k, net, c)
			assert.ErrorContains(t, err, tt.field)
		})
	}
}

// The yaml names are the scenario language's: a config written in YAML
// decodes field by field, and the rest takes the defaults.
func TestConfigFromYAML(t *testing.T) {
	const doc = `
name: orders
partitions: 12
consumers: 4
producer: {rate: 250, acks: "0", keys: 64}
group: {assignor: roundrobin, session_timeout: 10s, heartbeat_interval: 1s, rebalance_pause: 2s}
consumer:
  workers: 2
  service_time: {kind: exponential, mean: 0.02}
  commit: record
  error_rate: 0.01
  max_retries: 5
  outage: fail
`
	var c Config
	require.NoError(t, yaml.Unmarshal([]byte(doc), &c))
	c.SetDefaults()
	require.NoError(t, c.Validate())
	assert.Equal(t, 12, c.Partitions)
	assert.Equal(t, 4, c.Consumers)
	assert.Equal(t, ProducerConfig{Rate: 250, Acks: "0", Keys: 64, RequestTimeout: DefaultRequestTimeout,
		Retries: DefaultProduceRetries, RetryBackoff: DefaultRetryBackoff}, c.Producer)
	assert.Equal(t, GroupConfig{Assignor: AssignRoundRobin, SessionTimeout: 10 * time.Second,
		HeartbeatInterval: time.Second, RebalancePause: 2 * time.Second, RebalanceTimeout: DefaultRebalanceTimeout}, c.Group)
	assert.Equal(t, 2, c.Consumer.Workers)
	assert.Equal(t, CommitRecord, c.Consumer.Commit)
	assert.Equal(t, 5, c.Consumer.MaxRetries)
	assert.Equal(t, OutageFail, c.Consumer.Outage)
	assert.InDelta(t, 0.01, c.Consumer.ErrorRate, 0)
	assert.Equal(t, "exponential", c.Consumer.ServiceTime.Kind)
}
