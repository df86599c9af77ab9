package store

import (
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/sim"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapStore is the simplest correct store: one replica answering from a map
// after a fixed delay; down, it answers nothing.
type mapStore struct {
	k     *sim.Kernel
	net   *sim.Network
	node  sim.NodeID
	id    sim.HandlerID
	ops   *OpTable
	data  map[int]int64
	delay time.Duration
	down  bool
}

func (m *mapStore) Name() string                  { return "kv" }
func (m *mapStore) Nodes() []sim.NodeID           { return []sim.NodeID{m.node} }
func (m *mapStore) Handler(int) sim.HandlerID     { return m.id }
func (m *mapStore) Crash(int)                     { m.down = true }
func (m *mapStore) Restart(int)                   { m.down = false }
func (m *mapStore) Divergence() int               { return 0 }
func (m *mapStore) Metrics(func(string, float64)) {}

func (m *mapStore) HandleEvent(ev sim.Event) {
	if ev.Kind != KindOp || m.down {
		return
	}
	i, caller := int32(ev.A), ev.B
	m.k.AfterFunc(m.delay, func() {
		op := m.ops.At(i)
		switch op.Kind {
		case Get:
			op.Out = m.data[op.Key]
		case Put:
			m.data[op.Key] = op.Value
		case CAS:
			if m.data[op.Key] == op.Expect {
				m.data[op.Key], op.Out = op.Value, 1
			}
		}
		op.Status = StatusOK
		Reply(m.net, m.node, 0, i, caller, 64)
	})
}

type fixture struct {
	k       *sim.Kernel
	net     *sim.Network
	st      *mapStore
	history History
	clients []*Workload
}

func newFixture(t *testing.T, seed uint64, clients int, mix Mix) *fixture {
	k := sim.New(seed)
	net, err := sim.NewNetwork(k, sim.LinkConfig{})
	require.NoError(t, err)
	f := &fixture{k: k, net: net}
	f.st = &mapStore{k: k, net: net, node: net.AddNode("kv-0"), data: map[int]int64{}, delay: 2 * time.Millisecond}
	f.st.ops = &OpTable{}
	f.st.id = k.Register("kv", f.st)
	for i := range clients {
		node := net.AddNode("client")
		w, err := NewWorkload(k, net, node, "c"+string(rune('0'+i)), i, f.st, f.st.ops,
			WorkloadConfig{Timeout: 100 * time.Millisecond, Schedule: load.Schedule{Shape: "constant", RPS: 200}, Mix: mix},
			&f.history, nil)
		require.NoError(t, err)
		f.clients = append(f.clients, w)
	}
	return f
}

func TestWorkloadRecordsAHistoryOfTheMix(t *testing.T) {
	f := newFixture(t, 1, 2, Mix{Read: 0.5, Write: 0.3, CAS: 0.2, Keys: 5})
	for _, c := range f.clients {
		c.Start(sim.At(10 * time.Second))
	}
	f.k.Run()
	require.InDelta(t, 4000, len(f.history), 4*90, "2 clients x 200/s x 10 s; seed=1")
	kinds := map[OpKind]int{}
	values := map[int64]bool{}
	for _, r := range f.history {
		kinds[r.Kind]++
		assert.Equal(t, OK, r.Outcome)
		assert.Equal(t, r.Invoke.Add(2*time.Millisecond), r.Return, "one service delay, ideal links")
		assert.True(t, r.Key >= 0 && r.Key < 5)
		if r.Kind != Get {
			assert.False(t, values[r.Value], "every write writes a distinct value")
			values[r.Value] = true
		}
	}
	n := float64(len(f.history))
	assert.InDelta(t, 0.5, float64(kinds[Get])/n, 0.04)
	assert.InDelta(t, 0.3, float64(kinds[Put])/n, 0.04)
	assert.InDelta(t, 0.2, float64(kinds[CAS])/n, 0.04)
}

func TestWorkloadTimeoutsAreUnknownAndRefusalsFailed(t *testing.T) {
	f := newFixture(t, 2, 1, Mix{})
	f.st.down = true
	f.clients[0].Start(sim.At(time.Second))
	f.k.Run()
	require.NotEmpty(t, f.history)
	for _, r := range f.history {
		assert.Equal(t, Unknown, r.Outcome)
		assert.Equal(t, r.Invoke.Add(100*time.Millisecond), r.Return)
	}
	f = newFixture(t, 2, 1, Mix{})
	_, err := f.net.Cut(sim.Partition{Groups: [][]sim.NodeID{{0}, {1}}, Mode: sim.Refuse})
	require.NoError(t, err)
	f.clients[0].Start(sim.At(time.Second))
	f.k.Run()
	require.NotEmpty(t, f.history)
	for _, r := range f.history {
		assert.Equal(t, Failed, r.Outcome)
	}
}

func TestMixValidation(t *testing.T) {
	cases := map[string]struct {
		m    Mix
		want string
	}{
		"negative": {Mix{Read: -1, Keys: 1, Distribution: "uniform"}, "read: read, write and cas must be >= 0 with a positive sum, got -1, 0, 0"},
		"keys":     {Mix{Read: 1, Keys: 0, Distribution: "uniform"}, "keys: must be >= 1, got 0"},
		"dist":     {Mix{Read: 1, Keys: 1, Distribution: "pareto"}, `distribution: must be uniform or zipf, got "pareto"`},
		"zipf_s":   {Mix{Read: 1, Keys: 1, Distribution: "zipf", ZipfS: 1}, "zipf_s: must be > 1, got 1"},
	}
	for name, c := range cases {
		assert.EqualError(t, c.m.Validate(), c.want, name)
	}
}

func TestZipfKeysFavourTheFirst(t *testing.T) {
	f := newFixture(t, 3, 1, Mix{Read: 1, Keys: 50, Distribution: "zipf", ZipfS: 1.5})
	f.clients[0].Start(sim.At(20 * time.Second))
	f.k.Run()
	counts := make([]int, 50)
	for _, r := range f.history {
		counts[r.Key]++
	}
	assert.Greater(t, counts[0], 5*counts[10], "zipf(1.5): key 0 much hotter than key 10; seed=3")
}
