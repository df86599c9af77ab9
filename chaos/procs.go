package chaos

import (
	"context"
	"encoding/json"
	"errors"
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

	"faultline/chaos/kv"
)

// stopGrace is how long a node has to exit after SIGTERM before SIGKILL.
const stopGrace = 2 * time.Second

var kvnodeBuild struct {
	once sync.Once
	path string
	err  error
}

// kvnodeBinary builds, once per process, the kvnode command into a
// temporary folder with the go tool, and returns its path.
func kvnodeBinary(ctx context.Context) (string, error) {
	kvnodeBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "faultline-kvnode-")
		if err != nil {
			kvnodeBuild.err = err
			return
		}
		path := filepath.Join(dir, "kvnode")
		bctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(bctx, "go", "build", "-o", path, "faultline/chaos/kv/cmd/kvnode").CombinedOutput()
		if err != nil {
			kvnodeBuild.err = fmt.Errorf("build kvnode (run inside the faultline module, or set Engine.Binary): %v\n%s", err, out)
			return
		}
		kvnodeBuild.path = path
	})
	return kvnodeBuild.path, kvnodeBuild.err
}

// proc is one node process.
type proc struct {
	id     string
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited and been reaped
	err    error         // its exit error, valid after done
	log    *os.File
	killed atomic.Bool // by a crash fault: its exit is expected
}

// startNode starts one kvnode with its log appended to dir/<id>.log (a
// restarted node continues its log).
func startNode(bin, dir string, cfg kv.NodeConfig) (*proc, error) {
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	log, err := os.OpenFile(filepath.Join(dir, cfg.ID+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-config", string(js))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("start %s: %w", cfg.ID, err)
	}
	p := &proc{id: cfg.ID, cmd: cmd, done: make(chan struct{}), log: log}
	go func() {
		p.err = cmd.Wait()
		_ = log.Close()
		close(p.done)
	}()
	return p, nil
}

// signal sends sig to the node's process group (each node leads its own,
// so anything it started gets it too).
func (p *proc) signal(sig syscall.Signal) error {
	if p.exited() {
		return fmt.Errorf("%s has exited", p.id)
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("%s: %v: %w", p.id, sig, err)
	}
	return nil
}

// kill ends the process group with SIGKILL, as a crash, and returns once
// the process is reaped.
func (p *proc) kill() error {
	p.killed.Store(true)
	err := p.signal(syscall.SIGKILL)
	<-p.done
	return err
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

// stop ends the process: SIGCONT (a paused node could not act on
// SIGTERM) and SIGTERM, then SIGKILL after stopGrace, each to its process
// group; it returns once the process is reaped.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	p.killed.Store(true)
	_ = p.signal(syscall.SIGCONT)
	_ = p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(stopGrace):
	}
	_ = p.signal(syscall.SIGKILL)
	<-p.done
}

// Node ports are drawn below Linux's default ephemeral range (32768 on),
// so a proxy or connection that binds port 0 between our check and the
// node's bind cannot take them.
const (
	nodePortLow  = 20000
	nodePortHigh = 32000
)

var portRand = struct {
	sync.Mutex
	*rand.Rand
}{Rand: rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))}

// freeAddr returns a loopback address that was free a moment ago, outside
// the ephemeral range when it can. A node that still loses a race fails
// to start, which the engine reports as a harness failure.
func freeAddr() (string, error) {
	for range 100 {
		portRand.Lock()
		port := nodePortLow + portRand.IntN(nodePortHigh-nodePortLow)
		portRand.Unlock()
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			_ = ln.Close()
			return ln.Addr().String(), nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// ErrHarness marks (wrapped) failures of the harness itself: could not
// build or start a node, port in use, no first leader, Toxiproxy
// unreachable or cleanup incomplete; as opposed to failures of the system
// under test, which are measured, not returned.
var ErrHarness = errors.New("harness")
