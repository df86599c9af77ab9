package world

import (
	"time"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
)

// sagas is the part that keeps the ledger of saga effects when some
// service orchestrates sagas, and reports the sagas' outcomes and
// inconsistency windows.
type sagas struct {
	e      *env
	ledger *service.Ledger // nil without sagas
}

// buildSagas gives every service the ledger when one of them orchestrates
// sagas.
func buildSagas(e *env, svcs *services) *sagas {
	s := &sagas{e: e}
	for _, svc := range svcs.list {
		if svc.Config().CallMode == service.Saga {
			s.ledger = service.NewLedger()
			break
		}
	}
	if s.ledger != nil {
		for _, svc := range svcs.list {
			svc.UseLedger(s.ledger)
		}
	}
	return s
}

// report adds the sagas' outcomes and inconsistency windows.
func (s *sagas) report(run *results.Run) {
	if s.ledger == nil {
		return
	}
	st := s.ledger.Stats(s.e.k.Now())
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
