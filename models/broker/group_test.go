package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/sim"
)

// The running group assigns partitions as Assign says, in consumer order;
// with 3 partitions and 4 consumers the last consumer is idle.
func TestGroupAssignsLikeAssignor(t *testing.T) {
	for _, assignor := range []string{AssignRange, AssignRoundRobin} {
		for _, pc := range [][2]int{{6, 4}, {3, 4}, {6, 2}} {
			cfg := baseConfig()
			cfg.Partitions, cfg.Consumers, cfg.Group.Assignor = pc[0], pc[1], assignor
			cfg.Producer.Rate = 100
			k, b := build(t, 1, cfg, time.Millisecond, 0)
			b.Start(secs(2))
			k.RunUntil(secs(1))
			want := Assign(assignor, pc[0], pc[1])
			for c, parts := range want {
				assert.Equal(t, parts, b.Consumer(c).Partitions(), "%s P=%d C=%d consumer %d", assignor, pc[0], pc[1], c)
				for _, p := range parts {
					assert.Equal(t, c, b.Owner(p))
				}
			}
			m := b.Metrics()
			assert.Equal(t, min(pc[0], pc[1]), m.ActiveConsumers)
			assert.Equal(t, int64(1), m.Rebalances, "the consumers joining at once make one rebalance")
		}
	}
}

// Within a partition records are processed in offset order, one at a
// time, even with several workers per consumer; and with an acks=1
// producer on a lossless network, the log keeps each key's produce order.
func TestPerPartitionOrder(t *testing.T) {
	seed := testSeed(t)
	cfg := baseConfig()
	cfg.Consumers = 2
	cfg.Producer.Rate, cfg.Producer.Keys = 2000, 50
	cfg.Consumer.Workers = 3
	cfg.Consumer.ServiceTime = sim.DistSpec{Kind: "exponential", Mean: 0.001}
	k, b := build(t, seed, cfg, time.Millisecond, 0)
	nextOff := make([]int64, cfg.Partitions)
	lastRec := map[uint64]int64{}
	inService := 0
	b.OnHandled(func(h Handled) {
		require.False(t, h.Redelivery)
		require.Equal(t, nextOff[h.Partition], h.Offset, "partition %d out of order", h.Partition)
		nextOff[h.Partition]++
		if last, ok := lastRec[h.Key]; ok {
			require.Greater(t, h.Record, last, "key %d: record %d after %d", h.Key, h.Record, last)
		}
		lastRec[h.Key] = h.Record
		inService++
	})
	b.Start(secs(3))
	k.Run()
	m := b.Metrics()
	require.Equal(t, m.Produced, m.Completed)
	require.Equal(t, int(m.Produced), inService)
	require.Zero(t, m.Lag)
}

// Scaling out triggers a rebalance that spreads the partitions; scaling
// in lets the leaving consumers commit first, so nothing is redelivered.
func TestSetConsumers(t *testing.T) {
	seed := testSeed(t)
	cfg := baseConfig()
	cfg.Consumers = 1
	cfg.Producer.Rate = 500
	k, b := build(t, seed, cfg, time.Millisecond, 0)
	b.Start(secs(6))
	k.RunUntil(secs(1))
	require.Equal(t, 1, b.Metrics().ActiveConsumers)
	require.NoError(t, b.SetConsumers(3))
	k.RunUntil(secs(2.5))
	m := b.Metrics()
	assert.Equal(t, 3, m.ActiveConsumers)
	assert.Equal(t, int64(2), m.Rebalances)
	for c := range 3 {
		assert.Len(t, b.Consumer(c).Partitions(), 2)
	}
	require.NoError(t, b.SetConsumers(1))
	k.RunUntil(secs(4))
	m = b.Metrics()
	assert.Equal(t, 1, m.ActiveConsumers)
	assert.False(t, b.Consumer(2).Up())
	assert.Len(t, b.Consumer(0).Partitions(), 6)
	require.Error(t, b.SetConsumers(-1))
	k.Run()
	m = b.Metrics()
	assert.Equal(t, m.Produced, m.Completed)
	assert.Zero(t, m.Redelivered, "a clean leave commits before its partitions move")
	assert.Zero(t, m.Duplicates)
	assert.Zero(t, m.SessionExpiries)
}

// Rebalances that start while records are in service (here slow ones,
// longer than the rebalance timeout) never make a consumer handle a
// record of a partition it does not hold, or at another offset than its
// position; every record is still processed.
func TestRebalanceWhileRecordsAreInService(t *testing.T) {
	seed := testSeed(t)
	cfg := baseConfig()
	cfg.Partitions, cfg.Consumers = 2, 1
	cfg.Producer.Rate = 1.5
	cfg.Consumer.ServiceTime = constant(0.5)
	cfg.Group.RebalanceTimeout = 300 * time.Millisecond
	k, b := build(t, seed, cfg, time.Millisecond, 0)
	seen := make([]map[int64]bool, cfg.Partitions)
	for p := range seen {
		seen[p] = map[int64]bool{}
	}
	b.OnHandled(func(h Handled) {
		rec, _ := b.Entry(h.Partition, h.Offset)
		require.Equal(t, rec, h.Record)
		pos, owned := b.Consumer(h.Consumer).Position(h.Partition)
		require.True(t, owned, "consumer %d handled partition %d it does not hold", h.Consumer, h.Partition)
		require.Equal(t, pos, h.Offset, "consumer %d handled an offset other than its position", h.Consumer)
		require.Equal(t, h.Redelivery, seen[h.Partition][h.Offset], "partition %d offset %d", h.Partition, h.Offset)
		seen[h.Partition][h.Offset] = true
	})
	b.Start(secs(20))
	for at := 2.1; at < 15; at += 1.7 { // scale out and in while records are in service
		n := 2
		if int(at)%2 == 1 {
			n = 1
		}
		k.AtFunc(secs(at), func() { require.NoError(t, b.SetConsumers(n)) })
	}
	k.Run()
	m := b.Metrics()
	require.Positive(t, m.Produced)
	assert.Equal(t, m.Produced, m.Completed)
	assert.Zero(t, m.Lag)
	assert.GreaterOrEqual(t, m.Rebalances, int64(5))
}
