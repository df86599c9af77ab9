package load

import (
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// TestBalancersFollowTheReadySet: under every policy, instances launched
// by a scale-up get no request before they are ready and their share
// after; instances drained by a scale-down get none after it, and no
// request fails on the way.
func TestBalancersFollowTheReadySet(t *testing.T) {
	const seed = 11
	for _, policy := range balance.Policies() {
		svc := service.Config{Name: "api", Instances: 1, Workers: 8, Startup: 10 * time.Second, ServiceTime: constant(0.005)}
		r := newRig(t, seed, svc, Config{Balancer: policy, Timeout: time.Second, Open: open(200)})
		r.setLinks(time.Millisecond)
		var failed int
		r.obs = func(_, _ sim.Time, o results.Outcome) {
			if o != results.OK {
				failed++
			}
		}
		received := func(i int) int64 { return r.svc.Instance(i).Stats().Received }
		var before, atDrain [3]int64
		r.k.AtFunc(sim.At(5*time.Second), func() { r.svc.Scale(3) })
		r.k.AtFunc(sim.At(15*time.Second-1), func() { before = [3]int64{received(0), received(1), received(2)} })
		r.k.AtFunc(sim.At(25*time.Second), func() {
			r.svc.Scale(1)
			atDrain = [3]int64{received(0), received(1), received(2)}
		})
		r.c.Start(sim.At(35 * time.Second))
		r.k.Run()
		if before[1] != 0 || before[2] != 0 {
			t.Errorf("%s: %s: instances 1 and 2 received %d and %d requests before they were ready", policy, replay(t, seed), before[1], before[2])
		}
		for i := 1; i < 3; i++ {
			// In flight when the drain began: at most what 1 ms of load brings.
			if got := received(i) - atDrain[i]; atDrain[i] < 300 || got > 5 {
				t.Errorf("%s: %s: instance %d received %d while ready, %d after its drain", policy, replay(t, seed), i, atDrain[i], got)
			}
		}
		if failed > 0 || r.c.Sent() < 6000 {
			t.Errorf("%s: %s: %d of %d requests failed, want 0", policy, replay(t, seed), failed, r.c.Sent())
		}
	}
}
