package rollout

import (
	"testing"

	"pgregory.net/rapid"
)

func drawIntOrPercent(t *rapid.T, name string, maxCount, maxPercent int) IntOrPercent {
	if rapid.Bool().Draw(t, name+"_is_percent") {
		return Percent(rapid.IntRange(0, maxPercent).Draw(t, name+"_percent"))
	}
	return Count(rapid.IntRange(0, maxCount).Draw(t, name))
}

// TestRolloutProperties runs rollouts with random settings, availability
// and termination delays, and an abort at a random step, and checks the
// controller's guarantees at every step (safety) and that the rollout, or
// the rollback, completes (liveness). rapid prints the replay command of
// a failing case.
func TestRolloutProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		desired := rapid.IntRange(1, 50).Draw(t, "desired")
		cfg := Config{
			MaxSurge:       drawIntOrPercent(t, "max_surge", desired+5, 200),
			MaxUnavailable: drawIntOrPercent(t, "max_unavailable", desired+5, 100),
			Rollback:       &RollbackConfig{ErrorRate: 0.5},
		}
		p, err := New(cfg)
		if cfg.MaxSurge.Value() == 0 && cfg.MaxUnavailable.Value() == 0 {
			if err == nil {
				t.Fatalf("both 0 accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		applied := p.Config()
		surge, unavailable := applied.Bounds(desired)
		maxDelay := rapid.IntRange(0, 20).Draw(t, "max_delay")
		maxGone := rapid.IntRange(0, 5).Draw(t, "max_termination")
		c := newCluster(desired,
			func() int { return rapid.IntRange(0, maxDelay).Draw(t, "available_after") },
			func() int { return rapid.IntRange(0, maxGone).Draw(t, "gone_after") })
		abortAt := rapid.IntRange(-1, 3*desired).Draw(t, "abort_at_step") // -1: never

		check := func(before, after State) {
			total := after.Old.Pods + after.Old.Terminating + after.New.Pods + after.New.Terminating
			if total > desired+surge {
				t.Fatalf("%d pods > desired %d + surge %d: %+v", total, desired, surge, after)
			}
			was := before.Old.Available + before.New.Available
			now := after.Old.Available + after.New.Available
			if now < min(was, desired-unavailable) {
				t.Fatalf("available %d -> %d, below desired %d - unavailable %d: %+v -> %+v",
					was, now, desired, unavailable, before, after)
			}
		}
		maxSteps := 20 * (desired + 1)
		var steps []step
		ok := false
		if abortAt >= 0 {
			steps, ok = rollout(p, c, abortAt, check)
			if !ok {
				p.Rollback(1, 1)
				steps, ok = rollout(p, c, maxSteps, check)
			}
		} else {
			steps, ok = rollout(p, c, maxSteps, check)
		}
		if !ok {
			t.Fatalf("no end after %d steps: %v, state %+v", len(steps), steps, c.state())
		}
		want := State{Desired: desired, New: ReplicaSet{Pods: desired, Available: desired}}
		if p.RolledBack() {
			want.Old, want.New = want.New, want.Old
		}
		if got := c.state(); got != want {
			t.Fatalf("ended in %+v, want %+v", got, want)
		}
	})
}
