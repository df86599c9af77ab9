package world

import (
	"time"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
)

// buildLedger records saga effects when some service orchestrates sagas.
func (w *World) buildLedger() error {
	for _, s := range w.services {
		if s.Config().CallMode == service.Saga {
			w.ledger = service.NewLedger()
			break
		}
	}
	if w.ledger != nil {
		for _, s := range w.services {
			s.UseLedger(w.ledger)
		}
	}
	return nil
}

// sagaMetrics adds the sagas' outcomes and inconsistency windows.
func (w *World) sagaMetrics(run *results.Run) {
	if w.ledger == nil {
		return
	}
	st := w.ledger.Stats(w.k.Now())
	m := run.Metrics
	m["sagas_started"] = float64(st.Started)
	m["sagas_completed"] = float64(st.Completed)
	m["sagas_compensated"] = float64(st.Compensated)
	m["sagas_aborted"] = float64(st.Aborted)
	m["sagas_stuck"] = float64(st.Stuck)
	m["sagas_running"] = float64(st.Running)
	m["duplicate_effects"] = float64(st.DuplicateEffects)
	m["orphaned_effects"] = float64(st.OrphanedEffects)
	if n := len(st.Windows); n > 0 {
		var sum time.Duration
		for _, d := range st.Windows {
			sum += d
		}
		m["inconsistency_window_mean_ms"] = ms(sum / time.Duration(n))
		m["inconsistency_window_p99_ms"] = ms(st.Windows[(n*99-1)/100])
		m["inconsistency_window_max_ms"] = ms(st.Windows[n-1])
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
