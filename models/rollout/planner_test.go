package rollout

import (
	"testing"
	"time"

	"github.com/faultline-sim/faultline/sim"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustPlanner(t *testing.T, cfg Config) *Planner {
	t.Helper()
	p, err := New(cfg)
	require.NoError(t, err)
	return p
}

func surgeUnavailable(surge, unavailable IntOrPercent) Config {
	return Config{MaxSurge: surge, MaxUnavailable: unavailable}
}

// TestPlanStep checks single decisions of the controller's rolling update.
func TestPlanStep(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		s    State
		want Decision
	}{
		{"start: surge 3 up, 2 old down", surgeUnavailable(Count(3), Count(2)),
			State{Desired: 10, Old: ReplicaSet{Pods: 10, Available: 10}},
			Decision{Old: 8, New: 3}},
		{"surge full, new pods starting: wait", surgeUnavailable(Count(3), Count(2)),
			State{Desired: 10, Old: ReplicaSet{Pods: 8, Available: 8}, New: ReplicaSet{Pods: 5}},
			Decision{Old: 8, New: 5}},
		{"new pods available: old down to min available", surgeUnavailable(Count(3), Count(2)),
			State{Desired: 10, Old: ReplicaSet{Pods: 8, Available: 8}, New: ReplicaSet{Pods: 5, Available: 5}},
			Decision{Old: 3, New: 5}},
		{"unavailable old pods removed first, within the availability budget", surgeUnavailable(Count(3), Count(2)),
			State{Desired: 10, Old: ReplicaSet{Pods: 10, Available: 7}},
			Decision{Old: 8, New: 3}},
		{"unhealthy old pods kept while new pods are unavailable", surgeUnavailable(Count(0), Count(1)),
			State{Desired: 4, Old: ReplicaSet{Pods: 3, Available: 2}, New: ReplicaSet{Pods: 1}},
			Decision{Old: 3, New: 1}},
		{"no surge: one old pod down first", surgeUnavailable(Count(0), Count(1)),
			State{Desired: 10, Old: ReplicaSet{Pods: 10, Available: 10}},
			Decision{Old: 9, New: 0}},
		{"terminating pods count against the surge", surgeUnavailable(Count(0), Count(1)),
			State{Desired: 10, Old: ReplicaSet{Pods: 9, Available: 9, Terminating: 1}},
			Decision{Old: 9, New: 0}},
		{"new above desired: down to desired", surgeUnavailable(Count(3), Count(2)),
			State{Desired: 4, New: ReplicaSet{Pods: 6, Available: 6}},
			Decision{Old: 0, New: 4}},
		{"new above desired with old pods left", surgeUnavailable(Count(1), Count(0)),
			State{Desired: 2, Old: ReplicaSet{Pods: 1, Available: 1}, New: ReplicaSet{Pods: 3, Available: 2}},
			Decision{Old: 0, New: 2}},
		{"complete", surgeUnavailable(Count(3), Count(2)),
			State{Desired: 10, New: ReplicaSet{Pods: 10, Available: 10}},
			Decision{Old: 0, New: 10, Done: true}},
		{"not complete while old pods terminate", surgeUnavailable(Count(3), Count(2)),
			State{Desired: 10, Old: ReplicaSet{Terminating: 1}, New: ReplicaSet{Pods: 10, Available: 10}},
			Decision{Old: 0, New: 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, mustPlanner(t, tc.cfg).Plan(tc.s))
		})
	}
}

// TestRolloutSequence runs whole rollouts and checks every change of the
// two sizes, in the order the controller makes them.
func TestRolloutSequence(t *testing.T) {
	noSurge := []step{}
	for i := 1; i <= 10; i++ {
		noSurge = append(noSurge, step{0, 10 - i, i - 1}, step{0, 10 - i, i})
	}
	for _, tc := range []struct {
		name    string
		cfg     Config
		desired int
		delay   int
		want    []step
	}{
		{"10 replicas, surge 3, unavailable 2, instant", surgeUnavailable(Count(3), Count(2)), 10, 0,
			[]step{{0, 8, 3}, {0, 5, 5}, {0, 3, 8}, {0, 0, 10}}},
		{"10 replicas, 25%/25%, ready after 5", Config{}, 10, 5,
			[]step{{0, 8, 3}, {0, 8, 5}, {5, 3, 5}, {5, 3, 10}, {10, 0, 10}}},
		{"10 replicas, surge 0, unavailable 1, instant", surgeUnavailable(Count(0), Count(1)), 10, 0, noSurge},
		{"3 replicas, 25%/25% (surge 1, unavailable 0), instant", Config{}, 3, 0,
			[]step{{0, 3, 1}, {0, 2, 1}, {0, 2, 2}, {0, 1, 2}, {0, 1, 3}, {0, 0, 3}}},
		{"3 replicas, 25%/25%, ready after 7", Config{}, 3, 7,
			[]step{{0, 3, 1}, {7, 2, 1}, {7, 2, 2}, {14, 1, 2}, {14, 1, 3}, {21, 0, 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(tc.desired, constant(tc.delay), constant(0))
			steps, ok := rollout(mustPlanner(t, tc.cfg), c, 100, nil)
			require.True(t, ok, "stuck after %v", steps)
			assert.Equal(t, tc.want, steps)
			assert.Equal(t, State{Desired: tc.desired, New: ReplicaSet{Pods: tc.desired, Available: tc.desired}}, c.state())
		})
	}
}

// TestRollbackRollsBack aborts a rollout whose new pods never become
// available and checks that the old version is restored: the new pods go
// first (they are unavailable), then the old version scales back up.
func TestRollbackRollsBack(t *testing.T) {
	p := mustPlanner(t, Config{MaxSurge: Count(3), MaxUnavailable: Count(2),
		Rollback: &RollbackConfig{ErrorRate: 0.05, MinRequests: 20}})
	never := 1 << 30
	c := newCluster(10, constant(never), constant(0))
	c.apply(p.Plan(c.state()))
	c.apply(p.Plan(c.state()))
	require.Equal(t, State{Desired: 10, Old: ReplicaSet{Pods: 8, Available: 8}, New: ReplicaSet{Pods: 5}}, c.state())

	require.True(t, p.Rollback(6, 100))
	assert.True(t, p.RolledBack())
	c.availableAfter = constant(4)
	steps, ok := rollout(p, c, 100, nil)
	require.True(t, ok, "stuck after %v", steps)
	assert.Equal(t, []step{{0, 8, 0}, {0, 10, 0}}, steps)
	assert.Equal(t, State{Desired: 10, Old: ReplicaSet{Pods: 10, Available: 10}}, c.state())
	assert.Equal(t, 4, c.now, "done when the re-created old pods are available")
}

func TestRollbackDecision(t *testing.T) {
	rb := &RollbackConfig{ErrorRate: 0.05, Window: 30 * time.Second, MinRequests: 20}
	for _, tc := range []struct {
		name             string
		rollback         *RollbackConfig
		errors, requests int
		want             bool
	}{
		{"no rollback configured", nil, 100, 100, false},
		{"under the threshold", rb, 1, 100, false},
		{"at the threshold: not over it", rb, 5, 100, false},
		{"over the threshold", rb, 6, 100, true},
		{"too few requests to judge", rb, 19, 19, false},
		{"just enough requests", rb, 2, 20, true},
		{"empty window, any-error threshold", &RollbackConfig{}, 0, 0, false},
		{"any error with threshold 0", &RollbackConfig{}, 1, 1000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlanner(t, Config{Rollback: tc.rollback})
			assert.Equal(t, tc.want, p.Rollback(tc.errors, tc.requests))
			assert.Equal(t, tc.want, p.RolledBack())
			assert.False(t, p.Rollback(tc.errors, tc.requests), "aborts once")
		})
	}
}

func TestNoRollbackOnceDone(t *testing.T) {
	p := mustPlanner(t, Config{Rollback: &RollbackConfig{ErrorRate: 0.05}})
	require.True(t, p.Plan(State{Desired: 2, New: ReplicaSet{Pods: 2, Available: 2}}).Done)
	assert.False(t, p.Rollback(100, 100))
}

func TestStalled(t *testing.T) {
	p := mustPlanner(t, Config{ProgressDeadline: 60 * time.Second})
	sec := func(n int) sim.Time { return sim.Time(time.Duration(n) * time.Second) }
	stuck := State{Desired: 4, Old: ReplicaSet{Pods: 3, Available: 3}, New: ReplicaSet{Pods: 2}}
	assert.False(t, p.Stalled(sec(0), stuck))
	assert.False(t, p.Stalled(sec(60), stuck), "at the deadline")
	assert.True(t, p.Stalled(sec(61), stuck), "past the deadline")
	moved := stuck
	moved.New.Available = 1
	assert.False(t, p.Stalled(sec(62), moved), "a pod became available")
	assert.True(t, p.Stalled(sec(123), moved))
	done := State{Desired: 4, New: ReplicaSet{Pods: 4, Available: 4}}
	assert.False(t, p.Stalled(sec(200), done))
	assert.False(t, p.Stalled(sec(1000), done), "a complete rollout never stalls")
}

func TestStalledRestartsOnRollback(t *testing.T) {
	p := mustPlanner(t, Config{ProgressDeadline: 60 * time.Second, Rollback: &RollbackConfig{}})
	stuck := State{Desired: 4, Old: ReplicaSet{Pods: 3, Available: 3}, New: ReplicaSet{Pods: 2}}
	require.False(t, p.Stalled(0, stuck))
	require.True(t, p.Rollback(1, 1))
	assert.False(t, p.Stalled(sim.Time(50*time.Second), stuck))
	assert.False(t, p.Stalled(sim.Time(110*time.Second), stuck), "the rollback has its own deadline")
	assert.True(t, p.Stalled(sim.Time(111*time.Second), stuck))
}

func TestAvailableAt(t *testing.T) {
	p := mustPlanner(t, Config{MinReady: 10 * time.Second})
	assert.Equal(t, sim.Time(15*time.Second), p.AvailableAt(sim.Time(5*time.Second)))
}

func TestPlanPanicsOnBrokenCounts(t *testing.T) {
	p := mustPlanner(t, Config{})
	assert.Panics(t, func() { p.Plan(State{Desired: 2, Old: ReplicaSet{Pods: 1, Available: 2}}) })
	assert.Panics(t, func() { p.Plan(State{Desired: -1}) })
}
