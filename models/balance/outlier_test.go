package balance

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/sim"
)

func at(d time.Duration) sim.Time { return sim.At(d) }

// TestOutlierEnvoyDefaults: with Envoy's defaults an instance is ejected
// at its 5th failed attempt in a row (a success in between starts the
// count again), stays out for 30 s, and returns at the first 10 s sweep
// after that; its second ejection lasts 60 s. Only one of four instances
// is out at once (max_ejection_percent 10, but one always may be).
func TestOutlierEnvoyDefaults(t *testing.T) {
	o := NewOutlier(OutlierConfig{}, 0)
	ready := []int{0, 1, 2, 3}
	fail := func(i, n int, now time.Duration) {
		for range n {
			o.Observe(i, false, at(now), len(ready))
		}
	}
	fail(1, 4, time.Second)
	o.Observe(1, true, at(time.Second), 4)
	fail(1, 4, 2*time.Second)
	assert.Equal(t, ready, o.Filter(ready, at(2*time.Second)), "4 failures, a success, 4 failures: not ejected")
	fail(1, 1, 2*time.Second)
	assert.Equal(t, []int{0, 2, 3}, o.Filter(ready, at(2*time.Second)), "the 5th failure in a row ejects")
	assert.Equal(t, int64(1), o.Ejections())
	fail(2, 5, 3*time.Second)
	assert.Equal(t, []int{0, 2, 3}, o.Filter(ready, at(3*time.Second)), "25% ejected >= 10%: no second ejection")
	// Ejected at 2 s for 30 s: the sweep at 30 s is too early, the one at
	// 40 s lets it back.
	assert.True(t, o.Ejected(1, at(39*time.Second)))
	assert.False(t, o.Ejected(1, at(40*time.Second)))
	assert.Equal(t, ready, o.Filter(ready, at(40*time.Second)))
	// Ejected again at 41 s: the multiplier is 2 (no healthy sweep has
	// lowered it yet), so 60 s: back at the sweep at 110 s.
	fail(1, 5, 41*time.Second)
	assert.True(t, o.Ejected(1, at(100*time.Second)))
	assert.False(t, o.Ejected(1, at(110*time.Second)))
}

// TestOutlierMultiplierDecays: every sweep that finds an instance in the
// pool lowers its multiplier, so an instance ejected long ago is ejected
// for the base time again.
func TestOutlierMultiplierDecays(t *testing.T) {
	o := NewOutlier(OutlierConfig{ConsecutiveErrors: 1, Interval: time.Second, BaseEjectionTime: 5 * time.Second, MaxEjectionTime: 8 * time.Second, MaxEjectionPercent: 100}, 0)
	o.Observe(0, false, at(0), 4) // 1st: 5 s
	assert.False(t, o.Ejected(0, at(5*time.Second)), "back at the sweep at 5 s")
	o.Observe(0, false, at(5*time.Second), 4) // 2nd: 10 s, capped at 8 s
	assert.True(t, o.Ejected(0, at(12*time.Second)))
	assert.False(t, o.Ejected(0, at(13*time.Second)), "max_ejection_time caps 2 x 5 s at 8 s")
	// Two healthy sweeps (14 s, 15 s) bring the multiplier from 2 to 0.
	o.Observe(0, false, at(15500*time.Millisecond), 4)
	assert.True(t, o.Ejected(0, at(20*time.Second)))
	assert.False(t, o.Ejected(0, at(21*time.Second)), "ejected for the base 5 s again")
}

// TestOutlierPanicThreshold: with max_ejection_percent 100 three of four
// instances may be ejected, but then fewer than half are left and the
// caller balances over all four, as Envoy's 50% panic threshold does.
func TestOutlierPanicThreshold(t *testing.T) {
	o := NewOutlier(OutlierConfig{ConsecutiveErrors: 1, MaxEjectionPercent: 100}, 0)
	ready := []int{0, 1, 2, 3}
	o.Observe(0, false, 0, 4)
	o.Observe(1, false, 0, 4)
	assert.Equal(t, []int{2, 3}, o.Filter(ready, 0), "half left: no panic")
	o.Observe(2, false, 0, 4)
	assert.Equal(t, int64(3), o.Ejections())
	assert.Equal(t, ready, o.Filter(ready, 0), "one of four left: panic, all of them")
}

func TestOutlierConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  OutlierConfig
		want string
	}{
		{OutlierConfig{ConsecutiveErrors: -1}, "consecutive_errors: must be >= 1, got -1"},
		{OutlierConfig{Interval: -time.Second}, "interval: must be > 0, got -1s"},
		{OutlierConfig{BaseEjectionTime: -time.Second}, "base_ejection_time: must be > 0, got -1s"},
		{OutlierConfig{BaseEjectionTime: time.Minute, MaxEjectionTime: time.Second}, "max_ejection_time: must be >= base_ejection_time (1m0s), got 1s"},
		{OutlierConfig{MaxEjectionPercent: 101}, "max_ejection_percent: must be in [0, 100], got 101"},
	} {
		c.cfg.SetDefaults()
		assert.EqualError(t, c.cfg.Validate(), c.want)
	}
	var ok OutlierConfig
	ok.SetDefaults()
	require.NoError(t, ok.Validate())
	assert.Equal(t, OutlierConfig{ConsecutiveErrors: 5, Interval: 10 * time.Second, BaseEjectionTime: 30 * time.Second,
		MaxEjectionTime: 300 * time.Second, MaxEjectionPercent: 10}, ok)
}
