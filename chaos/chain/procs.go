package chain

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
	"syscall"
	"time"
)

// stopGrace is how long a service has to exit after SIGTERM before
// SIGKILL: it finishes in-flight requests for up to a second.
const stopGrace = 3 * time.Second

var nodeBuild struct {
	once sync.Once
	path string
	err  error
}

// nodeBinary builds, once per process, the chainnode command into a
// temporary folder with the go tool and returns its path. The folder
// lives as long as the process: other chains may start from it.
func nodeBinary(ctx context.Context) (string, error) {
	nodeBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "faultline-chainnode-")
		if err != nil {
			nodeBuild.err = err
			return
		}
		path := filepath.Join(dir, "chainnode")
		bctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(bctx, "go", "build", "-o", path, "faultline/chaos/chain/cmd/chainnode").CombinedOutput()
		if err != nil {
			nodeBuild.err = fmt.Errorf("build chainnode (run inside the faultline module, or set Options.Binary): %v\n%s", err, out)
			return
		}
		nodeBuild.path = path
	})
	return nodeBuild.path, nodeBuild.err
}

// proc is one service process.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // its exit error, valid after done
}

// startProc starts bin with args, its output appended to logPath (a
// restarted service keeps one log).
func startProc(name, bin, logPath string, args ...string) (*proc, error) {
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
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = log.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process: SIGTERM (and SIGCONT, in case it is paused),
// then SIGKILL to its process group after stopGrace; it returns once the
// process is reaped.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-p.done:
		return
	case <-t.C:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	_ = p.cmd.Process.Kill()
	<-p.done
}

// kill ends the process at once (SIGKILL, a crash) and reaps it.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// signal sends sig (SIGSTOP, SIGCONT) to a live process.
func (p *proc) signal(sig syscall.Signal) error {
	if p.exited() {
		return fmt.Errorf("%s has exited", p.name)
	}
	return p.cmd.Process.Signal(sig)
}

// Service ports are drawn below Linux's default ephemeral range (32768
// on), so that a proxy or a connection binding port 0 between the check
// and the service's own bind cannot take them. They avoid 20000-32000,
// the key-value store's range, so that the two engines never compete.
const (
	portLow  = 12000
	portHigh = 20000
)

var portRand = struct {
	sync.Mutex
	*rand.Rand
}{Rand: rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))}

// freeAddr returns a loopback address that was free a moment ago. A
// service that still loses the race fails to start: a harness failure.
func freeAddr() (string, error) {
	for range 100 {
		portRand.Lock()
		port := portLow + portRand.IntN(portHigh-portLow)
		portRand.Unlock()
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			_ = ln.Close()
			return ln.Addr().String(), nil
		}
	}
	return "", fmt.Errorf("no free loopback port in [%d, %d)", portLow, portHigh)
}
