package timeline

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
)

// Env is one real run as its adapter sees it: the scenario on the real
// run's schedule, where files go, the start of the load, and the run's
// shared record (notes, requests' ends for the stop condition, the
// results recorder, process events). Its methods are safe for concurrent
// use.
type Env struct {
	// Scenario is the case's scenario with every time of its schedule
	// multiplied by Scale (scenarios.Scenario.Scaled) and its Interval
	// set.
	Scenario *scenarios.Scenario
	// Case is the case's name, e.g. the variant's.
	Case string
	// Seed seeds the load.
	Seed uint64
	// Scale is the time scale of the schedule, in (0, 100].
	Scale float64
	// Dir is the report folder where artefacts go (their results.File
	// paths are relative to it); "" when the run keeps no files.
	Dir string
	// Work is the folder of the run's processes (configs, logs, data): a
	// folder of Dir, or a temporary one removed after the run.
	Work string

	log io.Writer

	mu      sync.Mutex
	t0      time.Time
	notes   []string
	rec     *results.Recorder
	window  *Window
	stopped time.Duration
	events  []ProcessEvent
}

// ProcessEvent is one signal sent to a process of the system for a
// fault, or its restart, for the run's fault log.
type ProcessEvent struct {
	At     time.Duration `json:"at_ns"`  // since the start of the load
	Action string        `json:"action"` // kill, restart, stop, continue
	Node   string        `json:"node"`
	PID    int           `json:"pid"`
	Err    string        `json:"error,omitempty"`
}

// T0 is when the load started (the zero of every time of the run); zero
// before Drive.
func (e *Env) T0() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.t0
}

// Since is the time since the start of the load.
func (e *Env) Since() time.Duration { return time.Since(e.T0()) }

// Tag names the run's artefacts: scenario, case and seed.
func (e *Env) Tag() string { return fmt.Sprintf("%s-%s-seed%d", e.Scenario.Name, e.Case, e.Seed) }

// Note records how the real run differs from the scenario (a setting
// approximated or not applied, a fault that could not act) and writes it
// to the engine's log.
func (e *Env) Note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notes = append(e.notes, n)
	if e.log != nil {
		fmt.Fprintf(e.log, "real %s: %s\n", e.Case, n)
	}
}

// Notes returns the run's notes so far.
func (e *Env) Notes() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.notes)
}

// Ended reports a request of the load that ended at end (since T0), and
// whether it failed, to the stop condition.
func (e *Env) Ended(end time.Duration, failed bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.window != nil {
		e.window.Add(end, failed)
	}
}

// Record runs f on the run's recorder, which no one else uses meanwhile.
// It is there from the start of the load.
func (e *Env) Record(f func(rec *results.Recorder)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e.rec)
}

// Process records a process event of node (pid) for the fault log.
func (e *Env) Process(action, node string, pid int, err error) {
	ev := ProcessEvent{At: e.Since(), Action: action, Node: node, PID: pid}
	if err != nil {
		ev.Err = err.Error()
	}
	e.mu.Lock()
	e.events = append(e.events, ev)
	e.mu.Unlock()
}

func (e *Env) processEvents() []ProcessEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.events)
}
