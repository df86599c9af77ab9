package dynamo

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// TestReadYourWrites: with R + W > N, a read that starts after a write
// returned sees it, through any coordinator, with random latencies.
func TestReadYourWrites(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		cfg := Config{N: 3, R: 2, W: 2, ReadRepair: Bool(false)}
		e, _ := newQuorum(t, seed, exponential(t, 5*time.Millisecond), 5, cfg)
		cl := e.newClient("client")
		rng := rand.New(rand.NewPCG(seed, 0))
		last := map[int]int64{}
		for i := range 500 {
			key := rng.IntN(8)
			if rng.IntN(2) == 0 {
				v := int64(i + 1)
				require.Equal(t, store.StatusOK, cl.do(rng.IntN(5), put(key, v), time.Second).Status, "seed %d op %d", seed, i)
				last[key] = v
				continue
			}
			op := cl.do(rng.IntN(5), get(key), time.Second)
			require.Equal(t, store.StatusOK, op.Status, "seed %d op %d", seed, i)
			require.Equal(t, last[key], op.Out, "seed %d op %d: stale read of key %d", seed, i, key)
		}
	}
}

// TestCAS: a CAS compares and swaps at the coordinator; it
// succeeds when the value is as expected, and fails otherwise.
func TestCAS(t *testing.T) {
	const seed = 4
	e, _ := newQuorum(t, seed, constant(t, time.Millisecond), 3, Config{})
	cl := e.newClient("client")
	require.Equal(t, store.StatusOK, cl.do(0, put(1, 10), time.Second).Status)
	op := cl.do(1, cas(1, 10, 11), time.Second)
	require.Equal(t, store.StatusOK, op.Status, "seed %d", seed)
	require.EqualValues(t, 1, op.Out, "seed %d: CAS with the right expectation must swap", seed)
	op = cl.do(2, cas(1, 10, 12), time.Second)
	require.Equal(t, store.StatusOK, op.Status, "seed %d", seed)
	require.EqualValues(t, 0, op.Out, "seed %d: CAS with a stale expectation must not swap", seed)
	require.EqualValues(t, 11, cl.do(2, get(1), time.Second).Out, "seed %d", seed)
}

// partitioned builds 5 replicas, N=3, and a key whose preference list is
// {0, 1, 2}; the client talks to replica 0 and a black-hole partition cuts
// {0, 3, 4, client} from {1, 2}.
func partitioned(t *testing.T, seed uint64, cfg Config) (*env, *Cluster, *client, int, sim.PartitionID) {
	e, c := newQuorum(t, seed, constant(t, time.Millisecond), 5, cfg)
	cl := e.newClient("client")
	key := keyStartingAt(0, 5)
	require.Equal(t, []int{0, 1, 2}, c.Preference(key))
	n := c.Nodes()
	id, err := e.net.Cut(sim.Partition{Groups: [][]sim.NodeID{{n[0], n[3], n[4], cl.node}, {n[1], n[2]}}})
	require.NoError(t, err)
	return e, c, cl, key, id
}

func TestStrictQuorumUnderPartition(t *testing.T) {
	const seed = 5
	_, c, cl, key, _ := partitioned(t, seed, Config{N: 3, R: 2, W: 2})
	require.Equal(t, store.StatusUnknown, cl.do(0, put(key, 7), 5*time.Second).Status, "seed %d", seed)
	require.Equal(t, store.StatusUnavailable, cl.do(0, get(key), 5*time.Second).Status, "seed %d", seed)
	var hints float64
	c.Metrics(func(name string, v float64) {
		if name == "hints_pending" {
			hints = v
		}
	})
	require.Zero(t, hints, "seed %d: a strict quorum keeps no hints", seed)
}

func TestSloppyQuorumAndHintedHandoff(t *testing.T) {
	const seed = 6
	cfg := Config{N: 3, R: 2, W: 2, Sloppy: true, HintedHandoff: true, HandoffInterval: time.Second}
	e, c, cl, key, id := partitioned(t, seed, cfg)
	op := cl.do(0, put(key, 7), 5*time.Second)
	require.Equal(t, store.StatusOK, op.Status, "seed %d: sloppy write", seed)
	op = cl.do(0, get(key), 5*time.Second)
	require.Equal(t, store.StatusOK, op.Status, "seed %d: sloppy read", seed)
	require.EqualValues(t, 7, op.Out, "seed %d: sloppy read must see the hinted write", seed)
	e.run(3 * time.Second)
	require.Equal(t, 1, c.Divergence(), "seed %d: hinted copies are not converged", seed)
	v, _ := c.Value(1, key)
	require.Zero(t, v, "seed %d: replica 1 is cut off", seed)

	e.net.Heal(id)
	e.run(cfg.HandoffInterval + 10*time.Millisecond)
	require.Zero(t, c.Divergence(), "seed %d: hinted handoff must converge within one interval of the heal", seed)
	for _, i := range c.Preference(key) {
		v, _ := c.Value(i, key)
		require.EqualValues(t, 7, v, "seed %d: replica %d", seed, i)
	}
	c.Metrics(func(name string, v float64) {
		if name == "hints_pending" {
			require.Zero(t, v, "seed %d: hints must be dropped once handed off", seed)
		}
	})
}

// diverge writes key with W=2 while replica 2 is cut off, then heals.
func diverge(t *testing.T, seed uint64, cfg Config) (*env, *Cluster, *client, int) {
	e, c := newQuorum(t, seed, constant(t, time.Millisecond), 3, cfg)
	cl := e.newClient("client")
	key := keyStartingAt(0, 3)
	n := c.Nodes()
	id, err := e.net.Cut(sim.Partition{Isolate: &n[2]})
	require.NoError(t, err)
	require.Equal(t, store.StatusOK, cl.do(0, put(key, 9), time.Second).Status, "seed %d", seed)
	e.run(time.Second)
	e.net.Heal(id)
	require.Equal(t, 1, c.Divergence(), "seed %d: replica 2 missed the write", seed)
	return e, c, cl, key
}

func TestConvergence(t *testing.T) {
	const seed = 8
	t.Run("neither", func(t *testing.T) {
		e, c, cl, key := diverge(t, seed, Config{ReadRepair: Bool(false)})
		require.EqualValues(t, 9, cl.do(0, get(key), time.Second).Out)
		e.run(30 * time.Second)
		require.Equal(t, 1, c.Divergence(), "seed %d: without repair the divergence persists", seed)
	})
	t.Run("read_repair", func(t *testing.T) {
		e, c, cl, key := diverge(t, seed, Config{})
		require.EqualValues(t, 9, cl.do(0, get(key), time.Second).Out)
		e.run(time.Second)
		require.Zero(t, c.Divergence(), "seed %d: the read must repair replica 2", seed)
	})
	t.Run("anti_entropy", func(t *testing.T) {
		e, c, _, _ := diverge(t, seed, Config{ReadRepair: Bool(false), AntiEntropy: time.Second})
		e.run(10 * time.Second)
		require.Zero(t, c.Divergence(), "seed %d: anti-entropy must converge", seed)
		var keys float64
		c.Metrics(func(name string, v float64) {
			if name == "anti_entropy_keys" {
				keys = v
			}
		})
		require.Positive(t, keys, "seed %d", seed)
	})
}

func TestCrashDropsAndDataSurvives(t *testing.T) {
	const seed = 9
	e, c := newQuorum(t, seed, constant(t, time.Millisecond), 3, Config{N: 3, R: 3, W: 3})
	cl := e.newClient("client")
	require.Equal(t, store.StatusOK, cl.do(0, put(1, 5), time.Second).Status)
	c.Crash(1)
	require.Equal(t, store.StatusUnknown, cl.do(0, put(1, 6), time.Second).Status, "seed %d: W=3 with one down", seed)
	require.Equal(t, store.StatusPending, cl.do(1, get(1), time.Second).Status, "seed %d: a crashed replica answers nothing", seed)
	c.Restart(1)
	v, _ := c.Value(1, 1)
	require.EqualValues(t, 5, v, "seed %d: data is durable", seed)
	op := cl.do(1, get(1), time.Second)
	require.Equal(t, store.StatusOK, op.Status, "seed %d", seed)
	require.EqualValues(t, 6, op.Out, "seed %d: the unacknowledged write reached 0 and 2", seed)
}

// TestCASLosesUpdates documents that CAS is not atomic: two concurrent
// CAS ops with the same expectation, at two coordinators, both succeed,
// and one of the two updates is lost.
func TestCASLosesUpdates(t *testing.T) {
	const seed = 10
	e, c := newQuorum(t, seed, constant(t, time.Millisecond), 3, Config{})
	cl := e.newClient("client")
	require.Equal(t, store.StatusOK, cl.do(0, put(1, 10), time.Second).Status)
	a := e.ops.Put(cas(1, 10, 11))
	b := e.ops.Put(cas(1, 10, 12))
	for r, i := range []int32{a, b} {
		e.net.Send(sim.Message{From: cl.node, To: c.Nodes()[r], Size: 128,
			Deliver: sim.Target{H: c.Handler(r), Kind: store.KindOp, A: int64(i), B: store.Caller(cl.node, cl.id)}})
	}
	e.run(time.Second)
	for _, i := range []int32{a, b} {
		op := e.ops.At(i)
		require.Equal(t, store.StatusOK, op.Status, "seed %d", seed)
		require.EqualValues(t, 1, op.Out, "seed %d: both CAS ops swap", seed)
	}
	require.EqualValues(t, 12, cl.do(2, get(1), time.Second).Out, "seed %d: the later version wins", seed)
}
