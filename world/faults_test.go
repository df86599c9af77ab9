package world_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
	"github.com/faultline-sim/faultline/world"
)

// The test world: a client calls service api (2 instances, round robin,
// 64 workers so nothing queues, constant 10ms service time) over links of
// a constant 5ms each way. A request's base latency is therefore exactly
// 5 + 10 + 5 = 20ms. Faults sit in [5s, 10s) of a 15s run.
const (
	seed     = 7
	base     = 20 * time.Millisecond
	rtt      = 10 * time.Millisecond
	deadline = time.Second
	fStart   = 5 * time.Second
	fEnd     = 10 * time.Second
)

func scenario(t *testing.T, faults ...scenarios.Fault) *scenarios.Scenario {
	t.Helper()
	sc := &scenarios.Scenario{
		Name: "faults", Duration: 15 * time.Second, Seeds: 1,
		Topology: scenarios.Topology{
			Services: []service.Config{{Name: "api", Instances: 2, Workers: 64, ServiceTime: sim.DistSpec{Kind: "constant", Value: 0.010}}},
			Links:    []scenarios.Link{{From: "client", To: "api", Latency: sim.DistSpec{Kind: "constant", Value: 0.005}}},
		},
		Load: []scenarios.Client{{Config: load.Config{Target: "api", Balancer: "round_robin", Timeout: deadline,
			Open: &load.Schedule{Shape: "constant", RPS: 50}}}},
		Faults: faults,
	}
	sc.SetDefaults()
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	return sc
}

// req is one request as the trace shows it.
type req struct {
	start, end time.Duration
	outcome    results.Outcome
	inst       int // instance that received it, -1 if it never arrived
}

func (r req) latency() time.Duration { return r.end - r.start }

type line struct {
	T    int64  `json:"t"`
	H    string `json:"h"`
	Kind any    `json:"kind"`
	A    int64  `json:"a"`
	B    int64  `json:"b"`
	Rec  bool   `json:"rec"`
}

// run runs sc on seed and returns the run and every request, read from the
// trace: the client's outcome record follows the reply or timeout event
// that ended the request, whose ID the instance's request event carries.
func run(t *testing.T, sc *scenarios.Scenario, s uint64) (results.Run, []req) {
	t.Helper()
	var buf bytes.Buffer
	eng := world.Engine{Trace: func(string, uint64) io.Writer { return &buf }}
	c, err := sc.Case(scenarios.BaseVariant)
	if err != nil {
		t.Fatal(err)
	}
	r, err := eng.Run(context.Background(), c, s)
	if err != nil {
		t.Fatalf("seed %d: %v", s, err)
	}
	inst := map[int64]int{}
	var last int64
	var reqs []req
	sc2 := bufio.NewScanner(&buf)
	sc2.Buffer(make([]byte, 1<<20), 1<<20)
	for sc2.Scan() {
		var l line
		if err := json.Unmarshal(sc2.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(l.H, "service/api/instance-") && l.Kind == "request":
			i, _ := strconv.Atoi(strings.TrimPrefix(l.H, "service/api/instance-"))
			inst[l.A] = i
		case l.H == "load/client" && (l.Kind == "reply" || l.Kind == "timeout"):
			last = l.A
		case l.H == "load/client" && l.Kind == "outcome" && l.Rec:
			i, ok := inst[last]
			if !ok {
				i = -1
			}
			delete(inst, last)
			end := time.Duration(l.T)
			reqs = append(reqs, req{start: end - time.Duration(l.A), end: end, outcome: results.Outcome(l.B), inst: i})
		}
	}
	if len(reqs) == 0 {
		t.Fatalf("seed %d: no requests in the trace", s)
	}
	return r, reqs
}

// inside returns the requests whose whole life lies in the fault window
// [from, to) (started at from or later, ended before to, deadline included).
func inside(reqs []req, from, to time.Duration) []req {
	var out []req
	for _, r := range reqs {
		if r.start >= from && r.start+deadline < to {
			out = append(out, r)
		}
	}
	return out
}

// outside returns the requests that ended before from or started at to or later.
func outside(reqs []req, from, to time.Duration) []req {
	var out []req
	for _, r := range reqs {
		if r.end < from || r.start >= to {
			out = append(out, r)
		}
	}
	return out
}

// expectAll checks that every request in rs, sent to inst (-2: any), ended
// with outcome o after exactly lat.
func expectAll(t *testing.T, what string, rs []req, inst int, o results.Outcome, lat time.Duration) {
	t.Helper()
	n := 0
	for _, r := range rs {
		if inst != -2 && r.inst != inst {
			continue
		}
		n++
		if r.outcome != o || r.latency() != lat {
			t.Fatalf("seed %d: %s: request at %v to instance %d: %v after %v, want %v after %v", seed, what, r.start, r.inst, r.outcome, r.latency(), o, lat)
		}
	}
	if n < 20 {
		t.Fatalf("seed %d: %s: only %d requests to check", seed, what, n)
	}
}

// checkHealthy: outside the window every request is OK in exactly 20ms.
func checkHealthy(t *testing.T, reqs []req, from, to time.Duration) {
	t.Helper()
	expectAll(t, "outside the fault", outside(reqs, from, to), -2, results.OK, base)
}

func TestLatencyFault(t *testing.T) {
	const L = 30 * time.Millisecond
	for _, tc := range []struct {
		name   string
		twoWay bool
		want   time.Duration
	}{
		{"one-way", false, base + L},  // only client->api-0 slows: 20+30
		{"two-way", true, base + 2*L}, // the reply too: 20+60
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := scenario(t, scenarios.Fault{At: fStart, For: fEnd - fStart, Type: "latency", To: "api-0", TwoWay: tc.twoWay, Latency: L})
			_, reqs := run(t, sc, seed)
			in := inside(reqs, fStart, fEnd)
			expectAll(t, "to api-0", in, 0, results.OK, tc.want)
			expectAll(t, "to api-1", in, 1, results.OK, base)
			checkHealthy(t, reqs, fStart, fEnd)
		})
	}
}

func TestLatencyFaultJitter(t *testing.T) {
	// latency 30ms ± 10ms on both directions to api-0: each message takes
	// 5ms + [20, 40]ms, so a request takes 20ms + [40, 80]ms.
	sc := scenario(t, scenarios.Fault{At: fStart, For: fEnd - fStart, Type: "latency", To: "api-0", TwoWay: true, Latency: 30 * time.Millisecond, Jitter: 10 * time.Millisecond})
	_, reqs := run(t, sc, seed)
	lo, hi := time.Hour, time.Duration(0)
	for _, r := range inside(reqs, fStart, fEnd) {
		if r.inst != 0 {
			continue
		}
		lo, hi = min(lo, r.latency()), max(hi, r.latency())
		if r.outcome != results.OK || r.latency() < base+40*time.Millisecond || r.latency() > base+80*time.Millisecond {
			t.Fatalf("seed %d: request at %v: %v after %v, want ok in [60ms, 100ms]", seed, r.start, r.outcome, r.latency())
		}
	}
	if hi-lo < 20*time.Millisecond {
		t.Fatalf("seed %d: jitter spread only %v..%v", seed, lo, hi)
	}
	checkHealthy(t, reqs, fStart, fEnd)
}

func TestLossFault(t *testing.T) {
	// Requests to api are lost with p = 0.3; a lost request times out at
	// the 1s deadline. Timeouts/requests inside the window is binomial.
	const p = 0.3
	sc := scenario(t, scenarios.Fault{At: fStart, For: fEnd - fStart, Type: "loss", To: "api", Probability: p})
	_, reqs := run(t, sc, seed)
	in := inside(reqs, fStart, fEnd)
	lost := 0
	for _, r := range in {
		switch {
		case r.outcome == results.Timeout && r.latency() == deadline:
			lost++
		case r.outcome == results.OK && r.latency() == base:
		default:
			t.Fatalf("seed %d: request at %v: %v after %v", seed, r.start, r.outcome, r.latency())
		}
	}
	n := float64(len(in))
	got, tol := float64(lost)/n, 4*math.Sqrt(p*(1-p)/n)
	if math.Abs(got-p) > tol {
		t.Fatalf("seed %d: lost %d of %.0f = %.3f, want %.2f ± %.3f", seed, lost, n, got, p, tol)
	}
	checkHealthy(t, reqs, fStart, fEnd)
}

func TestBandwidthFault(t *testing.T) {
	// client->api-0 capped at 51200 B/s: a 512-byte request takes 10ms on
	// the wire, and requests queue behind each other. Each request's
	// latency is 20ms + the wait for the link + 10ms, replayed here.
	const bw = 51200
	const ser = 10 * time.Millisecond
	sc := scenario(t, scenarios.Fault{At: fStart, For: fEnd - fStart, Type: "bandwidth", From: "client", To: "api-0", Bandwidth: bw})
	_, reqs := run(t, sc, seed)
	var busy time.Duration
	queued := 0
	var a0 []req
	for _, r := range reqs {
		if r.inst == 0 && r.start >= fStart && r.start < fEnd-100*time.Millisecond {
			a0 = append(a0, r)
		}
	}
	sortByStart(a0)
	for _, r := range a0 {
		begin := max(r.start, busy)
		busy = begin + ser
		want := base + busy - r.start
		if want > base+ser {
			queued++
		}
		if r.outcome != results.OK || r.latency() != want {
			t.Fatalf("seed %d: request at %v: %v after %v, want ok after %v", seed, r.start, r.outcome, r.latency(), want)
		}
	}
	if len(a0) < 50 || queued == 0 {
		t.Fatalf("seed %d: %d requests to api-0, %d queued on the link; want both > 0", seed, len(a0), queued)
	}
	expectAll(t, "to api-1", inside(reqs, fStart, fEnd), 1, results.OK, base)
	checkHealthy(t, reqs, fStart, fEnd+time.Second)
}

func sortByStart(rs []req) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].start < rs[j-1].start; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

func TestTimeoutFault(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		o       results.Outcome
		lat     time.Duration
	}{
		{"hold", 0, results.Timeout, deadline},                                   // never hears back: the client's deadline
		{"close", 200 * time.Millisecond, results.Error, 200 * time.Millisecond}, // the send fails 200ms later
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := scenario(t, scenarios.Fault{At: fStart, For: fEnd - fStart, Type: "timeout", To: "api-0", Timeout: tc.timeout})
			_, reqs := run(t, sc, seed)
			in := inside(reqs, fStart, fEnd)
			expectAll(t, "to api-0", in, -1, tc.o, tc.lat)
			expectAll(t, "to api-1", in, 1, results.OK, base)
			checkHealthy(t, reqs, fStart, fEnd)
		})
	}
}

func TestResetPeerFault(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		lat     time.Duration
	}{
		{"rtt", 0, rtt}, // one round trip: 5ms + 5ms
		{"after", 50 * time.Millisecond, 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := scenario(t, scenarios.Fault{At: fStart, For: fEnd - fStart, Type: "reset_peer", To: "api-0", Timeout: tc.timeout})
			_, reqs := run(t, sc, seed)
			in := inside(reqs, fStart, fEnd)
			expectAll(t, "to api-0", in, -1, results.Error, tc.lat)
			expectAll(t, "to api-1", in, 1, results.OK, base)
			checkHealthy(t, reqs, fStart, fEnd)
		})
	}
}

func TestSlowCloseHasNoEffect(t *testing.T) {
	// Documented: no effect on simulated outcomes. The kernel's trace is
	// the same event for event as the run without the fault.
	sc := scenario(t, scenarios.Fault{At: fStart, For: fEnd - fStart, Type: "slow_close", To: "api", TwoWay: true, Delay: 500 * time.Millisecond})
	r, reqs := run(t, sc, seed)
	expectAll(t, "every request", reqs, -2, results.OK, base)
	clean, _ := run(t, scenario(t), seed)
	if r.TraceHash != clean.TraceHash {
		t.Fatalf("seed %d: slow_close changed the trace: %s vs %s", seed, r.TraceHash, clean.TraceHash)
	}
}

func TestPartitionFault(t *testing.T) {
	span := fEnd - fStart
	for _, tc := range []struct {
		name string
		f    scenarios.Fault
		o    results.Outcome
		lat  time.Duration
	}{
		{"isolate-black-hole", scenarios.Fault{Isolate: "api-0"}, results.Timeout, deadline},
		{"isolate-refuse", scenarios.Fault{Isolate: "api-0", Mode: "refuse"}, results.Error, rtt},
		{"groups", scenarios.Fault{Groups: [][]string{{"client"}, {"api-0"}}}, results.Timeout, deadline},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			f.At, f.For, f.Type = fStart, span, "partition"
			_, reqs := run(t, scenario(t, f), seed)
			in := inside(reqs, fStart, fEnd)
			expectAll(t, "to api-0", in, -1, tc.o, tc.lat)
			expectAll(t, "to api-1", in, 1, results.OK, base)
			checkHealthy(t, reqs, fStart, fEnd)
		})
	}
}

func TestPartitionOneWayCutsReplies(t *testing.T) {
	// groups[0] = api-0: its replies to the client are cut, requests pass,
	// so api-0 serves every request and the client still times out.
	f := scenarios.Fault{At: fStart, For: fEnd - fStart, Type: "partition", Groups: [][]string{{"api-0"}, {"client"}}, OneWay: true}
	_, reqs := run(t, scenario(t, f), seed)
	in := inside(reqs, fStart, fEnd)
	expectAll(t, "to api-0 (served)", in, 0, results.Timeout, deadline)
	expectAll(t, "to api-1", in, 1, results.OK, base)
	checkHealthy(t, reqs, fStart, fEnd)
}

func TestCrashFault(t *testing.T) {
	// api-0 is down: each request reaches it in 5ms and the reset comes
	// back in 5ms (0 bytes): an error after 10ms. It restarts at 10s.
	f := scenarios.Fault{At: fStart, For: fEnd - fStart, Type: "crash", Target: "api-0"}
	r, reqs := run(t, scenario(t, f), seed)
	in := inside(reqs, fStart, fEnd)
	expectAll(t, "to api-0", in, 0, results.Error, rtt)
	expectAll(t, "to api-1", in, 1, results.OK, base)
	checkHealthy(t, reqs, fStart, fEnd)
	if up := r.SeriesNamed("instances_up"); up == nil || up.Values[7] != 1 || up.Values[12] != 2 {
		t.Fatalf("seed %d: instances_up %v, want 1 during and 2 after", seed, up)
	}
}

func TestPauseFault(t *testing.T) {
	// api-0 stops for 300ms from 5s: a request arriving (start+5ms) in the
	// pause starts at 5.3s, ends at 5.31s, its reply lands at 5.315s. One
	// in service at 5s owes the rest of its 10ms after 5.3s: +300ms.
	const pause = 300 * time.Millisecond
	f := scenarios.Fault{At: fStart, For: pause, Type: "pause", Target: "api-0"}
	_, reqs := run(t, scenario(t, f), seed)
	waited := 0
	for _, r := range reqs {
		if r.outcome != results.OK {
			t.Fatalf("seed %d: request at %v: %v, want none lost", seed, r.start, r.outcome)
		}
		arrive := r.start + 5*time.Millisecond
		switch {
		case r.inst == 0 && arrive >= fStart && arrive < fStart+pause:
			waited++
			if want := fStart + pause + 15*time.Millisecond - r.start; r.latency() != want {
				t.Fatalf("seed %d: request at %v: latency %v, want %v", seed, r.start, r.latency(), want)
			}
		case r.inst == 0 && arrive < fStart && arrive+10*time.Millisecond > fStart:
			if r.latency() != base+pause {
				t.Fatalf("seed %d: in service at the pause: latency %v, want %v", seed, r.latency(), base+pause)
			}
		default:
			if r.latency() != base {
				t.Fatalf("seed %d: request at %v to %d: latency %v, want %v", seed, r.start, r.inst, r.latency(), base)
			}
		}
	}
	if waited < 2 {
		t.Fatalf("seed %d: only %d requests waited out the pause", seed, waited)
	}
}

func TestPauseQueueLimit(t *testing.T) {
	// One worker, queue_limit 2, api-0 paused 2s: at 25 req/s about 50
	// requests reach it; at most 1 in service and 2 waiting are kept, every
	// other one is rejected (10ms: one round trip).
	sc := scenario(t, scenarios.Fault{At: fStart, For: 2 * time.Second, Type: "pause", Target: "api-0"})
	sc.Topology.Services[0].Workers, sc.Topology.Services[0].QueueLimit = 1, 2
	r, reqs := run(t, sc, seed)
	arrived, rejected := 0, 0
	for _, q := range reqs {
		if a := q.start + 5*time.Millisecond; q.inst == 0 && a >= fStart && a < fStart+2*time.Second {
			arrived++
			if q.outcome == results.Rejected {
				rejected++
				if q.latency() != rtt {
					t.Fatalf("seed %d: rejection after %v, want %v", seed, q.latency(), rtt)
				}
			}
		}
	}
	if arrived < 30 || rejected < arrived-2 {
		t.Fatalf("seed %d: %d arrived at paused api-0, %d rejected; want all but the 2 queued", seed, arrived, rejected)
	}
	if d, _ := r.Phase(results.During); d.Rejected != int64(rejected) {
		t.Fatalf("seed %d: during-phase rejected %d, trace %d", seed, d.Rejected, rejected)
	}
}

func TestOverlappingFaultsAddUp(t *testing.T) {
	// +30ms in [5s, 10s) and +20ms in [7s, 12s) on client->api-0.
	sc := scenario(t,
		scenarios.Fault{At: 5 * time.Second, For: 5 * time.Second, Type: "latency", To: "api-0", Latency: 30 * time.Millisecond},
		scenarios.Fault{At: 7 * time.Second, For: 5 * time.Second, Type: "latency", To: "api-0", Latency: 20 * time.Millisecond})
	_, reqs := run(t, sc, seed)
	s := time.Second
	expectAll(t, "first only", inside(reqs, 5*s, 7*s), 0, results.OK, base+30*time.Millisecond)
	expectAll(t, "both", inside(reqs, 7*s, 10*s), 0, results.OK, base+50*time.Millisecond)
	expectAll(t, "second only", inside(reqs, 10*s, 12*s), 0, results.OK, base+20*time.Millisecond)
	checkHealthy(t, reqs, 5*s, 12*s)
}

func TestFaultWindowAndDeterminism(t *testing.T) {
	s := time.Second
	sc := scenario(t,
		scenarios.Fault{At: 6 * s, For: 3 * s, Type: "latency", To: "api-0", Latency: 30 * time.Millisecond},
		scenarios.Fault{At: 3 * s, For: 1 * s, Type: "crash", Target: "api-1"})
	a, _ := run(t, sc, seed)
	b, _ := run(t, sc, seed)
	c, _ := run(t, sc, seed+1)
	if a.TraceHash != b.TraceHash || a.TraceHash == "" {
		t.Fatalf("seed %d: same seed, hashes %q and %q", seed, a.TraceHash, b.TraceHash)
	}
	if a.TraceHash == c.TraceHash {
		t.Fatalf("seeds %d and %d gave the same hash %s", seed, seed+1, a.TraceHash)
	}
	// The window runs from the first start (3s) to the last end (9s).
	want := map[results.Phase]float64{results.All: 15, results.Before: 3, results.During: 6, results.After: 6}
	var n int64
	for p, sec := range want {
		ph, ok := a.Phase(p)
		if !ok || ph.Seconds != sec {
			t.Fatalf("seed %d: phase %s lasts %v s, want %v", seed, p, ph.Seconds, sec)
		}
		if p != results.All {
			n += ph.Requests
		}
	}
	if all, _ := a.Phase(results.All); all.Requests != n {
		t.Fatalf("seed %d: phases hold %d requests, all %d", seed, n, all.Requests)
	}
}
