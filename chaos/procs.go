package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"time"

	"github.com/faultline-sim/faultline/chaos/internal/procs"
	"github.com/faultline-sim/faultline/chaos/kv"
)

// stopGrace is how long a node has to exit after SIGTERM before SIGKILL.
const stopGrace = 2 * time.Second

// Node ports are drawn below Linux's default ephemeral range (32768 on),
// and above the chain services' (12000-20000), so the engines never
// compete for one.
const (
	nodePortLow  = 20000
	nodePortHigh = 32000
)

// proc is one node process.
type proc = procs.Proc

// kvnodeBinary builds, once per process, the kvnode command and returns
// its path.
func kvnodeBinary(ctx context.Context) (string, error) {
	return procs.Build(ctx, "github.com/faultline-sim/faultline/chaos/kv/cmd/kvnode")
}

// startNode starts one kvnode with its log appended to dir/<id>.log (a
// restarted node continues its log).
func startNode(bin, dir string, cfg kv.NodeConfig) (*proc, error) {
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return procs.Start(cfg.ID, bin, filepath.Join(dir, cfg.ID+".log"), "-config", string(js))
}

// freeAddr returns a loopback address for a node that was free a moment
// ago.
func freeAddr() (string, error) { return procs.FreeAddr(nodePortLow, nodePortHigh) }

// ErrHarness marks (wrapped) failures of the harness itself: could not
// build or start a node, port in use, no first leader, Toxiproxy
// unreachable or cleanup incomplete; as opposed to failures of the system
// under test, which are measured, not returned.
var ErrHarness = errors.New("harness")
