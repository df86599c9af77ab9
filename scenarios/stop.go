package scenarios

import (
	"context"
	"fmt"
	"sync"
	"time"
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
		return &FieldError{"stop.error_rate", fmt.Sprintf("must be in (0, 1], got %v", st.ErrorRate)}
	case st.Over < 100*time.Millisecond || st.Over > duration:
		return &FieldError{"stop.over", fmt.Sprintf("must be in [100ms, duration (%v)], got %v", duration, st.Over)}
	case st.MinRequests < 1:
		return &FieldError{"stop.min_requests", fmt.Sprintf("must be >= 1, got %d", st.MinRequests)}
	}
	return nil
}

// Window counts the requests that ended within a stop condition's
// window: feed it each request as it ends, in order of end time, and ask
// whether the condition holds. It keeps only the window's requests.
type Window struct {
	st    Stop
	ends  []time.Duration // end times in the window, oldest first
	fails []bool
	nFail int
}

// NewWindow returns an empty window for st (its defaults filled).
func NewWindow(st Stop) *Window {
	st.setDefaults()
	return &Window{st: st}
}

// Add records a request that ended at t (time since the run began) and
// whether it failed, and drops those that ended more than Over before t.
func (w *Window) Add(t time.Duration, failed bool) {
	w.ends = append(w.ends, t)
	w.fails = append(w.fails, failed)
	if failed {
		w.nFail++
	}
	w.trim(t)
}

func (w *Window) trim(now time.Duration) {
	drop := 0
	for drop < len(w.ends) && w.ends[drop] < now-w.st.Over {
		if w.fails[drop] {
			w.nFail--
		}
		drop++
	}
	w.ends, w.fails = w.ends[drop:], w.fails[drop:]
}

// Tripped reports, at now, whether more than ErrorRate of at least
// MinRequests requests in the window failed, and the rate.
func (w *Window) Tripped(now time.Duration) (bool, float64) {
	w.trim(now)
	n := len(w.ends)
	if n == 0 {
		return false, 0
	}
	rate := float64(w.nFail) / float64(n)
	return n >= w.st.MinRequests && rate > w.st.ErrorRate, rate
}

// Watch checks the condition every period from t0 until ctx is done,
// holding mu (which guards w: Add is called under it) while it looks.
// When the condition holds it calls stop, once, with the time since t0
// and the failed share, and returns.
func (w *Window) Watch(ctx context.Context, t0 time.Time, period time.Duration, mu sync.Locker, stop func(at time.Duration, rate float64)) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		at := time.Since(t0)
		mu.Lock()
		tripped, rate := w.Tripped(at)
		mu.Unlock()
		if tripped {
			stop(at, rate)
			return
		}
	}
}

// Note says, for a run's notes, that the condition stopped the run at at
// with rate failed.
func (st Stop) Note(at time.Duration, rate float64) string {
	return fmt.Sprintf("stopped by the stop condition at %.1f s: %.1f%% of the requests that ended in the last %v failed (more than %.1f%%); faults reverted",
		at.Seconds(), 100*rate, st.Over, 100*st.ErrorRate)
}
