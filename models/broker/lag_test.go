package broker

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/sim"
)

// steady drives producer 0 with one record every 1/rate seconds from
// from to to, keys in turn: an external arrival process with no noise, so
// lag can be compared with the arithmetic.
func steady(k *sim.Kernel, p *Producer, rate float64, from, to sim.Time) {
	gap := time.Duration(float64(time.Second) / rate)
	var key uint64
	var tick func()
	tick = func() {
		p.Produce(key)
		key++
		if next := k.Now().Add(gap); next < to {
			k.AtFunc(next, tick)
		}
	}
	k.AtFunc(from, tick)
}

// During a downstream outage with outage: block, nothing is processed, so
// lag grows at the arrival rate; after it, lag drains at capacity minus
// arrival rate, capacity being consumers / service time.
func TestLagGrowsAndDrainsAtTheRates(t *testing.T) {
	const (
		arrival = 400.0 // records/s
		svc     = 0.002 // s: 500 records/s per consumer
		cons    = 2     // capacity 1000 records/s
	)
	cfg := baseConfig()
	cfg.Consumers = cons
	cfg.Consumer.ServiceTime = constant(svc)
	cfg.Consumer.Commit = CommitRecord
	cfg.Consumer.RetryBackoff = 5 * time.Millisecond
	k, b := build(t, 1, cfg, 0, 0)
	b.Start(secs(12))
	steady(k, b.Producer(0), arrival, secs(1), secs(10))
	k.AtFunc(secs(3), func() { b.SetDownstream(false) })
	k.AtFunc(secs(5), func() { b.SetDownstream(true) })

	k.RunUntil(secs(3.5))
	lag1 := b.TotalLag()
	k.RunUntil(secs(4.5))
	growth := float64(b.TotalLag() - lag1)
	assert.InDelta(t, arrival, growth, 0.01*arrival, "lag growth per second during the outage")

	k.RunUntil(secs(5))
	peak := float64(b.TotalLag())
	assert.InDelta(t, 2*arrival, peak, 0.02*2*arrival, "lag after a 2s outage")
	drainRate := cons/svc - arrival
	wantDrained := 5 + peak/drainRate // s
	drainedAt := -1.0
	for at := 5.0; at < 10; at += 0.01 {
		k.RunUntil(secs(at))
		if b.TotalLag() <= 5 { // a few records are always in flight
			drainedAt = at
			break
		}
	}
	require.Positive(t, drainedAt, "lag never drained")
	t.Logf("growth %.0f/s, peak %.0f, drained at %.2fs (arithmetic %.2fs)", growth, peak, drainedAt, wantDrained)
	assert.InDelta(t, wantDrained, drainedAt, 0.05*(wantDrained-5),
		"drained at %.2fs, arithmetic says %.2fs (peak %.0f, drain rate %.0f/s)", drainedAt, wantDrained, peak, drainRate)
	k.Run()
	m := b.Metrics()
	assert.Equal(t, m.Produced, m.Completed)
	assert.Zero(t, m.DeadLettered, "blocking outages dead-letter nothing")
	assert.Zero(t, m.Lag)
}

// Group throughput is min(arrival rate, active consumers × per-consumer
// rate), with active consumers = min(consumers, partitions), when the
// load is spread evenly over the active consumers. Service times are
// constant so that the saturated rows are exact; the others carry only
// the Poisson arrivals' noise (about 1% over 10 s).
func TestGroupThroughput(t *testing.T) {
	seed := testSeed(t)
	const svc = 0.004 // 250 records/s per consumer
	tests := []struct {
		arrival float64
		cons    int
	}{
		{900, 1}, {900, 2}, {900, 3}, {900, 6}, {900, 8}, {2000, 8},
	}
	for _, tt := range tests {
		cfg := baseConfig()
		cfg.Partitions, cfg.Consumers = 6, tt.cons
		cfg.Producer.Rate, cfg.Producer.Keys = tt.arrival, 4096
		cfg.Consumer.ServiceTime = constant(svc)
		k, b := build(t, seed, cfg, time.Millisecond, 0)
		b.Start(secs(13))
		k.RunUntil(secs(3))
		before := b.Stats().Processed
		k.RunUntil(secs(13))
		got := float64(b.Stats().Processed-before) / 10
		want := math.Min(tt.arrival, float64(min(tt.cons, 6))/svc)
		t.Logf("arrival %.0f/s, %d consumers: %.1f records/s (want %.1f)", tt.arrival, tt.cons, got, want)
		assert.InEpsilon(t, want, got, 0.03, "arrival %.0f/s, %d consumers", tt.arrival, tt.cons)
	}
}
