package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faulty is a run with every kind of fault and randomness: loss, a crash,
// an outage, a broker pause, failures and a scale-out.
func faulty(seed uint64) run {
	cfg := baseConfig()
	cfg.Consumers, cfg.Producers = 3, 2
	cfg.Producer.Rate = 300
	cfg.Consumer.ErrorRate = 0.05
	cfg.Consumer.Workers = 2
	return run{cfg: cfg, seed: seed, latency: time.Millisecond, loss: 0.02,
		crash: [2]float64{1, 2.5}, outage: [2]float64{1.5, 2}, pause: [2]float64{3, 3.3},
		scaleAt: 3.5, scaleTo: 4}
}

// The same seed gives the same run, event for event; another seed gives
// another run.
func TestDeterminism(t *testing.T) {
	seed := testSeed(t)
	k1, b1, _ := faulty(seed).execute(t)
	k2, b2, _ := faulty(seed).execute(t)
	require.Equal(t, k1.Hash(), k2.Hash(), "same seed, same trace")
	require.Equal(t, b1.Metrics(), b2.Metrics())
	k3, _, _ := faulty(seed + 1).execute(t)
	assert.NotEqual(t, k1.Hash(), k3.Hash(), "another seed, another trace")
	assert.Positive(t, b1.Metrics().Redelivered+b1.Metrics().ProducerDuplicates, "the run exercises duplicates")
}

// A paused broker stores, acks and hands out nothing; what reached it
// waits and is handled on resume, heartbeats before session checks, so a
// pause longer than the session timeout does not expire the members.
func TestBrokerPause(t *testing.T) {
	seed := testSeed(t)
	cfg := baseConfig()
	cfg.Producer.Rate = 500
	k, b := build(t, seed, cfg, time.Millisecond, 0)
	b.Start(secs(8))
	k.AtFunc(secs(2), b.Pause)
	k.AtFunc(secs(5), b.Resume)
	k.RunUntil(secs(2.01))
	stored, lag := b.Stats().Stored, b.TotalLag()
	k.RunUntil(secs(4.99))
	require.True(t, b.Paused())
	assert.Equal(t, stored, b.Stats().Stored, "nothing is stored while paused")
	assert.Equal(t, lag, b.TotalLag(), "no commit lands while paused")
	k.Run()
	m := b.Metrics()
	assert.Equal(t, m.Produced, m.Completed)
	assert.Zero(t, m.SessionExpiries)
	assert.Equal(t, int64(1), m.Rebalances)
	assert.Zero(t, m.Redelivered)
	assert.Zero(t, m.Lag)
}
