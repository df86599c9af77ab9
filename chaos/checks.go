package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/chaos/internal/hostcpu"
	"github.com/faultline-sim/faultline/chaos/proxy"
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/models/store/check"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
)

// linearizabilityTimeout bounds each of porcupine's passes, as in the
// simulator: past it the verdict is unknown (metric -1).
const linearizabilityTimeout = 2 * time.Second

// results checks the history and the final state and returns the run's
// results, with the simulator's metric names so reports compare like with
// like.
func (r *run) results() (results.Run, error) {
	fs, fe := faultSpan(r.sc)
	rec, err := results.NewRecorder(results.RecorderConfig{Duration: r.sc.Duration, Interval: r.sc.Interval, FaultStart: fs, FaultEnd: fe})
	if err != nil {
		return results.Run{}, err
	}
	r.mu.Lock()
	h := append(store.History(nil), r.history...)
	samples := append([]sample(nil), r.samples...)
	faults := append([]appliedFault(nil), r.faults...)
	converged := r.converged
	r.mu.Unlock()
	sort.SliceStable(h, func(i, j int) bool { return h[i].Return < h[j].Return })
	for _, rec2 := range h {
		rec.Observe(time.Duration(rec2.Invoke), time.Duration(rec2.Return), rec2.Outcome.Result())
	}
	for _, s := range samples {
		if s.at < r.sc.Duration {
			rec.Set("leader", "replica", s.at, float64(leader(s.sts)))
		}
	}
	r.mu.Lock()
	cpu := r.cpu
	r.mu.Unlock()
	if note := hostcpu.Record(rec, cpu, r.sc.Duration); note != "" {
		r.note("%s", note)
	}
	run := rec.Finish()
	r.storeMetrics(&run, h)
	final, div := finalValues(r.c.dumps(context.Background()))
	lost, _ := check.LostWrites(h, final)
	run.Metrics["lost_writes"] = float64(lost)
	run.Metrics["divergence_at_end"] = float64(div)
	if len(r.sc.Faults) > 0 {
		conv := -1.0
		if converged >= 0 {
			conv = float64(max(converged-fe, 0)) / 1e6
		}
		run.Metrics["convergence_ms"] = conv
	}
	sort.Slice(faults, func(i, j int) bool { return faults[i].Index < faults[j].Index })
	for _, f := range faults {
		p := fmt.Sprintf("fault%d_", f.Index)
		run.Metrics["real_"+p+"start_s"] = f.Start.Seconds()
		run.Metrics["real_"+p+"end_s"] = f.End.Seconds()
		run.Metrics["failover_ms_"+strings.TrimSuffix(p, "_")] = failover(samples, f)
	}
	if ms, ok := scenarios.LeaderFailoverMS(r.sc, r.st.Name, "", run.Metrics); ok {
		run.Metrics[scenarios.LeaderFailoverMetric] = ms
	}
	if r.sc.Stop != nil {
		r.mu.Lock()
		stopped := r.stoppedAt
		r.mu.Unlock()
		run.Metrics["stopped"] = 0
		if stopped > 0 {
			run.Metrics["stopped"], run.Metrics["stopped_at_s"] = 1, stopped.Seconds()
		}
	}
	run.Metrics["leader_changes"] = float64(leaderChanges(samples))
	run.Metrics["time_scale"] = r.scale
	r.mu.Lock()
	run.Metrics["real_settings_not_as_simulated"] = float64(len(r.notes))
	run.Notes = slices.Clone(r.notes)
	r.mu.Unlock()
	return run, r.artefacts(&run, h, faults)
}

// storeMetrics adds the checks of the history, with the same code and
// names as the simulator.
func (r *run) storeMetrics(run *results.Run, h store.History) {
	metrics, _ := check.Metrics(h, linearizabilityTimeout)
	for name, v := range metrics {
		run.Metrics[name] = v
	}
	faults := make([]check.Window, len(r.sc.Faults))
	for i, f := range r.sc.Faults {
		faults[i] = check.Window{Start: int64(f.At), End: int64(f.End())}
	}
	for name, v := range check.SideAvailability(h, r.clients, faults, int64(r.sc.Duration)) {
		run.Metrics[name] = v
	}
}

// faultSpan is the During phase: from the first fault's start to the last
// one's end (both the duration when there are none).
func faultSpan(sc *scenarios.Scenario) (start, end time.Duration) {
	if len(sc.Faults) == 0 {
		return sc.Duration, sc.Duration
	}
	start = sc.Duration
	for _, f := range sc.Faults {
		start, end = min(start, f.At), max(end, f.End())
	}
	return start, end
}

// failover is how long after fault f was in place a replica on the
// majority side led in a newer term (or kept leading, if the old leader
// was on that side), in ms; -1 if none did before the fault ended or if
// no side had a majority.
func failover(samples []sample, f appliedFault) float64 {
	if len(f.Majority) == 0 {
		return -1
	}
	var term0 uint64
	for _, s := range samples {
		if s.at > f.Start {
			break
		}
		for _, st := range s.sts {
			term0 = max(term0, st.Term)
		}
	}
	for _, s := range samples {
		if s.at < f.Start || s.at > f.End {
			continue
		}
		for _, i := range f.Majority {
			st := s.sts[i]
			if st.State == "Leader" && st.Term > term0 {
				return float64(s.at-f.Start) / 1e6
			}
			if st.State == "Leader" && st.Term == term0 && sideLedAtStart(samples, f, i) {
				return float64(s.at-f.Start) / 1e6
			}
		}
	}
	return -1
}

// sideLedAtStart reports whether replica i led at the last sample before
// f started.
func sideLedAtStart(samples []sample, f appliedFault, i int) bool {
	led := false
	for _, s := range samples {
		if s.at > f.Start {
			break
		}
		led = s.sts[i].State == "Leader"
	}
	return led
}

// leaderChanges counts the times the leader (by the samples) changed to
// another replica.
func leaderChanges(samples []sample) int {
	n, last := 0, -1
	for _, s := range samples {
		if l := leader(s.sts); l >= 0 {
			if last >= 0 && l != last {
				n++
			}
			last = l
		}
	}
	return n
}

// artefacts writes the fault log (every toxic added and removed, with
// wall-clock times) and porcupine's visualisation into Dir, when set.
func (r *run) artefacts(run *results.Run, h store.History, faults []appliedFault) error {
	if r.e.Dir == "" {
		return nil
	}
	tag := fmt.Sprintf("%s-%s-seed%d", r.sc.Name, r.name, r.seed)
	r.mu.Lock()
	notes := slices.Clone(r.notes)
	r.mu.Unlock()
	log := struct {
		Faults []appliedFault `json:"faults"`
		Links  []linkSetting  `json:"topology_links"`
		Notes  []string       `json:"not_applied_as_simulated"`
		Events []proxy.Event  `json:"toxiproxy_events"`
	}{faults, r.links, notes, r.h.Events()}
	b, err := json.MarshalIndent(log, "", "  ")
	if err != nil {
		return err
	}
	name := "real-faults-" + tag + ".json"
	if err := os.WriteFile(filepath.Join(r.dir, name), b, 0o644); err != nil {
		return err
	}
	run.Files = append(run.Files, results.File{Label: "real fault windows and Toxiproxy changes", Path: name})
	_, info := check.Linearizable(h, linearizabilityTimeout)
	name = "porcupine-real-" + r.st.Name + "-" + tag + ".html"
	if err := check.WriteVisualization(filepath.Join(r.dir, name), h, info); err != nil {
		return fmt.Errorf("porcupine visualisation: %w", err)
	}
	run.Files = append(run.Files, results.File{Label: "linearizability of " + r.st.Name + " (porcupine, real)", Path: name})
	return nil
}
