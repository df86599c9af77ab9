package sim

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func constant(t testing.TB, seconds float64) Dist {
	t.Helper()
	d, err := NewConstant(seconds)
	require.NoError(t, err)
	return d
}

// netFixture is a network of named nodes and one recorder that receives
// deliveries (kind 1) and refusals (kind 2); A carries a message number.
type netFixture struct {
	k   *Kernel
	net *Network
	rec *recorder
	id  HandlerID
	n   []NodeID
}

func newNetFixture(t *testing.T, nodes int, def LinkConfig) *netFixture {
	k := New(1)
	net, err := NewNetwork(k, def)
	require.NoError(t, err)
	f := &netFixture{k: k, net: net}
	f.rec, f.id = newRecorder(k)
	for i := range nodes {
		f.n = append(f.n, net.AddNode(string(rune('a'+i))))
	}
	return f
}

func (f *netFixture) send(from, to NodeID, size int, num int64) {
	f.net.Send(Message{From: from, To: to, Size: size,
		Deliver: Target{H: f.id, Kind: 1, A: num}, Refused: Target{H: f.id, Kind: 2, A: num}})
}

func TestLinkLatencyAndJitter(t *testing.T) {
	lat := constant(t, 0.010)
	f := newNetFixture(t, 2, LinkConfig{Latency: lat, Jitter: 2 * time.Millisecond})
	const n = 20000
	for i := range n {
		f.send(f.n[0], f.n[1], 0, int64(i))
	}
	f.k.Run()
	require.Len(t, f.rec.at, n)
	lo, hi, sum := Time(math.MaxInt64), Time(0), 0.0
	for _, at := range f.rec.at {
		lo, hi, sum = min(lo, at), max(hi, at), sum+float64(at)
	}
	// Uniform jitter in [-2ms, +2ms] around 10ms: the extremes are reached
	// and the mean stays at 10ms (sd of the mean = 2ms/sqrt(3n) ~ 8us).
	assert.GreaterOrEqual(t, lo, At(8*time.Millisecond))
	assert.LessOrEqual(t, hi, At(12*time.Millisecond))
	assert.Less(t, lo, At(8100*time.Microsecond))
	assert.Greater(t, hi, At(11900*time.Microsecond))
	assert.InDelta(t, 10e6, sum/n, 50e3)
}

func TestLinkLossRate(t *testing.T) {
	f := newNetFixture(t, 2, LinkConfig{Loss: 0.3})
	const n = 100000
	for i := range n {
		f.send(f.n[0], f.n[1], 0, int64(i))
	}
	f.k.Run()
	st := f.net.Stats()
	// Binomial(1e5, 0.3): sd = 145; allow 5 sd.
	assert.InDelta(t, 30000, st.Lost, 725, "lost=%d of %d", st.Lost, n)
	assert.Equal(t, int64(n), st.Lost+st.Delivered)
	assert.Len(t, f.rec.seen, int(st.Delivered))
}

func TestLinkBandwidthSerialisesMessages(t *testing.T) {
	lat := constant(t, 0.001)
	f := newNetFixture(t, 2, LinkConfig{})
	require.NoError(t, f.net.SetLink(f.n[0], f.n[1], LinkConfig{Latency: lat, Bandwidth: 1e6}))
	for i := range 3 {
		f.send(f.n[0], f.n[1], 100_000, int64(i)) // 100 ms each at 1 MB/s
	}
	f.k.Run()
	ms := time.Millisecond
	assert.Equal(t, []Time{At(101 * ms), At(201 * ms), At(301 * ms)}, f.rec.at)
	// The reverse link was not configured: the default (ideal) applies.
	f.send(f.n[1], f.n[0], 100_000, 9)
	f.k.Run()
	assert.Equal(t, At(301*ms), f.rec.at[3])
}

func TestPartitionSymmetricBlackHoleAndHeal(t *testing.T) {
	f := newNetFixture(t, 4, LinkConfig{})
	a, b, c, d := f.n[0], f.n[1], f.n[2], f.n[3]
	id, err := f.net.Cut(Partition{Groups: [][]NodeID{{a, b}, {c}}})
	require.NoError(t, err)
	assert.True(t, f.net.Reachable(a, b), "same side")
	assert.False(t, f.net.Reachable(a, c))
	assert.False(t, f.net.Reachable(c, b), "symmetric")
	assert.True(t, f.net.Reachable(a, d), "d is in no group")
	f.send(a, c, 0, 1)
	f.k.Run()
	assert.Empty(t, f.rec.seen, "black-holed: the sender hears nothing")
	assert.Equal(t, int64(1), f.net.Stats().BlackHoled)
	require.True(t, f.net.Heal(id))
	assert.False(t, f.net.Heal(id))
	f.send(a, c, 0, 2)
	f.k.Run()
	assert.Equal(t, []uint32{1}, f.rec.kinds())
}

func TestPartitionRefuseAnswersAfterOneRoundTrip(t *testing.T) {
	lat := constant(t, 0.005)
	f := newNetFixture(t, 2, LinkConfig{Latency: lat})
	_, err := f.net.Cut(Partition{Groups: [][]NodeID{{f.n[0]}, {f.n[1]}}, Mode: Refuse})
	require.NoError(t, err)
	f.send(f.n[0], f.n[1], 0, 7)
	f.k.Run()
	require.Equal(t, []uint32{2}, f.rec.kinds(), "refused, not delivered")
	assert.Equal(t, int64(7), f.rec.seen[0].A)
	assert.Equal(t, At(10*time.Millisecond), f.rec.at[0], "one round trip of 2 x 5ms")
}

func TestPartitionOneWay(t *testing.T) {
	f := newNetFixture(t, 3, LinkConfig{})
	a, b, c := f.n[0], f.n[1], f.n[2]
	_, err := f.net.Cut(Partition{Groups: [][]NodeID{{a}, {b, c}}, OneWay: true})
	require.NoError(t, err)
	assert.False(t, f.net.Reachable(a, b))
	assert.False(t, f.net.Reachable(a, c))
	assert.True(t, f.net.Reachable(b, a), "the reverse direction flows")
	assert.True(t, f.net.Reachable(b, c))
}

func TestPartitionIsolateCoversNodesAddedLater(t *testing.T) {
	f := newNetFixture(t, 3, LinkConfig{})
	a := f.n[0]
	_, err := f.net.Cut(Partition{Isolate: &a})
	require.NoError(t, err)
	late := f.net.AddNode("late")
	for _, other := range []NodeID{f.n[1], f.n[2], late} {
		assert.False(t, f.net.Reachable(a, other))
		assert.False(t, f.net.Reachable(other, a))
	}
	assert.True(t, f.net.Reachable(f.n[1], late))
	assert.True(t, f.net.Reachable(a, a), "a node always reaches itself")
}

func TestCutWhileInFlightDropsTheMessage(t *testing.T) {
	lat := constant(t, 0.010)
	f := newNetFixture(t, 2, LinkConfig{Latency: lat})
	f.send(f.n[0], f.n[1], 0, 1)
	require.NoError(t, f.net.ScheduleCut(At(5*time.Millisecond), 10*time.Millisecond,
		Partition{Groups: [][]NodeID{{f.n[0]}, {f.n[1]}}}))
	f.k.RunUntil(At(20 * time.Millisecond))
	assert.Empty(t, f.rec.seen)
	assert.Equal(t, int64(1), f.net.Stats().BlackHoled)
	f.send(f.n[0], f.n[1], 0, 2) // healed at 15ms
	f.k.Run()
	assert.Equal(t, []uint32{1}, f.rec.kinds())
}

func TestNetworkRejectsBadInput(t *testing.T) {
	f := newNetFixture(t, 2, LinkConfig{})
	a, b := f.n[0], f.n[1]
	ghost := NodeID(9)
	cases := map[string]struct {
		err  error
		want string
	}{
		"loss":      {f.net.SetLink(a, b, LinkConfig{Loss: 1.5}), "link a->b: loss must be in [0, 1], got 1.5"},
		"jitter":    {f.net.SetLink(a, b, LinkConfig{Jitter: -1}), "link a->b: jitter must be >= 0, got -1ns"},
		"bandwidth": {f.net.SetLink(a, b, LinkConfig{Bandwidth: math.NaN()}), "link a->b: bandwidth must be in [0, +Inf) bytes/s (0 = unlimited), got NaN"},
		"node":      {f.net.SetLink(a, ghost, LinkConfig{}), "link 0->9: sim: unknown node"},
		"one group": {cutErr(f.net, Partition{Groups: [][]NodeID{{a}}}), "partition groups: need 2 to 127 groups, got 1"},
		"twice":     {cutErr(f.net, Partition{Groups: [][]NodeID{{a}, {a}}}), "partition groups[1][0]: node a is already in groups[0]"},
		"empty":     {cutErr(f.net, Partition{Groups: [][]NodeID{{a}, {}}}), "partition groups[1]: must not be empty"},
		"ghost":     {cutErr(f.net, Partition{Isolate: &ghost}), "partition isolate 9: sim: unknown node"},
		"duration":  {f.net.ScheduleCut(0, 0, Partition{Isolate: &a}), "partition duration must be > 0, got 0s"},
	}
	for name, c := range cases {
		assert.EqualError(t, c.err, c.want, name)
	}
	_, err := NewNetwork(f.k, LinkConfig{Loss: -1})
	assert.EqualError(t, err, "network default link: loss must be in [0, 1], got -1")
}

func cutErr(n *Network, p Partition) error {
	_, err := n.Cut(p)
	return err
}

func TestLinkFaultsAddUpAndAreRemoved(t *testing.T) {
	f := newNetFixture(t, 2, LinkConfig{Latency: constant(t, 0.001)})
	a, b := f.n[0], f.n[1]
	id1, err := f.net.AddLinkFault(a, b, LinkFault{Latency: 10 * time.Millisecond})
	require.NoError(t, err)
	id2, err := f.net.AddLinkFault(a, b, LinkFault{Latency: 5 * time.Millisecond})
	require.NoError(t, err)
	f.send(a, b, 0, 1)
	f.send(b, a, 0, 2) // the reverse link is untouched
	f.k.Run()
	assert.Equal(t, []Time{f.rec.at[0], At(16 * time.Millisecond)}, []Time{At(time.Millisecond), f.rec.at[1]})
	require.True(t, f.net.RemoveLinkFault(a, b, id1))
	require.True(t, f.net.RemoveLinkFault(a, b, id2))
	assert.False(t, f.net.RemoveLinkFault(a, b, id2))
	start := f.k.Now()
	f.send(a, b, 0, 3)
	f.k.Run()
	assert.Equal(t, start.Add(time.Millisecond), f.rec.at[2])
}

func TestLinkFaultDropAndReset(t *testing.T) {
	f := newNetFixture(t, 2, LinkConfig{Latency: constant(t, 0.002)})
	a, b := f.n[0], f.n[1]
	drop, err := f.net.AddLinkFault(a, b, LinkFault{Drop: true})
	require.NoError(t, err)
	f.send(a, b, 0, 1)
	f.k.Run()
	assert.Empty(t, f.rec.seen, "black hole: nothing comes back")
	f.net.RemoveLinkFault(a, b, drop)

	closeAfter, err := f.net.AddLinkFault(a, b, LinkFault{Drop: true, After: 30 * time.Millisecond})
	require.NoError(t, err)
	start := f.k.Now()
	f.send(a, b, 0, 2)
	f.k.Run()
	require.Equal(t, []uint32{2}, f.rec.kinds(), "timeout toxic with a timeout: the connection closes")
	assert.Equal(t, start.Add(30*time.Millisecond), f.rec.at[0])
	f.net.RemoveLinkFault(a, b, closeAfter)

	_, err = f.net.AddLinkFault(a, b, LinkFault{Reset: true})
	require.NoError(t, err)
	start = f.k.Now()
	f.send(a, b, 0, 3)
	f.k.Run()
	require.Equal(t, []uint32{2, 2}, f.rec.kinds())
	assert.Equal(t, start.Add(4*time.Millisecond), f.rec.at[1], "reset after one round trip")

	_, err = f.net.AddLinkFault(a, b, LinkFault{Drop: true, Reset: true})
	assert.EqualError(t, err, "link fault a->b: a link fault cannot both drop and reset")
}

func TestLinkFaultLossAndBandwidth(t *testing.T) {
	f := newNetFixture(t, 2, LinkConfig{})
	a, b := f.n[0], f.n[1]
	_, err := f.net.AddLinkFault(a, b, LinkFault{Loss: 0.5, Bandwidth: 1000})
	require.NoError(t, err)
	const n = 20000
	for i := range n {
		f.send(a, b, 1, int64(i))
	}
	f.k.Run()
	// Binomial(2e4, 0.5): sd = 71; allow 5 sd. Every byte sent occupies the
	// 1000 B/s link for 1ms, lost or not (it is lost on the way), so
	// message i arrives at (i+1) ms.
	assert.InDelta(t, n/2, f.net.Stats().Lost, 355)
	for j, ev := range f.rec.seen {
		require.Equal(t, At(time.Duration(ev.A+1)*time.Millisecond), f.rec.at[j], "message %d", ev.A)
	}
}

// TestLinkFaultFlush: under a latency fault of 500 ms that flushes, a
// message sent 100 ms before the fault is removed arrives at the removal
// (not 400 ms later), one sent just before arrives when it would have
// without the fault (its bare 1 ms), a message sent before the fault
// keeps its own delay, and without Flush every message keeps the delay it
// was sent with. Messages arrive in the order they were sent.
func TestLinkFaultFlush(t *testing.T) {
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	for _, flush := range []bool{true, false} {
		f := newNetFixture(t, 2, LinkConfig{Latency: constant(t, 0.001)})
		a, b := f.n[0], f.n[1]
		f.k.RunUntil(At(ms(10)))
		id, err := f.net.AddLinkFault(a, b, LinkFault{Latency: ms(500), Flush: flush})
		require.NoError(t, err)
		f.k.RunUntil(At(ms(400)))
		f.send(a, b, 0, 1) // at 400 ms: would arrive at 901 ms
		f.k.RunUntil(At(ms(499.5)))
		f.send(a, b, 0, 2) // at 499.5 ms: bare arrival 500.5 ms
		f.k.RunUntil(At(ms(500)))
		require.True(t, f.net.RemoveLinkFault(a, b, id))
		f.send(a, b, 0, 3) // after the fault: 1 ms
		f.k.Run()
		require.Len(t, f.rec.seen, 3)
		var got []int64
		for _, ev := range f.rec.seen {
			got = append(got, ev.A)
		}
		if flush {
			assert.Equal(t, []int64{1, 2, 3}, got)
			assert.Equal(t, []Time{At(ms(500)), At(ms(500.5)), At(ms(501))}, f.rec.at)
		} else {
			assert.Equal(t, []int64{3, 1, 2}, got)
			assert.Equal(t, []Time{At(ms(501)), At(ms(901)), At(ms(1000.5))}, f.rec.at)
		}
	}
}

// TestLinkFaultSlicerAndLimit: a slicer of 100-byte slices 1 ms apart
// delays a 1024-byte message (halved to 16 slices of 64 bytes) by 15 ms
// and a 50-byte one not at all; a 2000-byte limit lets the first 1024-byte
// message through, refuses the second (it would pass the limit: the
// connection closes), and lets the third through on a new connection.
func TestLinkFaultSlicerAndLimit(t *testing.T) {
	f := newNetFixture(t, 2, LinkConfig{Latency: constant(t, 0.001)})
	a, b := f.n[0], f.n[1]
	id, err := f.net.AddLinkFault(a, b, LinkFault{SliceBytes: 100, SliceDelay: time.Millisecond})
	require.NoError(t, err)
	f.send(a, b, 1024, 1)
	f.send(a, b, 50, 2)
	f.k.Run()
	assert.Equal(t, []Time{At(time.Millisecond), At(16 * time.Millisecond)}, f.rec.at, "the small one first, the sliced one 15 ms late")
	require.True(t, f.net.RemoveLinkFault(a, b, id))

	f = newNetFixture(t, 2, LinkConfig{Latency: constant(t, 0.001)})
	a, b = f.n[0], f.n[1]
	_, err = f.net.AddLinkFault(a, b, LinkFault{LimitBytes: 2000})
	require.NoError(t, err)
	for i := range 3 {
		f.send(a, b, 1024, int64(i))
	}
	f.k.Run()
	require.Len(t, f.rec.seen, 3)
	kinds := []uint32{f.rec.seen[0].Kind, f.rec.seen[1].Kind, f.rec.seen[2].Kind}
	nums := []int64{f.rec.seen[0].A, f.rec.seen[1].A, f.rec.seen[2].A}
	assert.Equal(t, []int64{0, 2, 1}, nums, "the refusal comes a round trip later")
	assert.Equal(t, []uint32{1, 1, 2}, kinds, "delivered, delivered, refused")
	assert.Equal(t, sliceCount(1024, 100), 16)
	assert.Equal(t, sliceCount(100, 100), 1)
	assert.Equal(t, sliceCount(101, 100), 2)
}
