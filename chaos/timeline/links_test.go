package timeline

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
)

// TestLinkToxic: each link fault maps to the toxic its FaultSpec.Real
// documents, in Toxiproxy's units, with a note wherever it differs from
// the simulator.
func TestLinkToxic(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		f        scenarios.Fault
		typ      string
		toxicity float64
		attrs    map[string]any
		notes    int
	}{
		{scenarios.Fault{Type: scenarios.FaultLatency, Latency: 200 * ms, Jitter: 50 * ms}, "latency", 1, map[string]any{"latency": int64(200), "jitter": int64(50)}, 0},
		{scenarios.Fault{Type: scenarios.FaultLatency, Latency: 1500 * time.Microsecond}, "latency", 1, map[string]any{"latency": int64(2), "jitter": int64(0)}, 1},
		{scenarios.Fault{Type: scenarios.FaultLoss, Probability: 0.3}, "timeout", 0.3, map[string]any{"timeout": 0}, 1},
		{scenarios.Fault{Type: scenarios.FaultBandwidth, Bandwidth: 50000}, "bandwidth", 1, map[string]any{"rate": int64(50)}, 1},
		{scenarios.Fault{Type: scenarios.FaultBandwidth, Bandwidth: 300}, "bandwidth", 1, map[string]any{"rate": int64(1)}, 2},
		{scenarios.Fault{Type: scenarios.FaultTimeout, Timeout: 0}, "timeout", 1, map[string]any{"timeout": int64(0)}, 0},
		{scenarios.Fault{Type: scenarios.FaultTimeout, Timeout: 250 * ms}, "timeout", 1, map[string]any{"timeout": int64(250)}, 0},
		{scenarios.Fault{Type: scenarios.FaultResetPeer, Timeout: 10 * ms}, "reset_peer", 1, map[string]any{"timeout": int64(10)}, 1},
		{scenarios.Fault{Type: scenarios.FaultSlowClose, Delay: 300 * ms}, "slow_close", 1, map[string]any{"delay": int64(300)}, 0},
		{scenarios.Fault{Type: scenarios.FaultSlicer, AverageSize: 64, SizeVariation: 8, Delay: 2 * ms}, "slicer", 1,
			map[string]any{"average_size": 64, "size_variation": 8, "delay": int64(2000)}, 1},
		{scenarios.Fault{Type: scenarios.FaultLimitData, Bytes: 4096}, "limit_data", 1, map[string]any{"bytes": int64(4096)}, 0},
	} {
		t.Run(string(tc.f.Type), func(t *testing.T) {
			row, ok := rowOf(tc.f.Type)
			require.True(t, ok && row.toxic != nil, "a link fault's row has its toxic")
			typ, toxicity, attrs, notes := row.toxic(&tc.f)
			assert.Equal(t, tc.typ, typ)
			assert.Equal(t, tc.toxicity, toxicity)
			assert.Equal(t, tc.attrs, attrs)
			assert.Len(t, notes, tc.notes, "notes: %q", notes)
		})
	}
}

// store3 is the raft store adapter's shape: replicas kv-0..kv-2 (group
// kv), clients c0 (on kv-0) and c2 (on kv-2); a raft and an HTTP link per
// direction per pair of replicas, and one per client to its replica.
func store3() *topo {
	sp := Spec{Roles: []string{"kv.leader"}}
	for i := range 3 {
		sp.Nodes = append(sp.Nodes, Node{Name: fmt.Sprintf("kv-%d", i), Group: "kv", Process: true})
	}
	sp.Nodes = append(sp.Nodes, Node{Name: "c0"}, Node{Name: "c2"})
	for i := range 3 {
		for j := range 3 {
			if i != j {
				for _, kind := range []string{"raft", "http"} {
					sp.Links = append(sp.Links, Link{Name: fmt.Sprintf("kv-%d.kv-%d.%s", i, j, kind), From: []int{i}, To: j})
				}
			}
		}
	}
	sp.Links = append(sp.Links, Link{Name: "client.c0.kv-0", From: []int{3}, To: 0}, Link{Name: "client.c2.kv-2", From: []int{4}, To: 2})
	return newTopo(sp)
}

// names lists streams as proxy/direction.
func names(t *topo, ss []stream) []string {
	var out []string
	for _, s := range ss {
		out = append(out, t.Links[s.link].Name+"/"+s.dir)
	}
	return out
}

// TestCrossing: messages from a to b travel upstream on a's proxies to b
// and downstream on b's proxies to a; a client has a link only to its
// replica.
func TestCrossing(t *testing.T) {
	tp := store3()
	one := func(a, b int) []string {
		full, partial := tp.crossing(directed([]int{a}, []int{b}, false))
		assert.Empty(t, partial, "no link is shared")
		return names(tp, full)
	}
	assert.ElementsMatch(t, []string{
		"kv-0.kv-1.raft/upstream", "kv-0.kv-1.http/upstream", "kv-1.kv-0.raft/downstream", "kv-1.kv-0.http/downstream",
	}, one(0, 1))
	assert.Equal(t, []string{"client.c0.kv-0/upstream"}, one(3, 0))
	assert.Equal(t, []string{"client.c0.kv-0/downstream"}, one(0, 3))
	assert.Empty(t, one(3, 1), "c0 talks only to kv-0")
	assert.Empty(t, one(3, 4), "clients do not talk to each other")
}

// TestLinkFaultActions: a one-way fault touches only the streams of its
// direction; two_way adds the reverse, each stream once.
func TestLinkFaultActions(t *testing.T) {
	tp := store3()
	full, _ := tp.crossing(directed([]int{0}, []int{1, 2, 3}, false))
	var got []string
	for _, c := range tp.toxicActions(full, "f1", "latency", 1, nil) {
		got = append(got, c.Proxy+"/"+c.Toxic)
	}
	assert.ElementsMatch(t, []string{
		"kv-0.kv-1.raft/f1-up", "kv-0.kv-1.http/f1-up", "kv-1.kv-0.raft/f1-down", "kv-1.kv-0.http/f1-down",
		"kv-0.kv-2.raft/f1-up", "kv-0.kv-2.http/f1-up", "kv-2.kv-0.raft/f1-down", "kv-2.kv-0.http/f1-down",
		"client.c0.kv-0/f1-down",
	}, got)
	two, _ := tp.crossing(directed([]int{0}, []int{1}, true))
	assert.Len(t, two, 8, "kv-0<->kv-1: both streams of both proxies of both kinds")
}

// TestSharedLinks: on a link its caller's instances share, a link fault
// from one of them acts on all (noted), and a partition between them is
// refused unless it isolates one, whose own calls are then left alone.
func TestSharedLinks(t *testing.T) {
	// client -> api-0, api-1 (each its own proxy); api-0 and api-1 -> db-0
	// through one proxy.
	tp := newTopo(Spec{
		Nodes: []Node{{Name: "client"}, {Name: "api-0", Group: "api", Process: true}, {Name: "api-1", Group: "api", Process: true}, {Name: "db-0", Group: "db", Process: true}},
		Links: []Link{{Name: "client_api-0", From: []int{0}, To: 1}, {Name: "client_api-1", From: []int{0}, To: 2}, {Name: "api_db-0", From: []int{1, 2}, To: 3}},
	})
	f := &scenarios.Fault{Type: scenarios.FaultLatency, From: "api-0", To: "db", Latency: 10 * time.Millisecond}
	cs, notes, _, err := linkChanges(tp, f, tp.static, "f1", latencyToxic)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, "api_db-0", cs[0].Proxy)
	assert.Contains(t, strings.Join(notes, "\n"), "also acts on the other nodes that share these proxies")

	split := &scenarios.Fault{Type: scenarios.FaultPartition, Groups: [][]string{{"api-0"}, {"api-1", "db"}}}
	_, _, _, err = partitionChanges(tp, split, tp.static, "f2")
	assert.ErrorIs(t, err, ErrNoRealCounterpart)

	alone := &scenarios.Fault{Type: "partition", Isolate: "api-1", Mode: "refuse"}
	cs, notes, sides, err := partitionChanges(tp, alone, tp.static, "f3")
	require.NoError(t, err)
	assert.Equal(t, []Change{{Proxy: "client_api-1"}}, cs)
	assert.Equal(t, [][]int{{2}, {0, 1, 3}}, sides)
	assert.Contains(t, strings.Join(notes, "\n"), "api_db-0")
}

// TestLinkPlan: topology.links become one latency toxic per stream, the
// last entry covering a direction wins, and what cannot be applied is
// noted (sub-millisecond latency, loss).
func TestLinkPlan(t *testing.T) {
	links := []scenarios.Link{
		{From: "kv", To: "kv", Latency: constant(500 * time.Microsecond)},
		{From: "kv-0", To: "kv-2", Latency: constant(5 * time.Millisecond), Jitter: time.Millisecond},
		{From: "c0", To: "kv-0", Latency: constant(2 * time.Millisecond), OneWay: true, Loss: 0.01},
	}
	as, settings := store3().linkPlan(links)
	require.Len(t, settings, 3)
	assert.Zero(t, settings[0].Toxics, "500us rounds to 0 ms: not applied")
	assert.NotEmpty(t, settings[0].Notes)
	assert.Equal(t, 16, settings[0].Streams, "kv<->kv: 12 proxies, 24 streams, 8 taken over by kv-0<->kv-2")
	assert.Equal(t, 8, settings[1].Streams, "both streams of kv-0<->kv-2's 4 proxies")
	assert.Equal(t, 1, settings[2].Streams, "one way: only c0's requests")
	assert.Contains(t, fmt.Sprint(settings[2].Notes), "loss 0.01 not applied")
	got := map[string]map[string]any{}
	for _, a := range as {
		got[a.Proxy+"/"+a.Stream+"/"+a.Toxic] = a.Attrs
	}
	assert.Equal(t, map[string]map[string]any{
		"kv-0.kv-2.raft/upstream/link-latency-up":     {"latency": int64(5), "jitter": int64(1)},
		"kv-0.kv-2.http/upstream/link-latency-up":     {"latency": int64(5), "jitter": int64(1)},
		"kv-2.kv-0.raft/downstream/link-latency-down": {"latency": int64(5), "jitter": int64(1)},
		"kv-2.kv-0.http/downstream/link-latency-down": {"latency": int64(5), "jitter": int64(1)},
		"kv-2.kv-0.raft/upstream/link-latency-up":     {"latency": int64(5), "jitter": int64(1)},
		"kv-2.kv-0.http/upstream/link-latency-up":     {"latency": int64(5), "jitter": int64(1)},
		"kv-0.kv-2.raft/downstream/link-latency-down": {"latency": int64(5), "jitter": int64(1)},
		"kv-0.kv-2.http/downstream/link-latency-down": {"latency": int64(5), "jitter": int64(1)},
		"client.c0.kv-0/upstream/link-latency-up":     {"latency": int64(2), "jitter": int64(0)},
	}, got)
}

func constant(d time.Duration) sim.DistSpec {
	return sim.DistSpec{Kind: "constant", Value: d.Seconds()}
}

// TestFaultTableCoversTheLanguage: the real engine has a row for every
// fault type of the language, and each is implemented.
func TestFaultTableCoversTheLanguage(t *testing.T) {
	require.NoError(t, faultTable.Check())
	for _, ft := range scenarios.FaultTypes() {
		_, ok := rowOf(ft)
		assert.True(t, ok, "fault type %s has a real implementation", ft)
	}
}
