package service

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// TestScaleUpWaitsForStartup: a scale-up adds instances in new slots,
// named nodes, handlers and streams like the first ones, that are ready
// only after the startup delay; the desired count is set at once.
func TestScaleUpWaitsForStartup(t *testing.T) {
	cfg := constService("api", 0.01)
	cfg.Instances, cfg.Startup = 2, 10*time.Second
	r := newRig(t, cfg)
	var added []int
	r.svc.OnAdd(func(i int) { added = append(added, i) })
	r.k.AtFunc(sim.At(5*time.Second), func() { r.svc.Scale(4) })
	check := func(at time.Duration, want []int) {
		r.k.AtFunc(sim.At(at), func() {
			if got := r.svc.Ready(); !slices.Equal(got, want) {
				t.Errorf("at %v: Ready() = %v, want %v", at, got, want)
			}
		})
	}
	check(time.Second, []int{0, 1})
	check(15*time.Second-1, []int{0, 1})
	check(15*time.Second+1, []int{0, 1, 2, 3})
	var cost time.Duration
	r.k.AtFunc(sim.At(20*time.Second), func() { cost = r.svc.InstanceTime() })
	r.k.Run()
	if r.svc.Replicas() != 4 || r.svc.Len() != 4 || r.svc.Live() != 4 || !slices.Equal(added, []int{2, 3}) {
		t.Errorf("Replicas %d, Len %d, Live %d, added %v; want 4, 4, 4, [2 3]", r.svc.Replicas(), r.svc.Len(), r.svc.Live(), added)
	}
	for i := 2; i < 4; i++ {
		in := r.svc.Instance(i)
		if got, want := r.net.Name(in.Node()), fmt.Sprintf("api-%d", i); got != want {
			t.Errorf("node %d is %q, want %q", i, got, want)
		}
		if in.Name() != fmt.Sprintf("service/api/instance-%d", i) || in.Started() != sim.At(5*time.Second) {
			t.Errorf("instance %d: name %q, started %v", i, in.Name(), in.Started())
		}
	}
	// 2 instances for 20 s, 2 more for 15 s (starting or not).
	if got, want := cost, 70*time.Second; got != want {
		t.Errorf("InstanceTime = %v, want %v", got, want)
	}
}

// TestScaleDownDrainsGracefully: scaling down takes the highest-index
// ready instance out of rotation at once, but it serves every request it
// had accepted, and those on the way to it, before it stops; only a
// request arriving after it stopped is reset.
func TestScaleDownDrainsGracefully(t *testing.T) {
	cfg := constService("api", 1)
	cfg.Instances = 3
	r := newRig(t, cfg)
	r.setRTT(t, 100*time.Millisecond)
	last := r.svc.Instance(2)
	for id := range int64(3) {
		r.c.sendAt(0, last, id) // arrive at 0.1s: one in service, two waiting
	}
	r.k.AtFunc(sim.At(500*time.Millisecond), func() {
		r.c.send(last, 3) // on the way when the drain starts
		r.svc.Scale(2)
		if got := r.svc.Ready(); !slices.Equal(got, []int{0, 1}) {
			t.Errorf("after Scale(2): Ready() = %v, want [0 1]", got)
		}
		if !last.Live() || last.Ready() {
			t.Errorf("draining instance: Live %v, Ready %v; want true, false", last.Live(), last.Ready())
		}
	})
	r.c.sendAt(10*time.Second, last, 4) // after it stopped
	r.k.Run()
	for id := range int64(4) {
		if rep := r.c.reply(id); rep.status != StatusOK {
			t.Errorf("request %d accepted before the drain: %v, want ok", id, rep.status)
		}
	}
	if got := r.c.reply(3).at; got != sim.At(4200*time.Millisecond) {
		t.Errorf("the last request was answered at %v, want 4.2s (four in turn from 0.1s)", got)
	}
	if rep := r.c.reply(4); rep.status != StatusReset {
		t.Errorf("request after the stop: %v, want reset", rep.status)
	}
	if last.Live() || r.svc.Live() != 2 {
		t.Errorf("after the drain: instance live %v, service live %d; want false, 2", last.Live(), r.svc.Live())
	}
}

// TestScaleDownStopsStartingFirst: instances still starting are stopped
// before any ready one is drained, and a later scale-up reuses the lowest
// stopped slot, with a fresh startup delay.
func TestScaleDownStopsStartingFirst(t *testing.T) {
	cfg := constService("api", 0.01)
	cfg.Startup = 5 * time.Second
	r := newRig(t, cfg)
	r.k.AtFunc(sim.At(time.Second), func() { r.svc.Scale(3) })
	r.k.AtFunc(sim.At(2*time.Second), func() { r.svc.Scale(2) }) // stops slot 2
	r.k.AtFunc(sim.At(3*time.Second), func() { r.svc.Scale(3) }) // relaunches slot 2
	r.k.AtFunc(sim.At(7*time.Second), func() {
		if got := r.svc.Ready(); !slices.Equal(got, []int{0, 1}) {
			t.Errorf("at 7s: Ready() = %v, want [0 1]: slot 2's first launch must not make it ready", got)
		}
	})
	r.k.Run()
	if got := r.svc.Ready(); !slices.Equal(got, []int{0, 1, 2}) || r.svc.Len() != 3 {
		t.Errorf("Ready() = %v, Len %d; want [0 1 2], 3", got, r.svc.Len())
	}
}

// TestScaleBounds: Scale never goes below 1 nor above max_instances.
func TestScaleBounds(t *testing.T) {
	cfg := constService("api", 0.01)
	cfg.Instances, cfg.MaxInstances = 2, 3
	r := newRig(t, cfg)
	r.svc.Scale(0)
	if r.svc.Replicas() != 1 {
		t.Errorf("Scale(0): Replicas %d, want 1", r.svc.Replicas())
	}
	r.svc.Scale(10)
	r.k.Run()
	if r.svc.Replicas() != 3 || len(r.svc.Ready()) != 3 || r.svc.MaxLive() != 3 {
		t.Errorf("Scale(10) with max_instances 3: Replicas %d, Ready %v, MaxLive %d", r.svc.Replicas(), r.svc.Ready(), r.svc.MaxLive())
	}
}

// TestMeterMeasuresUtilisationAndConcurrency: one worker busy for 1 s of
// a 2 s window is 50% utilisation; two requests present for 1 s and one
// for another 1 s is a mean concurrency of 1.5.
func TestMeterMeasuresUtilisationAndConcurrency(t *testing.T) {
	r := newRig(t, constService("api", 1))
	m := r.svc.NewMeter()
	r.c.send(r.svc.Instance(0), 1)
	r.c.send(r.svc.Instance(0), 2)
	var got []Usage
	r.k.AtFunc(sim.At(time.Second), func() { got = m.Sample(got[:0]) })
	r.k.AtFunc(sim.At(3*time.Second), func() { got = m.Sample(got[:0]) })
	r.k.Run()
	if want := (Usage{Utilization: 0.5, Concurrency: 0.5}); got[0] != want {
		t.Errorf("usage over [1s, 3s) = %+v, want %+v", got[0], want)
	}
}

func TestConfigScalingFields(t *testing.T) {
	cases := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Startup = -time.Second }, "startup: must be >= 0, got -1s"},
		{func(c *Config) { c.Instances, c.MaxInstances = 3, 2 }, "max_instances: must be 0 (no cap) or >= instances (3), got 2"},
		{func(c *Config) { c.Autoscale = &AutoscaleConfig{Policy: "vpa"} }, `autoscale.policy: must be none, hpa, kpa or vertical, got "vpa"`},
		{func(c *Config) { c.Autoscale = &AutoscaleConfig{Policy: "hpa"} }, "autoscale.hpa.max_replicas: is required: >= 1, got 0"},
		{func(c *Config) {
			c.Autoscale = &AutoscaleConfig{Policy: "hpa", TargetUtilization: 150}
			c.Autoscale.HPA.MaxReplicas = 4
		}, "autoscale.target_utilization: must be in (0, 100] percent, got 150"},
		{func(c *Config) {
			c.Autoscale = &AutoscaleConfig{Policy: "hpa"}
			c.Autoscale.HPA.MaxReplicas, c.Autoscale.HPA.MinReplicas = 4, 5
		}, "autoscale.hpa.max_replicas: must be >= min_replicas (5), got 4"},
		{func(c *Config) {
			c.Autoscale = &AutoscaleConfig{Policy: "kpa"}
			c.Autoscale.KPA.PanicThresholdPercentage = 50
		}, "autoscale.kpa.panic_threshold_percentage: must be in [110, 1000], got 50"},
	}
	for _, c := range cases {
		cfg := constService("api", 0.01)
		c.edit(&cfg)
		cfg.SetDefaults()
		err := cfg.Validate()
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}
