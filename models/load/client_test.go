package load

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// outcome is one observed request.
type outcome struct {
	start, end sim.Time
	o          results.Outcome
}

func (o outcome) latency() time.Duration { return o.end.Sub(o.start) }

// record makes the rig keep every outcome.
func (r *rig) record() *[]outcome {
	var out []outcome
	r.obs = func(start, end sim.Time, o results.Outcome) { out = append(out, outcome{start, end, o}) }
	return &out
}

// countingBalancer is round robin that checks the Pick/Done contract.
type countingBalancer struct {
	n           int
	next        int
	picks, done []int
}

func (b *countingBalancer) Pick(ready []int) int {
	i := ready[b.next%len(ready)]
	b.next = (b.next + 1) % b.n
	b.picks[i]++
	return i
}

func (b *countingBalancer) Done(i int) {
	b.done[i]++
	if b.done[i] > b.picks[i] {
		panic("Done called more often than Pick")
	}
}

// TestTimeouts: every request to a service that takes 2 s, with a 1 s
// timeout, times out with a latency of exactly 1 s; the replies that come
// a second later (to slots since reused) are ignored, and the balancer
// hears Done exactly once per request.
func TestTimeouts(t *testing.T) {
	const seed = 6
	svc := service.Config{Name: "slow", Instances: 3, Workers: 100, ServiceTime: constant(2)}
	r := newRig(t, seed, svc, Config{Timeout: time.Second, Open: open(20)})
	b := &countingBalancer{n: 3, picks: make([]int, 3), done: make([]int, 3)}
	r.c.UseBalancer(b)
	out := r.record()
	r.c.Start(sim.At(100 * time.Second))
	r.k.Run()
	sent := r.c.Sent()
	if sent < 1800 || int64(len(*out)) != sent {
		t.Fatalf("%s: %d sent, %d outcomes", replay(t, seed), sent, len(*out))
	}
	for _, o := range *out {
		if o.o != results.Timeout || o.latency() != time.Second {
			t.Fatalf("%s: outcome %v after %v, want timeout after exactly 1s", replay(t, seed), o.o, o.latency())
		}
	}
	if !slices.Equal(b.picks, b.done) {
		t.Errorf("%s: picks %v, Done calls %v: want one Done per Pick", replay(t, seed), b.picks, b.done)
	}
	if st := r.svc.Stats(); st.Served != sent || r.c.Count(results.Timeout) != sent || r.c.Outstanding() != 0 {
		t.Errorf("%s: service served %d (every late reply), client counted %d timeouts of %d, %d outstanding",
			replay(t, seed), st.Served, r.c.Count(results.Timeout), sent, r.c.Outstanding())
	}
}

// TestCrashAndRestart: while the only instance is down, each request is
// answered with a reset one round trip (10 ms) after it was sent; requests
// in service at the crash fail too; after the restart all succeed.
func TestCrashAndRestart(t *testing.T) {
	const seed = 7
	r := newRig(t, seed, service.Config{Name: "api", ServiceTime: constant(0.02)}, Config{Open: open(10)})
	r.setLinks(5 * time.Millisecond)
	out := r.record()
	r.k.AtFunc(sim.At(10*time.Second), func() { r.svc.Crash(0) })
	r.k.AtFunc(sim.At(20*time.Second), func() { r.svc.Restart(0) })
	r.c.Start(sim.At(30 * time.Second))
	r.k.Run()
	var during, after int
	for _, o := range *out {
		switch {
		case o.start > sim.At(10*time.Second) && o.start.Add(5*time.Millisecond) < sim.At(20*time.Second):
			during++
			if o.o != results.Error || o.latency() != 10*time.Millisecond {
				t.Errorf("%s: request at %v while down: %v after %v, want error after 10ms", replay(t, seed), o.start, o.o, o.latency())
			}
		case o.start >= sim.At(20*time.Second):
			after++
			if o.o != results.OK {
				t.Errorf("%s: request at %v after the restart: %v", replay(t, seed), o.start, o.o)
			}
		case o.start < sim.At(10*time.Second) && o.end > sim.At(10*time.Second):
			if o.o != results.Error || o.end != sim.At(10*time.Second+5*time.Millisecond) {
				t.Errorf("%s: request at %v in service at the crash: %v at %v, want error at 10.005s", replay(t, seed), o.start, o.o, o.end)
			}
		}
	}
	if during < 50 || after < 50 || int64(len(*out)) != r.c.Sent() {
		t.Errorf("%s: %d requests while down, %d after, %d outcomes of %d sent", replay(t, seed), during, after, len(*out), r.c.Sent())
	}
}

// TestPauseDelaysWithoutLoss: requests that arrive during a 2 s pause wait
// for it to end, so their latency is the pause's remaining time plus their
// turn in the queue; none is lost.
func TestPauseDelaysWithoutLoss(t *testing.T) {
	const seed = 8
	const service1 = 10 * time.Millisecond
	r := newRig(t, seed, service.Config{Name: "api", ServiceTime: constant(service1.Seconds())},
		Config{Timeout: 10 * time.Second, Open: open(10)})
	out := r.record()
	pauseStart, pauseEnd := sim.At(10*time.Second), sim.At(12*time.Second)
	r.k.AtFunc(pauseStart, func() { r.svc.Pause(0) })
	r.k.AtFunc(pauseEnd, func() { r.svc.Resume(0) })
	r.c.Start(sim.At(30 * time.Second))
	r.k.Run()
	queued := 0
	for _, o := range *out {
		if o.o != results.OK {
			t.Errorf("%s: request at %v: %v, want ok", replay(t, seed), o.start, o.o)
		}
		if o.start < pauseStart || o.start >= pauseEnd {
			continue
		}
		queued++
		remaining := pauseEnd.Sub(o.start)
		// Behind it at most every request of the pause, plus one in
		// service when the pause began.
		if extra := o.latency() - remaining; extra < service1 || extra > time.Duration(queued+1)*service1 {
			t.Errorf("%s: request at %v: latency %v, pause remaining %v, queue position %d", replay(t, seed), o.start, o.latency(), remaining, queued)
		}
	}
	if queued < 10 || int64(len(*out)) != r.c.Sent() || r.c.Count(results.OK) != r.c.Sent() {
		t.Errorf("%s: %d requests during the pause; %d outcomes, %d ok of %d sent", replay(t, seed), queued, len(*out), r.c.Count(results.OK), r.c.Sent())
	}
}

// TestPartitions: a partition in Refuse mode between the client and the
// instance fails each request after one round trip (an error), one in
// BlackHole mode leaves it unanswered (a timeout at the deadline).
func TestPartitions(t *testing.T) {
	for _, c := range []struct {
		mode    sim.CutMode
		want    results.Outcome
		latency time.Duration
	}{
		{sim.Refuse, results.Error, 10 * time.Millisecond},
		{sim.BlackHole, results.Timeout, time.Second},
	} {
		t.Run(c.mode.String(), func(t *testing.T) {
			const seed = 9
			r := newRig(t, seed, service.Config{Name: "api", ServiceTime: constant(0.02)}, Config{Open: open(10)})
			r.setLinks(5 * time.Millisecond)
			out := r.record()
			p := sim.Partition{Groups: [][]sim.NodeID{{r.c.Node()}, r.svc.Nodes()}, Mode: c.mode}
			if err := r.net.ScheduleCut(sim.At(10*time.Second), 10*time.Second, p); err != nil {
				t.Fatal(err)
			}
			r.c.Start(sim.At(30 * time.Second))
			r.k.Run()
			cut := 0
			for _, o := range *out {
				switch {
				case o.start >= sim.At(10*time.Second) && o.start < sim.At(20*time.Second):
					cut++
					if o.o != c.want || o.latency() != c.latency {
						t.Errorf("%s: request at %v during the cut: %v after %v, want %v after %v",
							replay(t, seed), o.start, o.o, o.latency(), c.want, c.latency)
					}
				case o.start >= sim.At(20*time.Second) && o.o != results.OK:
					t.Errorf("%s: request at %v after the heal: %v", replay(t, seed), o.start, o.o)
				}
			}
			if cut < 50 || int64(len(*out)) != r.c.Sent() {
				t.Errorf("%s: %d requests during the cut, %d outcomes of %d sent", replay(t, seed), cut, len(*out), r.c.Sent())
			}
		})
	}
}

// determinismRun exercises most paths: p2c over three instances with
// lognormal service, jittered links, a pause, a crash and a closed loop
// beside the open one; it returns the kernel's hash and the outcomes.
func determinismRun(t *testing.T, seed uint64) (uint64, [8]int64) {
	svc := service.Config{Name: "api", Instances: 3, Workers: 2, QueueLimit: 5,
		ServiceTime: sim.DistSpec{Kind: "lognormal", Mean: 0.05, Stddev: 0.05}}
	r := newRig(t, seed, svc, Config{Balancer: "p2c", Timeout: 300 * time.Millisecond,
		Open: &Schedule{Shape: "diurnal", RPS: 60, Period: 20 * time.Second, Amplitude: 0.5}})
	lat, _ := sim.NewExponential(0.002)
	for _, n := range r.svc.Nodes() {
		_ = r.net.SetLink(r.c.Node(), n, sim.LinkConfig{Latency: lat, Jitter: time.Millisecond})
		_ = r.net.SetLink(n, r.c.Node(), sim.LinkConfig{Latency: lat, Loss: 0.01})
	}
	users, err := NewClient(r.k, r.net, r.net.AddNode("users"), "users",
		Config{Target: "api", Balancer: "least_outstanding", Closed: &Closed{Users: 5}}, r.svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	var counts [8]int64
	r.obs = func(_, _ sim.Time, o results.Outcome) { counts[o]++ }
	r.k.AtFunc(sim.At(10*time.Second), func() { r.svc.Pause(1) })
	r.k.AtFunc(sim.At(12*time.Second), func() { r.svc.Resume(1) })
	r.k.AtFunc(sim.At(20*time.Second), func() { r.svc.Crash(2) })
	r.k.AtFunc(sim.At(25*time.Second), func() { r.svc.Restart(2) })
	r.c.Start(sim.At(40 * time.Second))
	users.Start(sim.At(40 * time.Second))
	r.k.Run()
	return r.k.Hash(), counts
}

func TestDeterminism(t *testing.T) {
	h1, c1 := determinismRun(t, 11)
	h2, c2 := determinismRun(t, 11)
	h3, _ := determinismRun(t, 12)
	t.Logf("seed=11: hash %016x, outcomes %v", h1, c1)
	if h1 != h2 || c1 != c2 {
		t.Errorf("seed=11 twice: hashes %016x, %016x; outcomes %v, %v", h1, h2, c1, c2)
	}
	if h1 == h3 {
		t.Errorf("seeds 11 and 12 give the same hash %016x", h1)
	}
	for _, o := range []results.Outcome{results.OK, results.Error, results.Timeout, results.Rejected} {
		if c1[o] == 0 {
			t.Errorf("seed=11: no %v outcome: the run does not exercise every path (%v)", o, c1)
		}
	}
}

// TestNoAllocationsPerRequest runs a client and a service in steady state
// (after a warm-up long enough for every buffer to reach its working size)
// and counts allocations over further simulated minutes.
func TestNoAllocationsPerRequest(t *testing.T) {
	const seed = 13
	for _, policy := range balance.Policies() {
		svc := mm1Service("api", 2, 1)
		svc.QueueLimit = 20
		r := newRig(t, seed, svc, Config{Balancer: policy, Timeout: 5 * time.Second, Open: open(1.6)})
		var n int64
		r.obs = func(_, _ sim.Time, _ results.Outcome) { n++ }
		r.c.Start(sim.MaxTime)
		r.k.RunUntil(sim.At(50_000 * time.Second))
		before := n
		allocs := testing.AllocsPerRun(10, func() { r.k.RunUntil(r.k.Now().Add(1000 * time.Second)) })
		t.Logf("seed=%d %s: %.1f allocations per 1000 s (%d requests)", seed, policy, allocs, (n-before)/11)
		if allocs != 0 {
			t.Errorf("%s: %s: %.1f allocations per 1000 simulated seconds, want 0", replay(t, seed), policy, allocs)
		}
	}
}

// TestStaleRepliesAreIgnored: a reply or a deadline whose ID names a
// request that has ended, sent to the slot's next request, changes nothing.
func TestStaleRepliesAreIgnored(t *testing.T) {
	r := newRig(t, 1, service.Config{Name: "api", ServiceTime: constant(1)}, Config{Timeout: 10 * time.Second, Open: open(1)})
	slot := r.c.reqs.Alloc()
	stale := int64(r.c.reqs.Handle(slot))
	r.c.reqs.Free(slot)
	r.c.send(-1)
	if r.c.reqs.Live() != 1 || r.c.reqs.Len() != 1 {
		t.Fatalf("the request did not reuse the freed slot: %d live of %d", r.c.reqs.Live(), r.c.reqs.Len())
	}
	r.c.HandleEvent(sim.Event{At: r.k.Now(), Kind: service.KindReply, A: stale, B: int64(service.StatusOK)})
	r.c.HandleEvent(sim.Event{At: r.k.Now(), Kind: kindTimeout, A: stale})
	r.c.HandleEvent(sim.Event{At: r.k.Now(), Kind: service.KindReply, A: math.MaxInt64, B: int64(service.StatusOK)})
	if r.c.Outstanding() != 1 || r.c.Count(results.OK) != 0 || r.c.Count(results.Timeout) != 0 {
		t.Errorf("stale answers ended the slot's new request: %d outstanding, %d ok, %d timeouts",
			r.c.Outstanding(), r.c.Count(results.OK), r.c.Count(results.Timeout))
	}
	r.k.Run()
	if r.c.Count(results.OK) != 1 || r.c.Outstanding() != 0 {
		t.Errorf("the request itself: %d ok, %d outstanding; want 1 and 0", r.c.Count(results.OK), r.c.Outstanding())
	}
}
