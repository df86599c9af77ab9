package scenarios

import (
	"time"

	"github.com/faultline-sim/faultline/field"
)

// Stop is a real run's stop condition, the guard a chaos run keeps on the
// system it hurts: once more than ErrorRate of the requests that ended in
// the last Over failed (counting at least MinRequests of them), the real
// engine stops the run at once, reverts its faults, lets the system
// settle, runs its checks on what happened, and records the run as
// stopped (metrics stopped = 1, stopped_at_s), not failed. The simulator
// ignores it: it hurts nothing real.
type Stop struct {
	// ErrorRate is the failed share of requests, in (0, 1], above which
	// the run stops.
	ErrorRate float64 `yaml:"error_rate"`
	// Over is the window the rate is measured over, by the time requests
	// ended. Default 5s; must be in [100ms, duration].
	Over time.Duration `yaml:"over"`
	// MinRequests is how many requests must have ended in the window
	// before the rate is judged. Default 10; must be >= 1.
	MinRequests int `yaml:"min_requests"`
}

// DefaultStopOver and DefaultStopMinRequests fill a Stop's zero fields.
const (
	DefaultStopOver        = 5 * time.Second
	DefaultStopMinRequests = 10
)

// WithDefaults returns st with its zero fields set to their defaults.
func (st Stop) WithDefaults() Stop {
	st.setDefaults()
	return st
}

func (st *Stop) setDefaults() {
	if st.Over == 0 {
		st.Over = DefaultStopOver
	}
	if st.MinRequests == 0 {
		st.MinRequests = DefaultStopMinRequests
	}
}

func (st *Stop) validate(duration time.Duration) error {
	switch {
	case !(st.ErrorRate > 0 && st.ErrorRate <= 1):
		return field.Errorf("stop.error_rate", "must be in (0, 1], got %v", st.ErrorRate)
	case st.Over < 100*time.Millisecond || st.Over > duration:
		return field.Errorf("stop.over", "must be in [100ms, duration (%v)], got %v", duration, st.Over)
	case st.MinRequests < 1:
		return field.Errorf("stop.min_requests", "must be >= 1, got %d", st.MinRequests)
	}
	return nil
}
