package timeline

import (
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/scenarios"
)

// stopEvery is how often the timeline checks the stop condition.
const stopEvery = 100 * time.Millisecond

// Window counts the requests that ended within a stop condition's
// window: feed it each request as it ends, in order of end time, and ask
// whether the condition holds. It keeps only the window's requests.
type Window struct {
	st    scenarios.Stop
	ends  []time.Duration // end times in the window, oldest first
	fails []bool
	nFail int
}

// NewWindow returns an empty window for st (its defaults filled).
func NewWindow(st scenarios.Stop) *Window {
	return &Window{st: st.WithDefaults()}
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

// stopNote says, for a run's notes, that the condition stopped the run
// at at with rate failed.
func stopNote(st scenarios.Stop, at time.Duration, rate float64) string {
	st = st.WithDefaults()
	return fmt.Sprintf("stopped by the stop condition at %.1f s: %.1f%% of the requests that ended in the last %v failed (more than %.1f%%); faults reverted; the run settled and was checked",
		at.Seconds(), 100*rate, st.Over, 100*st.ErrorRate)
}

// checkStop is the stop condition's tick: it reports whether the
// condition holds now and, the first time it does, records when and why.
func (e *Env) checkStop() bool {
	at := e.Since()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.window == nil || e.stopped > 0 {
		return false
	}
	tripped, rate := e.window.Tripped(at)
	if !tripped {
		return false
	}
	e.stopped = at
	n := stopNote(*e.Scenario.Stop, at, rate)
	e.notes = append(e.notes, n)
	if e.log != nil {
		fmt.Fprintf(e.log, "real %s: %s\n", e.Case, n)
	}
	return true
}

// stoppedAt is when the stop condition stopped the run; 0 if it did not.
func (e *Env) stoppedAt() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stopped
}
