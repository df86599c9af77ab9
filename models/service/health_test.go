package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/sim"
)

// TestCrashLoopBackOff: under the restart policy a process that crashes
// on every start is restarted after 10, 20, 40, 80, 160, 300, 300 s
// (Kubernetes' documented schedule: doubling from 10 s, capped at 5 min).
// Once the cause is gone, it comes back at its next scheduled restart.
func TestCrashLoopBackOff(t *testing.T) {
	cfg := constService("api", 0.001)
	cfg.Restart = &RestartConfig{}
	r := newRig(t, cfg)
	r.k.AtFunc(0, func() { r.svc.Crash(0) })
	var restartsAt []time.Duration
	seen := int64(0)
	var watch func()
	watch = func() {
		if n := r.svc.Instance(0).Restarts(); n != seen {
			seen = n
			restartsAt = append(restartsAt, time.Duration(r.k.Now()))
		}
		if r.k.Now() < sim.At(1000*time.Second) {
			r.k.AfterFunc(time.Second, watch)
		}
	}
	r.k.AtFunc(0, watch)
	r.k.AtFunc(sim.At(700*time.Second), func() { r.svc.Restart(0) }) // the cause is fixed
	r.k.Run()
	s := time.Second
	assert.Equal(t, []time.Duration{10 * s, 30 * s, 70 * s, 150 * s, 310 * s, 610 * s, 910 * s}, restartsAt)
	assert.True(t, r.svc.Instance(0).Up(), "up after the first restart past the fix (910 s), not at the fix (700 s)")
}

// TestCrashLoopResetsAfterTenMinutes: a process that ran 10 minutes
// without crashing starts over at 10 s.
func TestCrashLoopResetsAfterTenMinutes(t *testing.T) {
	cfg := constService("api", 0.001)
	cfg.Restart = &RestartConfig{}
	r := newRig(t, cfg)
	in := r.svc.Instance(0)
	r.k.AtFunc(0, func() { r.svc.Crash(0) })
	r.k.AtFunc(sim.At(15*time.Second), func() { r.svc.Restart(0) }) // restarts at 30 s (10 + 20)
	r.k.AtFunc(sim.At(31*time.Second), func() { assert.True(t, in.Up()) })
	r.k.AtFunc(sim.At(100*time.Second), func() { r.svc.Crash(0) }) // 70 s up: back-off 40 s
	r.k.AtFunc(sim.At(101*time.Second), func() { r.svc.Restart(0) })
	r.k.AtFunc(sim.At(139*time.Second), func() { assert.False(t, in.Up(), "still backing off at 139 s") })
	r.k.AtFunc(sim.At(141*time.Second), func() { assert.True(t, in.Up(), "back at 140 s") })
	r.k.AtFunc(sim.At(800*time.Second), func() { r.svc.Crash(0) }) // 660 s up: reset to 10 s
	r.k.AtFunc(sim.At(801*time.Second), func() { r.svc.Restart(0) })
	r.k.AtFunc(sim.At(811*time.Second), func() { assert.True(t, in.Up(), "back after 10 s") })
	r.k.Run()
}

// TestHealthCheckTakesDeadInstancesOutOfRotation: without probes a
// crashed instance keeps its share of the traffic; with probes every
// 1 s and a failure threshold of 3 it leaves the ready set after 3 s,
// and callers see that discovery_delay later. After the restart one
// successful probe puts it back.
func TestHealthCheckTakesDeadInstancesOutOfRotation(t *testing.T) {
	cfg := constService("api", 0.001)
	cfg.Instances = 2
	cfg.HealthCheck = &HealthCheckConfig{Period: time.Second, FailureThreshold: 3}
	cfg.DiscoveryDelay = 500 * time.Millisecond
	r := newRig(t, cfg)
	r.k.AtFunc(sim.At(100*time.Millisecond), func() { r.svc.Crash(1) })
	at := func(d time.Duration, want []int) {
		r.k.AtFunc(sim.At(d), func() { assert.Equal(t, want, r.svc.Ready(), "ready set seen at %v", d) })
	}
	at(3400*time.Millisecond, []int{0, 1}) // probes at 1, 2, 3 s fail; the view lags 0.5 s
	at(3600*time.Millisecond, []int{0})
	r.k.AtFunc(sim.At(10200*time.Millisecond), func() { r.svc.Restart(1) })
	at(11400*time.Millisecond, []int{0})
	at(11600*time.Millisecond, []int{0, 1})
	r.k.AtFunc(sim.At(20*time.Second), func() { r.k.Stop() })
	r.k.Run()
}

// TestNoReadyInstanceRefusesAtOnce: when probes have taken every instance
// out of rotation, a call finds no endpoint and is refused at once.
func TestNoReadyInstanceRefusesAtOnce(t *testing.T) {
	b := constService("b", 0.001)
	b.HealthCheck = &HealthCheckConfig{Period: time.Second, FailureThreshold: 1}
	g := newGraph(t, 1, calling(constService("a", 0), Call{Service: "b"}), b)
	g.svc["b"].Crash(0)
	g.c.sendAt(1500*time.Millisecond, g.svc["a"].Instance(0), 1)
	g.k.AtFunc(sim.At(3*time.Second), func() { g.k.Stop() })
	g.k.Run()
	require.Empty(t, g.svc["b"].Ready())
	rep := g.c.reply(1)
	assert.Equal(t, StatusError, rep.status)
	assert.Equal(t, sim.At(1500*time.Millisecond), rep.at)
	assert.Equal(t, int64(0), g.svc["b"].Stats().Received, "nothing was sent to the dead instance")
}

func TestHealthConfigValidate(t *testing.T) {
	cases := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.HealthCheck = &HealthCheckConfig{Period: -1} }, "health_check.period: must be > 0, got -1ns"},
		{func(c *Config) { c.HealthCheck = &HealthCheckConfig{FailureThreshold: -2} }, "health_check.failure_threshold: must be >= 1, got -2"},
		{func(c *Config) { c.DiscoveryDelay = -time.Second }, "discovery_delay: must be >= 0, got -1s"},
		{func(c *Config) { c.Restart = &RestartConfig{Initial: time.Minute, Max: time.Second} }, "restart.max: must be >= initial (1m0s), got 1s"},
	}
	for _, tc := range cases {
		cfg := constService("a", 0)
		tc.edit(&cfg)
		cfg.SetDefaults()
		assert.EqualError(t, cfg.Validate(), tc.want)
	}
	cfg := constService("a", 0)
	cfg.HealthCheck, cfg.Restart = &HealthCheckConfig{}, &RestartConfig{}
	cfg.SetDefaults()
	assert.Equal(t, HealthCheckConfig{Period: 10 * time.Second, FailureThreshold: 3, SuccessThreshold: 1}, *cfg.HealthCheck)
	assert.Equal(t, RestartConfig{Initial: 10 * time.Second, Max: 5 * time.Minute, ResetAfter: 10 * time.Minute}, *cfg.Restart)
}
