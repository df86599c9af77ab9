package procs

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Group is the processes of one real run, one slot per process the
// system runs (a replica, a service instance); a restart replaces its
// slot's process. Once Stop has begun, nothing starts.
type Group struct {
	event func(action, name string, pid int, err error)

	mu      sync.Mutex
	procs   []*Proc
	started []int // the pid of every process started, restarts included
	closing bool
}

// NewGroup returns a group of n slots. event, if not nil, is told of
// every kill, restart, stop (SIGSTOP) and continue done for a fault.
func NewGroup(n int, event func(action, name string, pid int, err error)) *Group {
	return &Group{event: event, procs: make([]*Proc, n)}
}

func (g *Group) note(action string, p *Proc, err error) {
	if g.event != nil {
		g.event(action, p.Name, p.Pid(), err)
	}
}

// Start starts slot's process (again, after a crash) as the package's
// Start does. It refuses once Stop has begun.
func (g *Group) Start(slot int, name, bin, logPath string, args ...string) error {
	g.mu.Lock() // held while starting, so that Stop cannot miss the process
	defer g.mu.Unlock()
	if g.closing {
		return fmt.Errorf("%s not started: the run is stopping", name)
	}
	p, err := Start(name, bin, logPath, args...)
	if err != nil {
		return err
	}
	g.procs[slot] = p
	g.started = append(g.started, p.Pid())
	return nil
}

// Proc returns slot's current process (nil before its start).
func (g *Group) Proc(slot int) *Proc {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.procs[slot]
}

// Crash kills the slots' processes with SIGKILL (to their process
// groups), as a crash fault, and returns their restart with restart
// (which starts the slot again, e.g. with Start, and may wait until it
// is ready): a slot still running is left alone, and nothing is
// restarted when stopping is set.
func (g *Group) Crash(slots []int, restart func(slot int) error) (func(stopping bool) error, error) {
	var errs []error
	for _, s := range slots {
		p := g.Proc(s)
		err := p.Kill()
		g.note("kill", p, err)
		errs = append(errs, err)
	}
	undo := func(stopping bool) error {
		if stopping {
			return nil // the run is stopping: the process stays down
		}
		var errs []error
		for _, s := range slots {
			if !g.Proc(s).Exited() {
				continue
			}
			err := restart(s)
			g.note("restart", g.Proc(s), err)
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	return undo, errors.Join(errs...)
}

// Pause stops the slots' processes with SIGSTOP and returns their
// resumption with SIGCONT (also when the run is stopping: Stop would
// continue them anyway).
func (g *Group) Pause(slots []int) (func(stopping bool) error, error) {
	signal := func(sig syscall.Signal, action string) error {
		var errs []error
		for _, s := range slots {
			p := g.Proc(s)
			err := p.Signal(sig)
			g.note(action, p, err)
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	return func(bool) error { return signal(syscall.SIGCONT, "continue") }, signal(syscall.SIGSTOP, "stop")
}

// Stop ends every process, in parallel (a paused one too: see
// Proc.Stop), and waits for them; nothing starts after it.
func (g *Group) Stop(grace time.Duration) {
	g.mu.Lock()
	g.closing = true
	procs := slices.Clone(g.procs)
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		if p != nil {
			wg.Go(func() { p.Stop(grace) })
		}
	}
	wg.Wait()
}

// Exited returns the name of the first process that has exited without
// being killed or stopped by the harness, or "".
func (g *Group) Exited() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.procs {
		if p != nil && p.Exited() && !p.Killed() {
			return p.Name
		}
	}
	return ""
}

// PIDs returns each slot's current process id (0 before its start).
func (g *Group) PIDs() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]int, len(g.procs))
	for i, p := range g.procs {
		if p != nil {
			out[i] = p.Pid()
		}
	}
	return out
}

// Started returns the process id of every process started so far,
// restarts included.
func (g *Group) Started() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.started)
}
