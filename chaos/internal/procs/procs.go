// Package procs starts and stops the child processes of the real
// engine's systems (key-value nodes, chain services): built once per
// harness process, each in its own process group with its log in a file,
// stopped by signals to the whole group, and bound to loopback ports
// chosen below the ephemeral range. A Group is one run's processes, with
// the crash, pause and stop that faults and the cleanup need.
//
// Imports: the standard library only.
package procs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var builds sync.Map // package path -> *build

type build struct {
	once sync.Once
	path string
	err  error
}

// Build builds the command package pkg (e.g.
// "github.com/faultline-sim/faultline/chaos/kv/cmd/kvnode") with the go tool into a temporary
// folder, once per process, and returns the executable's path. The folder
// lives as long as the process.
func Build(ctx context.Context, pkg string) (string, error) {
	v, _ := builds.LoadOrStore(pkg, &build{})
	b := v.(*build)
	b.once.Do(func() {
		name := filepath.Base(pkg)
		dir, err := os.MkdirTemp("", "faultline-"+name+"-")
		if err != nil {
			b.err = err
			return
		}
		path := filepath.Join(dir, name)
		bctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(bctx, "go", "build", "-o", path, pkg).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("build %s (run inside the faultline module, or give the binary): %v\n%s", name, err, out)
			return
		}
		b.path = path
	})
	return b.path, b.err
}

// Proc is one child process, the leader of its own process group.
type Proc struct {
	Name   string
	cmd    *exec.Cmd
	done   chan struct{} // closed once the process has exited and been reaped
	err    error         // its exit error, valid after done
	killed atomic.Bool   // stopped or killed on purpose: its exit is expected
}

// Start starts bin with args, its output appended to logPath (a restarted
// process keeps one log).
func Start(name, bin, logPath string, args ...string) (*Proc, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = log.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid returns the process's id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Err returns the process's exit error, once it has exited.
func (p *Proc) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// Killed reports whether the harness stopped or killed the process (so
// that its exit is expected).
func (p *Proc) Killed() bool { return p.killed.Load() }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig (SIGSTOP, SIGCONT, ...) to the process group.
func (p *Proc) Signal(sig syscall.Signal) error {
	if p.Exited() {
		return fmt.Errorf("%s has exited", p.Name)
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("%s: %v: %w", p.Name, sig, err)
	}
	return nil
}

// Kill ends the process group with SIGKILL, as a crash, and returns once
// the process is reaped.
func (p *Proc) Kill() error {
	p.killed.Store(true)
	err := p.Signal(syscall.SIGKILL)
	<-p.done
	return err
}

// Stop ends the process: SIGCONT (a paused process could not act on
// SIGTERM) and SIGTERM, then SIGKILL after grace, each to its process
// group; it returns once the process is reaped.
func (p *Proc) Stop(grace time.Duration) {
	if p.Exited() {
		return
	}
	p.killed.Store(true)
	_ = p.Signal(syscall.SIGCONT)
	_ = p.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return
	case <-t.C:
	}
	_ = p.Signal(syscall.SIGKILL)
	<-p.done
}

var portRand = struct {
	sync.Mutex
	*rand.Rand
}{Rand: rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))}

// Ports is a range of loopback ports, [Low, High), from which a system
// draws its processes' ports: below Linux's ephemeral range (32768 on),
// so that a proxy or a connection binding port 0 cannot take one between
// the check and the child's own bind, and one range per system, so that
// runs of two systems never compete for one.
type Ports struct{ Low, High int }

// Free returns a loopback address whose port, in the range, was free a
// moment ago. A child that still loses a race fails to start, which the
// engine reports as a harness failure.
func (r Ports) Free() (string, error) {
	for range 100 {
		portRand.Lock()
		port := r.Low + portRand.IntN(r.High-r.Low)
		portRand.Unlock()
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			_ = ln.Close()
			return ln.Addr().String(), nil
		}
	}
	return "", fmt.Errorf("no free loopback port in [%d, %d)", r.Low, r.High)
}
