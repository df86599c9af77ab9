package resilience

import (
	"math/rand/v2"
	"time"

	"github.com/faultline-sim/faultline/results"
)

// retryable maps the names RetryConfig.On accepts to outcomes.
var retryable = map[string]results.Outcome{
	"timeout":  results.Timeout,
	"error":    results.Error,
	"rejected": results.Rejected,
}

// Retrier is a client's retry state: the policy, the shared budget and
// throttle, and the random stream of back-off delays. The simulated
// callers (models/load, models/service) and the real chain (chaos/chain,
// under a mutex) drive the same Retrier.
type Retrier struct {
	policy   Retry
	on       [8]bool   // indexed by results.Outcome
	budget   *Budget   // nil: unlimited
	throttle *Throttle // nil: off
	rng      *rand.Rand
}

// NewRetrier builds the retry state of a config that has had its defaults
// set and been validated; nil without one. rng draws the back-off delays.
func NewRetrier(c *RetryConfig, rng *rand.Rand) (*Retrier, error) {
	if c == nil {
		return nil, nil
	}
	p, err := NewRetry(*c)
	if err != nil {
		return nil, err
	}
	rt := &Retrier{policy: p, rng: rng}
	for _, o := range c.On {
		rt.on[retryable[o]] = true
	}
	if c.Budget != nil {
		if rt.budget, err = NewBudget(*c.Budget); err != nil {
			return nil, err
		}
	}
	if c.Throttle != nil {
		if rt.throttle, err = NewThrottle(*c.Throttle); err != nil {
			return nil, err
		}
	}
	return rt, nil
}

// Begin counts attempt (1 for the first) going out.
func (rt *Retrier) Begin(attempt int32) {
	if rt.budget != nil && attempt == 1 {
		rt.budget.BeginRequest()
	}
}

// End counts attempt ending with o: the budget's requests or retries in
// flight, and the throttle's tokens (a success adds, a retryable failure
// takes, other failures leave them, as in gRFC A6).
func (rt *Retrier) End(attempt int32, o results.Outcome) {
	if rt.budget != nil {
		if attempt == 1 {
			rt.budget.EndRequest()
		} else {
			rt.budget.EndRetry()
		}
	}
	if rt.throttle == nil {
		return
	}
	switch {
	case o == results.OK:
		rt.throttle.Success()
	case rt.on[o]:
		rt.throttle.Failure()
	}
}

// Wants reports whether an attempt that ended with o, the attempt-th of
// its request, calls for a retry under the policy alone.
func (rt *Retrier) Wants(attempt int32, o results.Outcome) bool {
	return rt.on[o] && rt.policy.Allows(int(attempt))
}

// Admit asks the throttle, then the budget, whether a retry may start; a
// retry the budget admits counts as in flight until its attempt ends.
func (rt *Retrier) Admit() bool {
	if rt.throttle != nil && !rt.throttle.AllowRetry() {
		return false
	}
	return rt.budget == nil || rt.budget.BeginRetry()
}

// Delay draws the wait before retry n (1 for the first retry).
func (rt *Retrier) Delay(n int32, prev time.Duration) time.Duration {
	return rt.policy.Delay(int(n), prev, rt.rng)
}

// Budget returns the retry budget, nil without one (for tests and
// sampling).
func (rt *Retrier) Budget() *Budget { return rt.budget }

// Throttle returns the retry throttle, nil without one.
func (rt *Retrier) Throttle() *Throttle { return rt.throttle }
