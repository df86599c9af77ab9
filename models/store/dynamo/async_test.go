package dynamo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// TestAsyncFollowerPartition: a follower cut off from the primary serves
// stale reads and fails writes; after the heal it catches up.
func TestAsyncFollowerPartition(t *testing.T) {
	for _, mode := range []sim.CutMode{sim.BlackHole, sim.Refuse} {
		t.Run(mode.String(), func(t *testing.T) {
			const seed = 11
			cfg := AsyncConfig{ReplicationDelay: 10 * time.Millisecond}
			e, c := newAsync(t, seed, constant(t, time.Millisecond), 3, cfg)
			cl := e.newClient("client")
			require.Equal(t, store.StatusOK, cl.do(0, put(1, 1), time.Second).Status, "seed %d", seed)
			e.run(100 * time.Millisecond)
			require.EqualValues(t, 1, cl.do(2, get(1), time.Second).Out, "seed %d: shipped", seed)

			n := c.Nodes()
			id, err := e.net.Cut(sim.Partition{Groups: [][]sim.NodeID{{n[0], n[1]}, {n[2]}}, Mode: mode})
			require.NoError(t, err)
			require.Equal(t, store.StatusOK, cl.do(1, put(1, 2), time.Second).Status, "seed %d: forwarded by 1", seed)
			e.run(2 * time.Second)
			op := cl.do(2, get(1), time.Second)
			require.Equal(t, store.StatusOK, op.Status, "seed %d", seed)
			require.EqualValues(t, 1, op.Out, "seed %d: the cut-off follower must read stale", seed)
			want := store.StatusUnavailable
			if mode == sim.BlackHole {
				want = store.StatusUnknown // the forward timed out: the primary might have applied it
			}
			require.Equal(t, want, cl.do(2, put(1, 3), time.Second).Status, "seed %d: write via the cut-off follower", seed)
			require.Equal(t, 1, c.Divergence(), "seed %d", seed)
			require.Equal(t, 1, c.Lag(2), "seed %d", seed)

			e.net.Heal(id)
			e.run(cfg.RequestTimeout + time.Second)
			require.Zero(t, c.Divergence(), "seed %d: the follower must catch up", seed)
			require.EqualValues(t, 2, cl.do(2, get(1), time.Second).Out, "seed %d", seed)
			require.Zero(t, c.Lag(2), "seed %d", seed)
		})
	}
}

func TestAsyncReadFromPrimary(t *testing.T) {
	const seed = 12
	cfg := AsyncConfig{ReplicationDelay: time.Hour, ReadFrom: ReadPrimary}
	e, _ := newAsync(t, seed, constant(t, time.Millisecond), 3, cfg)
	cl := e.newClient("client")
	require.Equal(t, store.StatusOK, cl.do(0, put(1, 1), time.Second).Status)
	require.EqualValues(t, 1, cl.do(2, get(1), time.Second).Out, "seed %d: read forwarded to the primary", seed)
	op := cl.do(1, cas(1, 1, 2), time.Second)
	require.EqualValues(t, 1, op.Out, "seed %d: CAS at the primary swaps", seed)
	op = cl.do(2, cas(1, 1, 3), time.Second)
	require.EqualValues(t, 0, op.Out, "seed %d: CAS with a stale expectation", seed)
}

func TestAsyncCrashedFollowerCatchesUp(t *testing.T) {
	const seed = 13
	e, c := newAsync(t, seed, constant(t, time.Millisecond), 2, AsyncConfig{})
	cl := e.newClient("client")
	c.Crash(1)
	for v := range int64(5) {
		require.Equal(t, store.StatusOK, cl.do(0, put(int(v), v+1), time.Second).Status)
	}
	require.Zero(t, c.Divergence(), "seed %d: a crashed replica does not count", seed)
	require.Equal(t, 5, c.Lag(1))
	c.Restart(1)
	e.run(time.Second)
	require.Zero(t, c.Lag(1), "seed %d", seed)
	require.Zero(t, c.Divergence(), "seed %d", seed)
}
