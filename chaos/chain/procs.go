package chain

import (
	"context"
	"time"

	"github.com/faultline-sim/faultline/chaos/internal/procs"
)

// stopGrace is how long a service has to exit after SIGTERM before
// SIGKILL: it finishes in-flight requests for up to a second.
const stopGrace = 3 * time.Second

// Service ports are drawn below Linux's default ephemeral range (32768
// on), and below the key-value store's (20000-32000), so the two engines
// never compete for one.
const (
	portLow  = 12000
	portHigh = 20000
)

// proc is one service process.
type proc = procs.Proc

// nodeBinary builds, once per process, the chainnode command and returns
// its path.
func nodeBinary(ctx context.Context) (string, error) {
	return procs.Build(ctx, "github.com/faultline-sim/faultline/chaos/chain/cmd/chainnode")
}

// startProc starts bin with args, its output appended to logPath (a
// restarted service keeps one log).
func startProc(name, bin, logPath string, args ...string) (*proc, error) {
	return procs.Start(name, bin, logPath, args...)
}

// freeAddr returns a loopback address for a service that was free a
// moment ago.
func freeAddr() (string, error) { return procs.FreeAddr(portLow, portHigh) }
