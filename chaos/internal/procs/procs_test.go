package procs

import (
	"net"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStopEndsAPausedProcess: a SIGSTOPped child cannot act on SIGTERM;
// Stop continues it first, so it ends at once, not after the grace.
func TestStopEndsAPausedProcess(t *testing.T) {
	p, err := Start("sleeper", "/bin/sleep", filepath.Join(t.TempDir(), "sleeper.log"), "30")
	require.NoError(t, err)
	require.NoError(t, p.Signal(syscall.SIGSTOP))
	start := time.Now()
	p.Stop(10 * time.Second)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.True(t, p.Exited())
	assert.True(t, p.Killed(), "its exit is expected")
	assert.Error(t, p.Signal(syscall.SIGCONT), "no signal to a process that has exited")
}

// TestKillIsACrash: Kill ends the process with SIGKILL and reaps it.
func TestKillIsACrash(t *testing.T) {
	p, err := Start("sleeper", "/bin/sleep", filepath.Join(t.TempDir(), "sleeper.log"), "30")
	require.NoError(t, err)
	require.NoError(t, p.Kill())
	assert.True(t, p.Exited())
	assert.ErrorContains(t, p.Err(), "killed")
}

// TestPortsFreeIsInRangeAndFree: the address is on loopback, in the range,
// and can be bound.
func TestPortsFreeIsInRangeAndFree(t *testing.T) {
	addr, err := Ports{Low: 12000, High: 12100}.Free()
	require.NoError(t, err)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", host)
	n, _ := strconv.Atoi(port)
	assert.GreaterOrEqual(t, n, 12000)
	assert.Less(t, n, 12100)
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	require.NoError(t, ln.Close())
}
