package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/models/autoscale"
	"github.com/faultline-sim/faultline/sim"
)

// TestResizeOneAtATime: resizing restarts instances one at a time; each
// is out of rotation from its drain until it is ready again at the new
// size (startup later), and the next one waits for it.
func TestResizeOneAtATime(t *testing.T) {
	cfg := constService("api", 0.01)
	cfg.Instances, cfg.Startup = 3, 10*time.Second
	r := newRig(t, cfg)
	rz := r.svc.NewResizer()
	require.Equal(t, 1, rz.Target())
	r.k.AtFunc(sim.At(time.Second), func() { rz.Resize(4) })
	type look struct {
		at      time.Duration
		ready   []int
		workers []int
	}
	looks := []look{
		{500 * time.Millisecond, []int{0, 1, 2}, []int{1, 1, 1}},
		{5 * time.Second, []int{1, 2}, []int{4, 1, 1}},
		{12 * time.Second, []int{0, 2}, []int{4, 4, 1}},
		{22 * time.Second, []int{0, 1}, []int{4, 4, 4}},
		{32 * time.Second, []int{0, 1, 2}, []int{4, 4, 4}},
	}
	for _, l := range looks {
		r.k.AtFunc(sim.At(l.at), func() {
			assert.Equal(t, l.ready, r.svc.Ready(), "ready at %v", l.at)
			var w []int
			for i := range r.svc.Len() {
				w = append(w, r.svc.Instance(i).Workers())
			}
			assert.Equal(t, l.workers, w, "workers at %v", l.at)
		})
	}
	r.k.Run()
	assert.False(t, rz.Busy())
	assert.Equal(t, 3, r.svc.Live())
}

// TestResizeDrainsGracefully: the request an instance holds when its
// restart begins is served, not reset.
func TestResizeDrainsGracefully(t *testing.T) {
	cfg := constService("api", 1)
	r := newRig(t, cfg)
	rz := r.svc.NewResizer()
	r.c.sendAt(0, r.svc.Instance(0), 1)
	r.k.AtFunc(sim.At(500*time.Millisecond), func() { rz.Resize(2) })
	r.k.Run()
	assert.Equal(t, StatusOK, r.c.reply(1).status)
	assert.Equal(t, 2, r.svc.Instance(0).Workers())
}

// TestColdStart: an instance launched by scaling serves its requests
// factor times slower for cold_start.for after it became ready; the
// instances the service started with are warm.
func TestColdStart(t *testing.T) {
	cfg := constService("api", 0.1)
	cfg.Startup = 5 * time.Second
	cfg.Autoscale = &AutoscaleConfig{ColdStart: ColdStart{Factor: 3, For: 10 * time.Second}}
	r := newRig(t, cfg)
	r.k.AtFunc(sim.At(time.Second), func() { r.svc.Scale(2) }) // instance 1 ready at 6 s
	r.c.sendAt(2*time.Second, r.svc.Instance(0), 1)            // warm
	r.k.AtFunc(sim.At(7*time.Second), func() { r.c.send(r.svc.Instance(1), 2) })
	r.k.AtFunc(sim.At(17*time.Second), func() { r.c.send(r.svc.Instance(1), 3) })
	r.k.Run()
	took := func(id int64, sent time.Duration) time.Duration {
		return r.c.reply(id).at.Sub(sim.At(sent))
	}
	assert.Equal(t, 100*time.Millisecond, took(1, 2*time.Second), "the first instance is warm")
	assert.Equal(t, 300*time.Millisecond, took(2, 7*time.Second), "1 s after ready: 3 × 100 ms")
	assert.Equal(t, 100*time.Millisecond, took(3, 17*time.Second), "11 s after ready: warm")
}

func TestAutoscaleConfigValidateNewFields(t *testing.T) {
	tests := []struct {
		name  string
		a     AutoscaleConfig
		field string
	}{
		{"cold start factor below 1", AutoscaleConfig{ColdStart: ColdStart{Factor: 0.5, For: time.Second}}, "autoscale.cold_start.factor"},
		{"cold start without for", AutoscaleConfig{ColdStart: ColdStart{Factor: 2}}, "autoscale.cold_start.for"},
		{"slo availability above 1", AutoscaleConfig{SLO: SLO{Availability: 1.5}}, "autoscale.slo.availability"},
		{"negative slo p99", AutoscaleConfig{SLO: SLO{P99: -time.Millisecond}}, "autoscale.slo.p99"},
		{"negative price", AutoscaleConfig{PricePerHour: -1}, "autoscale.price_per_hour"},
		{"cluster max below nodes", AutoscaleConfig{Cluster: autoscaleCluster(3, 2)}, "autoscale.cluster.max_nodes"},
		{"vertical without sizes", AutoscaleConfig{Policy: PolicyVertical}, "autoscale.vertical.sizes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := constService("api", 0.01)
			cfg.Autoscale = &tt.a
			cfg.SetDefaults()
			err := cfg.Validate()
			var fe *field.Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Path, err.Error())
		})
	}
}

func TestSLOBreaks(t *testing.T) {
	s := SLO{P99: 200 * time.Millisecond, Availability: 0.99}
	assert.False(t, s.Breaks(200, 0.99), "at the objective")
	assert.True(t, s.Breaks(200.5, 1))
	assert.True(t, s.Breaks(10, 0.985))
	assert.False(t, SLO{}.Breaks(1e9, 0), "no objective")
}

func autoscaleCluster(nodes, maxNodes int) autoscale.ClusterConfig {
	return autoscale.ClusterConfig{Nodes: nodes, MaxNodes: maxNodes}
}
