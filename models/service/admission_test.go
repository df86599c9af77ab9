package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/faultline-sim/faultline/models/resilience"
)

// TestRateLimitAdmission: a bucket of 5 refilled at 10/s admits 5 of 20
// simultaneous requests (it starts full) and rejects the rest at once.
func TestRateLimitAdmission(t *testing.T) {
	cfg := constService("gateway", 0)
	cfg.Workers = 100
	cfg.RateLimit = &resilience.RateLimitConfig{Rate: 10, Burst: 5}
	r := newRig(t, cfg)
	for i := range 20 {
		r.c.sendAt(0, r.svc.Instance(0), int64(i))
	}
	r.c.sendAt(100_000_000, r.svc.Instance(0), 100) // 100 ms later: one token back
	r.k.Run()
	st := r.svc.Stats()
	assert.Equal(t, int64(6), st.Served)
	assert.Equal(t, int64(15), st.Limited)
	assert.Equal(t, StatusOK, r.c.reply(100).status)
	assert.Equal(t, StatusRejected, r.c.reply(19).status)
}

// TestDropOldestShedsTheLongestWaiting: one worker, room for 2 waiting;
// of 5 simultaneous requests, drop_oldest serves 1 (in service), 4 and 5
// and sheds 2 and 3; reject serves 1, 2, 3 and rejects 4 and 5.
func TestDropOldestShedsTheLongestWaiting(t *testing.T) {
	for _, tc := range []struct {
		overflow string
		served   []int64
	}{{OverflowDropOldest, []int64{1, 4, 5}}, {OverflowReject, []int64{1, 2, 3}}} {
		cfg := constService("api", 0.01)
		cfg.QueueLimit, cfg.Overflow = 2, tc.overflow
		r := newRig(t, cfg)
		for i := int64(1); i <= 5; i++ {
			r.c.sendAt(0, r.svc.Instance(0), i)
		}
		r.k.Run()
		var served []int64
		for i := int64(1); i <= 5; i++ {
			if r.c.reply(i).status == StatusOK {
				served = append(served, i)
			}
		}
		assert.Equal(t, tc.served, served, tc.overflow)
	}
}

// TestErrorRate: a service failing 20% of its requests fails about that
// share (binomial: 10 000 requests, 4 standard deviations is 1.6 points),
// after doing the work, and does not make its calls for them.
func TestErrorRate(t *testing.T) {
	a := calling(constService("a", 0), Call{Service: "b"})
	a.ErrorRate = 0.2
	g := newGraph(t, 3, a, constService("b", 0))
	for i := range 10000 {
		g.c.sendAt(time.Duration(i)*time.Millisecond, g.svc["a"].Instance(0), int64(i))
	}
	g.k.Run()
	failed := g.svc["a"].Stats().Failed
	assert.InDelta(t, 2000, failed, 160)
	assert.Equal(t, 10000-failed, g.svc["b"].Stats().Received)
	cfg := constService("a", 0)
	cfg.ErrorRate = 1.5
	cfg.SetDefaults()
	assert.EqualError(t, cfg.Validate(), "error_rate: must be in [0, 1], got 1.5")
}

// TestRateLimitPerClient: with a bucket per caller, a greedy client
// exhausts its own bucket and a polite one is not limited.
func TestRateLimitPerClient(t *testing.T) {
	cfg := constService("gateway", 0)
	cfg.Workers = 100
	cfg.RateLimit = &resilience.RateLimitConfig{Rate: 10, Burst: 5}
	cfg.RateLimitPerClient = true
	r := newRig(t, cfg)
	polite := &testCaller{t: t, k: r.k, net: r.net, node: r.net.AddNode("polite")}
	polite.id = r.k.Register("polite", polite)
	for i := range 20 {
		r.c.sendAt(0, r.svc.Instance(0), int64(i))
	}
	for i := range 3 {
		polite.sendAt(0, r.svc.Instance(0), int64(i))
	}
	r.k.Run()
	assert.Equal(t, int64(15), r.svc.Stats().Limited, "the greedy client's 20 - 5")
	for i := range 3 {
		assert.Equal(t, StatusOK, polite.reply(int64(i)).status)
	}
}
