package load

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

func weight(w float64) *float64 { return &w }

// TestClientEndpointsByWeight: a client draws each request's endpoint by
// the target's weights (binomially), the request costs that endpoint's
// service time, and the endpoint observer hears of every request.
func TestClientEndpointsByWeight(t *testing.T) {
	const seed = 11
	svc := service.Config{Name: "api", Workers: 1000, ServiceTime: constant(0.010),
		Endpoints: []service.Endpoint{{Name: "browse", Weight: weight(3)}, {Name: "checkout", ServiceTime: constant(0.030)}}}
	r := newRig(t, seed, svc, Config{Open: open(200)})
	var counts [2]int
	var wrong int
	r.c.ObserveEndpoints(func(ep int, start, end sim.Time, o results.Outcome) {
		counts[ep]++
		want := []time.Duration{10 * time.Millisecond, 30 * time.Millisecond}[ep]
		if o != results.OK || end.Sub(start) != want {
			wrong++
		}
	})
	r.c.Start(sim.At(20 * time.Second))
	r.k.Run()
	n := float64(r.c.Sent())
	require.Greater(t, n, 3000.0, replay(t, seed))
	assert.Equal(t, int(n), counts[0]+counts[1], replay(t, seed))
	assert.Zero(t, wrong, "%s: requests whose latency is not their endpoint's service time", replay(t, seed))
	sd := math.Sqrt(n * 0.75 * 0.25)
	assert.InDelta(t, 0.75*n, float64(counts[0]), 5*sd, "%s: browse has weight 3 of 4", replay(t, seed))
}

// TestClientEndpointDrawsChangeNoOtherDraw: the endpoint draws come from
// their own stream, so the arrivals are those of a target without
// endpoints.
func TestClientEndpointDrawsChangeNoOtherDraw(t *testing.T) {
	starts := func(eps []service.Endpoint) []sim.Time {
		svc := service.Config{Name: "api", Workers: 1000, ServiceTime: constant(0.001), Endpoints: eps}
		r := newRig(t, 5, svc, Config{Open: open(50)})
		var out []sim.Time
		r.obs = func(start, _ sim.Time, _ results.Outcome) { out = append(out, start) }
		r.c.Start(sim.At(10 * time.Second))
		r.k.Run()
		return out
	}
	plain := starts(nil)
	require.NotEmpty(t, plain)
	assert.Equal(t, plain, starts([]service.Endpoint{{Name: "a"}, {Name: "b"}}))
}
