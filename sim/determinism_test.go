package sim

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// pinger is a small but busy model: every node sends requests to random
// peers, peers answer after a random service time, and the sender times out
// if no answer comes. Timers are armed and cancelled, messages cross random
// partitions, and every outcome is recorded into the trace hash.
type pinger struct {
	k     *Kernel
	net   *Network
	id    HandlerID
	nodes []NodeID

	timers  []Timer // per request number, reused modulo len
	next    int64
	ok      int64
	timeout int64
	refused int64
}

const (
	pingTick uint32 = iota
	pingRequest
	pingReply
	pingTimeout
	pingRefused
)

const pingSlots = 1024

// pingWorld describes one generated case: node count, link settings and a
// partition schedule.
type pingWorld struct {
	nodes      int
	latencyMs  []float64 // per node, mean latency of its outgoing links
	loss       float64
	partitions []pingCut
}

type pingCut struct {
	at, dur time.Duration
	groups  [][]int
	oneWay  bool
	refuse  bool
}

func defaultWorld() pingWorld {
	return pingWorld{
		nodes:     5,
		latencyMs: []float64{1, 2, 5, 1, 3},
		loss:      0.01,
		partitions: []pingCut{
			{at: 2 * time.Second, dur: 3 * time.Second, groups: [][]int{{0, 1}, {2, 3, 4}}},
			{at: 4 * time.Second, dur: time.Second, groups: [][]int{{3}, {0, 4}}, oneWay: true, refuse: true},
		},
	}
}

// runPing simulates w for d of virtual time under seed and returns the
// trace hash and the number of events.
func runPing(t require.TestingT, seed uint64, w pingWorld, d time.Duration) (uint64, uint64) {
	k := New(seed)
	net, err := NewNetwork(k, LinkConfig{})
	require.NoError(t, err)
	p := &pinger{k: k, net: net, timers: make([]Timer, pingSlots)}
	p.id = k.Register("pinger", p)
	for i := range w.nodes {
		id := net.AddNode(fmt.Sprintf("node-%d", i))
		p.nodes = append(p.nodes, id)
		k.After(time.Duration(i)*time.Millisecond, p.id, pingTick, int64(i), 0)
	}
	for i := range w.nodes {
		lat, err := NewExponential(w.latencyMs[i] / 1000)
		require.NoError(t, err)
		for j := range w.nodes {
			if i != j {
				require.NoError(t, net.SetLink(p.nodes[i], p.nodes[j], LinkConfig{Latency: lat, Loss: w.loss, Jitter: 100 * time.Microsecond}))
			}
		}
	}
	for _, c := range w.partitions {
		groups := make([][]NodeID, len(c.groups))
		for g, members := range c.groups {
			for _, m := range members {
				groups[g] = append(groups[g], p.nodes[m])
			}
		}
		mode := BlackHole
		if c.refuse {
			mode = Refuse
		}
		require.NoError(t, net.ScheduleCut(At(c.at), c.dur, Partition{Groups: groups, OneWay: c.oneWay, Mode: mode}))
	}
	k.RunUntil(At(d))
	return k.Hash(), k.Dispatched()
}

func (p *pinger) HandleEvent(ev Event) {
	switch ev.Kind {
	case pingTick: // A = node
		rng := p.k.Stream("pinger/" + strconv.Itoa(int(ev.A)))
		to := rng.IntN(len(p.nodes) - 1)
		if to >= int(ev.A) {
			to++
		}
		req := p.next
		p.next++
		p.timers[req%pingSlots] = p.k.AfterTimer(50*time.Millisecond, p.id, pingTimeout, req, ev.A)
		p.net.Send(Message{From: p.nodes[ev.A], To: p.nodes[to], Size: 100,
			Deliver: Target{H: p.id, Kind: pingRequest, A: req, B: int64(to)<<16 | ev.A},
			Refused: Target{H: p.id, Kind: pingRefused, A: req, B: ev.A}})
		p.k.After(Seconds(rng.ExpFloat64()*0.01), p.id, pingTick, ev.A, 0)
	case pingRequest: // B = to<<16 | from
		to, from := ev.B>>16, ev.B&0xffff
		svc := Seconds(p.k.Stream("server/"+strconv.Itoa(int(to))).ExpFloat64() * 0.002)
		p.k.AfterFunc(svc, func() {
			p.net.Send(Message{From: p.nodes[to], To: p.nodes[from], Size: 100,
				Deliver: Target{H: p.id, Kind: pingReply, A: ev.A, B: from}})
		})
	case pingReply:
		if p.k.Cancel(p.timers[ev.A%pingSlots]) {
			p.ok++
			p.k.Record(p.id, pingReply, ev.A, int64(p.k.Now()))
		}
	case pingTimeout:
		p.timeout++
		p.k.Record(p.id, pingTimeout, ev.A, ev.B)
	case pingRefused:
		if p.k.Cancel(p.timers[ev.A%pingSlots]) {
			p.refused++
			p.k.Record(p.id, pingRefused, ev.A, ev.B)
		}
	}
}

func TestSameSeedSameTraceHash(t *testing.T) {
	h1, n1 := runPing(t, 1, defaultWorld(), 10*time.Second)
	h2, n2 := runPing(t, 1, defaultWorld(), 10*time.Second)
	assert.Equal(t, h1, h2, "seed=1")
	assert.Equal(t, n1, n2)
	assert.Greater(t, n1, uint64(10000), "the case must be busy enough to mean something")
}

func TestDifferentSeedsDifferentTraceHashes(t *testing.T) {
	seen := map[uint64]uint64{}
	for seed := uint64(0); seed < 20; seed++ {
		h, _ := runPing(t, seed, defaultWorld(), 2*time.Second)
		if prev, dup := seen[h]; dup {
			t.Fatalf("seeds %d and %d gave the same hash %x", prev, seed, h)
		}
		seen[h] = seed
	}
}

// TestTraceHashAcrossProcesses runs the same case in child processes with
// GOMAXPROCS=1 and 4 and compares their hash with this process's.
func TestTraceHashAcrossProcesses(t *testing.T) {
	if os.Getenv("FAULTLINE_PING_CHILD") != "" {
		h, n := runPing(t, 3, defaultWorld(), 5*time.Second)
		fmt.Printf("HASH %x %d\n", h, n)
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	h, n := runPing(t, 3, defaultWorld(), 5*time.Second)
	want := fmt.Sprintf("HASH %x %d", h, n)
	for _, procs := range []string{"1", "4"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTraceHashAcrossProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), "FAULTLINE_PING_CHILD=1", "GOMAXPROCS="+procs)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "child GOMAXPROCS=%s: %s", procs, out)
		got := ""
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "HASH ") {
				got = line
			}
		}
		assert.Equal(t, want, got, "seed=3 GOMAXPROCS=%s", procs)
		t.Logf("GOMAXPROCS=%s: %s", procs, got)
	}
}

// TestDeterminismProperty generates small networks with random links and
// partition schedules: each must replay to the same hash, and a different
// seed must give a different one.
func TestDeterminismProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		w := genWorld(rt)
		seed := rapid.Uint64().Draw(rt, "seed")
		h1, n1 := runPing(rt, seed, w, time.Second)
		h2, n2 := runPing(rt, seed, w, time.Second)
		if h1 != h2 || n1 != n2 {
			rt.Fatalf("seed=%d replayed to a different trace: %x/%d vs %x/%d", seed, h1, n1, h2, n2)
		}
		h3, _ := runPing(rt, seed+1, w, time.Second)
		if h3 == h1 {
			rt.Fatalf("seeds %d and %d gave the same hash %x", seed, seed+1, h1)
		}
	})
}

func genWorld(rt *rapid.T) pingWorld {
	n := rapid.IntRange(2, 8).Draw(rt, "nodes")
	w := pingWorld{nodes: n, loss: rapid.Float64Range(0, 0.2).Draw(rt, "loss")}
	for i := range n {
		w.latencyMs = append(w.latencyMs, rapid.Float64Range(0.1, 20).Draw(rt, fmt.Sprintf("latency[%d]", i)))
	}
	for i := range rapid.IntRange(0, 4).Draw(rt, "partitions") {
		side := rapid.SliceOfN(rapid.IntRange(0, 2), n, n).Draw(rt, fmt.Sprintf("cut[%d].sides", i))
		groups := make([][]int, 3)
		for node, s := range side {
			groups[s] = append(groups[s], node)
		}
		var nonEmpty [][]int
		for _, g := range groups {
			if len(g) > 0 {
				nonEmpty = append(nonEmpty, g)
			}
		}
		if len(nonEmpty) < 2 {
			continue
		}
		w.partitions = append(w.partitions, pingCut{
			at:     time.Duration(rapid.IntRange(0, 900).Draw(rt, fmt.Sprintf("cut[%d].at_ms", i))) * time.Millisecond,
			dur:    time.Duration(rapid.IntRange(1, 500).Draw(rt, fmt.Sprintf("cut[%d].for_ms", i))) * time.Millisecond,
			groups: nonEmpty,
			oneWay: rapid.Bool().Draw(rt, fmt.Sprintf("cut[%d].one_way", i)),
			refuse: rapid.Bool().Draw(rt, fmt.Sprintf("cut[%d].refuse", i)),
		})
	}
	return w
}
