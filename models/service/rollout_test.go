package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/rollout"
	"github.com/faultline-sim/faultline/sim"
)

// watchRollout samples the service every 100 ms until until: the most
// instances live and the fewest ready.
func watchRollout(r *rig, until time.Duration) (maxLive, minReady *int) {
	hi, lo := 0, 1<<30
	var f func()
	f = func() {
		hi, lo = max(hi, r.svc.Live()), min(lo, len(r.svc.Ready()))
		if r.k.Now() < sim.At(until) {
			r.k.AfterFunc(100*time.Millisecond, f)
		}
	}
	r.k.AtFunc(0, f)
	return &hi, &lo
}

// TestRolloutKeepsSurgeAndAvailability: 10 instances, max_surge 25% (3)
// and max_unavailable 25% (2), new instances ready 5 s after launch: the
// update never runs more than 13 instances nor fewer than 8 ready, and
// ends with 10 ready instances of the new version.
func TestRolloutKeepsSurgeAndAvailability(t *testing.T) {
	cfg := constService("api", 0.001)
	cfg.Instances, cfg.Startup = 10, 5*time.Second
	cfg.Rollout = &RolloutConfig{At: time.Second}
	r := newRig(t, cfg)
	r.k.AtFunc(sim.At(time.Second), r.svc.StartRollout)
	hi, lo := watchRollout(r, 60*time.Second)
	r.k.AtFunc(sim.At(60*time.Second), r.k.Stop)
	r.k.Run()
	st := r.svc.Rollout()
	require.True(t, st.Done)
	assert.LessOrEqual(t, *hi, 13)
	assert.GreaterOrEqual(t, *lo, 8)
	old, neu := r.svc.VersionCounts()
	assert.Equal(t, 0, old)
	assert.Equal(t, 10, neu)
	// At 1 s: 3 new, 2 old drained (idle, they stop at once), so 2 more
	// new fit the surge: 5 new, 8 old. At 6 s the 5 are ready: old goes
	// down to 3 and new up to 10, ready at 11 s: two waves.
	assert.Equal(t, sim.At(11*time.Second), st.DoneAt)
}

// TestRolloutRollsBackABadVersion: the new version fails half its
// requests; with a rollback at 10% errors over 5 s the update reverses
// and ends with every instance on the old version, which fails nothing.
func TestRolloutRollsBackABadVersion(t *testing.T) {
	cfg := constService("api", 0.001)
	cfg.Instances, cfg.Workers, cfg.Startup = 4, 4, 2*time.Second
	cfg.Rollout = &RolloutConfig{At: time.Second, ErrorRate: 0.5,
		Config: rollout.Config{Rollback: &rollout.RollbackConfig{ErrorRate: 0.1, Window: 5 * time.Second, MinRequests: 20}}}
	r := newRig(t, cfg)
	r.k.AtFunc(sim.At(time.Second), r.svc.StartRollout)
	for i := range 6000 { // 100 req/s for 60 s, round robin over the ready instances
		i := i
		r.k.AtFunc(sim.At(time.Duration(i)*10*time.Millisecond), func() {
			ready := r.svc.Ready()
			r.c.send(r.svc.Instance(ready[i%len(ready)]), int64(i))
		})
	}
	r.k.Run()
	st := r.svc.Rollout()
	require.True(t, st.RolledBack)
	require.True(t, st.Done)
	old, neu := r.svc.VersionCounts()
	assert.Equal(t, 4, old)
	assert.Equal(t, 0, neu)
	late := 0
	for _, rep := range r.c.replies {
		if rep.at > st.DoneAt && rep.status != StatusOK {
			late++
		}
	}
	assert.Zero(t, late, "no errors once rolled back")
}
