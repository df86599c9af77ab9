package chaos

import (
	"fmt"
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
		{scenarios.Fault{Type: "latency", Latency: 200 * ms, Jitter: 50 * ms}, "latency", 1, map[string]any{"latency": int64(200), "jitter": int64(50)}, 0},
		{scenarios.Fault{Type: "latency", Latency: 1500 * time.Microsecond}, "latency", 1, map[string]any{"latency": int64(2), "jitter": int64(0)}, 1},
		{scenarios.Fault{Type: "loss", Probability: 0.3}, "timeout", 0.3, map[string]any{"timeout": 0}, 1},
		{scenarios.Fault{Type: "bandwidth", Bandwidth: 50000}, "bandwidth", 1, map[string]any{"rate": int64(50)}, 1},
		{scenarios.Fault{Type: "bandwidth", Bandwidth: 300}, "bandwidth", 1, map[string]any{"rate": int64(1)}, 2},
		{scenarios.Fault{Type: "timeout", Timeout: 0}, "timeout", 1, map[string]any{"timeout": int64(0)}, 0},
		{scenarios.Fault{Type: "timeout", Timeout: 250 * ms}, "timeout", 1, map[string]any{"timeout": int64(250)}, 0},
		{scenarios.Fault{Type: "reset_peer", Timeout: 10 * ms}, "reset_peer", 1, map[string]any{"timeout": int64(10)}, 1},
		{scenarios.Fault{Type: "slow_close", Delay: 300 * ms}, "slow_close", 1, map[string]any{"delay": int64(300)}, 0},
		{scenarios.Fault{Type: "slicer", AverageSize: 64, SizeVariation: 8, Delay: 2 * ms}, "slicer", 1,
			map[string]any{"average_size": 64, "size_variation": 8, "delay": int64(2000)}, 1},
		{scenarios.Fault{Type: "limit_data", Bytes: 4096}, "limit_data", 1, map[string]any{"bytes": int64(4096)}, 0},
	} {
		t.Run(string(tc.f.Type), func(t *testing.T) {
			typ, toxicity, attrs, notes := linkToxic(&tc.f)
			assert.Equal(t, tc.typ, typ)
			assert.Equal(t, tc.toxicity, toxicity)
			assert.Equal(t, tc.attrs, attrs)
			assert.Len(t, notes, tc.notes, "notes: %q", notes)
		})
	}
}

func endpoints3() []endpoint {
	eps := []endpoint{{name: "kv-0", replica: 0}, {name: "kv-1", replica: 1}, {name: "kv-2", replica: 2}}
	return append(eps, endpoint{name: "c0", replica: -1, via: 0}, endpoint{name: "c2", replica: -1, via: 2})
}

// TestStreamsOf: messages from a to b travel upstream on a's proxies to b
// and downstream on b's proxies to a; a client has a link only to its
// replica.
func TestStreamsOf(t *testing.T) {
	eps := endpoints3()
	assert.Equal(t, []stream{
		{"kv-0.kv-1.raft", "upstream"}, {"kv-0.kv-1.http", "upstream"},
		{"kv-1.kv-0.raft", "downstream"}, {"kv-1.kv-0.http", "downstream"},
	}, streamsOf(eps[0], eps[1]))
	assert.Equal(t, []stream{{"client.c0.kv-0", "upstream"}}, streamsOf(eps[3], eps[0]))
	assert.Equal(t, []stream{{"client.c0.kv-0", "downstream"}}, streamsOf(eps[0], eps[3]))
	assert.Empty(t, streamsOf(eps[3], eps[1]), "c0 talks only to kv-0")
	assert.Empty(t, streamsOf(eps[3], eps[4]), "clients do not talk to each other")
}

// TestLinkFaultActions: a one-way fault touches only the streams of its
// direction; two_way adds the reverse, each stream once.
func TestLinkFaultActions(t *testing.T) {
	eps := endpoints3()
	one := toxicActions(linkCuts([]int{0}, []int{1, 2, 3}, false), eps, "f1", "latency", 1, nil)
	var names []string
	for _, a := range one {
		names = append(names, a.proxy+"/"+a.toxic)
	}
	assert.ElementsMatch(t, []string{
		"kv-0.kv-1.raft/f1-up", "kv-0.kv-1.http/f1-up", "kv-1.kv-0.raft/f1-down", "kv-1.kv-0.http/f1-down",
		"kv-0.kv-2.raft/f1-up", "kv-0.kv-2.http/f1-up", "kv-2.kv-0.raft/f1-down", "kv-2.kv-0.http/f1-down",
		"client.c0.kv-0/f1-down",
	}, names)
	two := toxicActions(linkCuts([]int{0}, []int{1}, true), eps, "f2", "latency", 1, nil)
	assert.Len(t, two, 8, "kv-0<->kv-1: both streams of both proxies of both kinds")
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
	as, settings := linkPlan(links, endpoints3(), "kv")
	require.Len(t, settings, 3)
	assert.Zero(t, settings[0].Toxics, "500us rounds to 0 ms: not applied")
	assert.NotEmpty(t, settings[0].Notes)
	assert.Equal(t, 16, settings[0].Streams, "kv<->kv: 12 proxies, 24 streams, 8 taken over by kv-0<->kv-2")
	assert.Equal(t, 8, settings[1].Streams, "both streams of kv-0<->kv-2's 4 proxies")
	assert.Equal(t, 1, settings[2].Streams, "one way: only c0's requests")
	assert.Contains(t, fmt.Sprint(settings[2].Notes), "loss 0.01 not applied")
	got := map[string]map[string]any{}
	for _, a := range as {
		got[a.proxy+"/"+a.stream+"/"+a.toxic] = a.attrs
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
