package service

import (
	"fmt"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// testCaller is a test double of a client: it sends requests from its own
// node and records every reply.
type testCaller struct {
	t       *testing.T
	k       *sim.Kernel
	net     *sim.Network
	node    sim.NodeID
	id      sim.HandlerID
	replies []reply
}

type reply struct {
	id     int64
	status Status
	at     sim.Time
}

func (c *testCaller) HandleEvent(ev sim.Event) {
	if ev.Kind != KindReply {
		c.t.Fatalf("testCaller got event kind %d, want KindReply", ev.Kind)
	}
	r := DecodeReply(ev)
	c.replies = append(c.replies, reply{r.ID, r.Status, ev.At})
}

func (c *testCaller) send(inst *Instance, id int64) { SendRequest(c.net, c.node, c.id, inst, 0, id) }

// sendAt sends request id to inst at virtual time at.
func (c *testCaller) sendAt(at time.Duration, inst *Instance, id int64) {
	c.k.AtFunc(sim.At(at), func() { c.send(inst, id) })
}

// reply returns the reply to id, failing the test if there is not exactly
// one.
func (c *testCaller) reply(id int64) reply {
	c.t.Helper()
	var found []reply
	for _, r := range c.replies {
		if r.id == id {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		c.t.Fatalf("request %d: got %d replies %v, want 1", id, len(found), found)
	}
	return found[0]
}

func newNet(t *testing.T, k *sim.Kernel) *sim.Network {
	t.Helper()
	net, err := sim.NewNetwork(k, sim.LinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// rig is a service and a testCaller on one kernel.
type rig struct {
	k   *sim.Kernel
	net *sim.Network
	svc *Service
	c   *testCaller
}

func newRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	k := sim.New(1)
	net := newNet(t, k)
	svc, err := New(k, net, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c := &testCaller{t: t, k: k, net: net, node: net.AddNode("client")}
	c.id = k.Register("testCaller", c)
	return &rig{k: k, net: net, svc: svc, c: c}
}

func constService(name string, secs float64) Config {
	return Config{Name: name, ServiceTime: sim.DistSpec{Kind: "constant", Value: secs}}
}

func (r *rig) setRTT(t *testing.T, oneWay time.Duration) {
	t.Helper()
	lat, err := sim.NewConstant(oneWay.Seconds())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range r.svc.Nodes() {
		for _, l := range [][2]sim.NodeID{{r.c.node, n}, {n, r.c.node}} {
			if err := r.net.SetLink(l[0], l[1], sim.LinkConfig{Latency: lat}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestInstancesAreNamedNodesHandlersAndStreams(t *testing.T) {
	cfg := constService("checkout", 1)
	cfg.Instances = 3
	r := newRig(t, cfg)
	if r.svc.Len() != 3 || len(r.svc.Nodes()) != 3 {
		t.Fatalf("Len = %d, Nodes = %v, want 3", r.svc.Len(), r.svc.Nodes())
	}
	for i := range 3 {
		in := r.svc.Instance(i)
		if got, want := r.net.Name(in.Node()), fmt.Sprintf("checkout-%d", i); got != want {
			t.Errorf("node %d is %q, want %q", i, got, want)
		}
		want := fmt.Sprintf("service/checkout/instance-%d", i)
		if in.Name() != want || r.k.HandlerName(in.Handler()) != want {
			t.Errorf("instance %d: name %q, handler %q, want %q", i, in.Name(), r.k.HandlerName(in.Handler()), want)
		}
		if in.r != r.k.Stream(want) {
			t.Errorf("instance %d does not draw from stream %q", i, want)
		}
		if r.svc.Nodes()[i] != in.Node() {
			t.Errorf("Nodes()[%d] = %d, want %d", i, r.svc.Nodes()[i], in.Node())
		}
	}
	if r.svc.Name() != "checkout" || r.svc.Up() != 3 {
		t.Errorf("Name %q, Up %d", r.svc.Name(), r.svc.Up())
	}
}

func TestProtocolRoundTrip(t *testing.T) {
	for _, c := range []struct {
		node sim.NodeID
		h    sim.HandlerID
		id   int64
	}{{0, 2, 0}, {7, 1<<32 - 1, -1}, {1<<31 - 1, 5, 1<<62 + 3}} {
		ev := sim.Event{Kind: KindRequest, A: c.id, B: packCaller(c.node, c.h)}
		if got := DecodeRequest(ev); got != (Request{ID: c.id, From: c.node, Caller: c.h}) {
			t.Errorf("DecodeRequest(pack(%d, %d, %d)) = %+v", c.id, c.node, c.h, got)
		}
	}
	for st := StatusOK; st < numStatuses; st++ {
		tg := replyTarget(9, 42, st)
		got := DecodeReply(sim.Event{Kind: tg.Kind, A: tg.A, B: tg.B})
		if tg.H != 9 || tg.Kind != KindReply || got != (Reply{ID: 42, Status: st}) {
			t.Errorf("reply %v: target %+v decodes to %+v", st, tg, got)
		}
	}
	want := []string{"ok", "rejected", "reset", "error", "refused"}
	for i, w := range want {
		if got := Status(i).String(); got != w {
			t.Errorf("Status(%d) = %q, want %q", i, got, w)
		}
	}
	if got := Status(99).String(); got != "status(99)" {
		t.Errorf("Status(99) = %q", got)
	}
}

// TestDisciplines sends five requests at once to one worker with a
// constant service time of 1 s: FIFO serves them in order, LIFO serves the
// first (it found the worker idle) and then the newest first.
func TestDisciplines(t *testing.T) {
	for _, c := range []struct {
		discipline string
		order      []int64
	}{
		{"fifo", []int64{0, 1, 2, 3, 4}},
		{"lifo", []int64{0, 4, 3, 2, 1}},
	} {
		t.Run(c.discipline, func(t *testing.T) {
			cfg := constService("api", 1)
			cfg.Discipline = c.discipline
			r := newRig(t, cfg)
			for id := range int64(5) {
				r.c.send(r.svc.Instance(0), id)
			}
			r.k.RunUntil(sim.At(time.Second / 2))
			if q, s := r.svc.QueueDepth(), r.svc.InService(); q != 4 || s != 1 {
				t.Errorf("at 0.5s: queue %d, in service %d; want 4, 1", q, s)
			}
			r.k.Run()
			for pos, id := range c.order {
				got := r.c.reply(id)
				want := sim.At(time.Duration(pos+1) * time.Second)
				if got.status != StatusOK || got.at != want {
					t.Errorf("request %d: %v at %v, want ok at %v", id, got.status, got.at, want)
				}
			}
		})
	}
}

// TestWorkersServeInParallel: 3 workers take 3 requests at once.
func TestWorkersServeInParallel(t *testing.T) {
	cfg := constService("api", 1)
	cfg.Workers = 3
	r := newRig(t, cfg)
	for id := range int64(4) {
		r.c.send(r.svc.Instance(0), id)
	}
	r.k.Run()
	for id, want := range []time.Duration{time.Second, time.Second, time.Second, 2 * time.Second} {
		if got := r.c.reply(int64(id)); got.status != StatusOK || got.at != sim.At(want) {
			t.Errorf("request %d: %v at %v, want ok at %v", id, got.status, got.at, want)
		}
	}
	if got, want := r.svc.BusyTime(0), 4*time.Second; got != want {
		t.Errorf("BusyTime = %v, want %v", got, want)
	}
}

// TestQueueLimitRejectsAtOnce: with 1 worker and queue_limit 2, the fourth
// and fifth requests find the queue full and are rejected immediately,
// one round trip after they were sent.
func TestQueueLimitRejectsAtOnce(t *testing.T) {
	cfg := constService("api", 1)
	cfg.QueueLimit = 2
	r := newRig(t, cfg)
	r.setRTT(t, 5*time.Millisecond)
	for id := range int64(5) {
		r.c.send(r.svc.Instance(0), id)
	}
	r.k.Run()
	for id := range int64(5) {
		got := r.c.reply(id)
		want := reply{id, StatusOK, sim.At(time.Duration(id+1)*time.Second + 10*time.Millisecond)}
		if id >= 3 {
			want = reply{id, StatusRejected, sim.At(10 * time.Millisecond)}
		}
		if got != want {
			t.Errorf("request %d: got %+v, want %+v", id, got, want)
		}
	}
	if st := r.svc.Stats(); st != (InstanceStats{Received: 5, Served: 3, Rejected: 2}) {
		t.Errorf("Stats = %+v", st)
	}
}

// TestCrash: in-service and queued requests are reset over the network
// when the process dies, new requests are reset at once while it is down,
// and after Restart it serves again with an empty queue.
func TestCrash(t *testing.T) {
	r := newRig(t, constService("api", 1))
	r.setRTT(t, 5*time.Millisecond)
	in := r.svc.Instance(0)
	r.c.sendAt(0, in, 1) // in service at the crash
	r.c.sendAt(0, in, 2) // queued
	r.k.AtFunc(sim.At(500*time.Millisecond), func() { r.svc.Crash(0) })
	r.c.sendAt(time.Second, in, 3) // while down
	r.k.AtFunc(sim.At(2*time.Second), func() { r.svc.Restart(0) })
	r.c.sendAt(2*time.Second, in, 4) // arrives 5 ms after the restart
	r.k.RunUntil(sim.At(700 * time.Millisecond))
	if r.svc.Up() != 0 || in.Up() || r.svc.QueueDepth() != 0 || r.svc.InService() != 0 {
		t.Errorf("after crash: up %d, queue %d, in service %d", r.svc.Up(), r.svc.QueueDepth(), r.svc.InService())
	}
	r.k.Run()
	want := []reply{
		{1, StatusReset, sim.At(505 * time.Millisecond)},
		{2, StatusReset, sim.At(505 * time.Millisecond)},
		{3, StatusReset, sim.At(1010 * time.Millisecond)},
		{4, StatusOK, sim.At(3010 * time.Millisecond)},
	}
	for _, w := range want {
		if got := r.c.reply(w.id); got != w {
			t.Errorf("request %d: got %+v, want %+v", w.id, got, w)
		}
	}
	if got, want := in.BusyTime(), 1495*time.Millisecond; got != want {
		t.Errorf("BusyTime = %v, want %v (from the arrival at 5ms to the crash, then 1 s)", got, want)
	}
}

// TestPause: work in service resumes where it stopped, arrivals during
// the pause queue (up to the limit) and start after it, and the paused
// time is not busy time.
func TestPause(t *testing.T) {
	cfg := constService("api", 1)
	cfg.QueueLimit = 1
	r := newRig(t, cfg)
	in := r.svc.Instance(0)
	r.c.sendAt(0, in, 1) // 0.4 s done before the pause, 0.6 s after
	r.k.AtFunc(sim.At(400*time.Millisecond), func() { r.svc.Pause(0) })
	r.c.sendAt(time.Second, in, 2) // queues
	r.c.sendAt(time.Second, in, 3) // the queue is full: rejected
	r.k.AtFunc(sim.At(3*time.Second), func() { r.svc.Resume(0) })
	r.k.RunUntil(sim.At(2 * time.Second))
	if !in.Paused() || r.svc.QueueDepth() != 1 || r.svc.InService() != 1 {
		t.Errorf("during pause: paused %v, queue %d, in service %d", in.Paused(), r.svc.QueueDepth(), r.svc.InService())
	}
	if got, want := in.BusyTime(), 400*time.Millisecond; got != want {
		t.Errorf("BusyTime during the pause = %v, want %v", got, want)
	}
	r.k.Run()
	want := []reply{
		{1, StatusOK, sim.At(3600 * time.Millisecond)},
		{2, StatusOK, sim.At(4600 * time.Millisecond)},
		{3, StatusRejected, sim.At(time.Second)},
	}
	for _, w := range want {
		if got := r.c.reply(w.id); got != w {
			t.Errorf("request %d: got %+v, want %+v", w.id, got, w)
		}
	}
	if got, want := in.BusyTime(), 2*time.Second; got != want {
		t.Errorf("BusyTime = %v, want %v", got, want)
	}
}

// TestPauseWithIdleWorkerQueues: a paused process starts nothing, even
// with a worker free; a crash during a pause ends it.
func TestPauseWithIdleWorkerQueues(t *testing.T) {
	r := newRig(t, constService("api", 1))
	in := r.svc.Instance(0)
	r.svc.Pause(0)
	r.c.sendAt(0, in, 1)
	r.k.RunUntil(sim.At(time.Second))
	if r.svc.QueueDepth() != 1 || r.svc.InService() != 0 {
		t.Fatalf("paused: queue %d, in service %d; want 1, 0", r.svc.QueueDepth(), r.svc.InService())
	}
	r.svc.Crash(0)
	r.svc.Resume(0) // not paused any more: no effect
	r.svc.Restart(0)
	r.k.Run()
	if got := r.c.reply(1); got.status != StatusReset || got.at != sim.At(time.Second) {
		t.Errorf("request 1: %+v, want reset at 1s", got)
	}
	if in.Paused() || !in.Up() {
		t.Errorf("after restart: paused %v, up %v", in.Paused(), in.Up())
	}
}

// TestNetworkShapesReplies: replies cross the network, so a Refuse cut
// placed while a request is in service turns its reply into
// StatusRefused one round trip after the instance answered (it arrived at
// 10 ms, answered at 1.01 s), and a black hole swallows it.
func TestNetworkShapesReplies(t *testing.T) {
	for _, c := range []struct {
		mode sim.CutMode
		want []reply
	}{
		{sim.Refuse, []reply{{1, StatusRefused, sim.At(1030 * time.Millisecond)}, {2, StatusRefused, sim.At(1520 * time.Millisecond)}}},
		{sim.BlackHole, nil},
	} {
		t.Run(c.mode.String(), func(t *testing.T) {
			r := newRig(t, constService("api", 1))
			r.setRTT(t, 10*time.Millisecond)
			in := r.svc.Instance(0)
			r.c.sendAt(0, in, 1)
			r.k.AtFunc(sim.At(500*time.Millisecond), func() {
				node := in.Node()
				if _, err := r.net.Cut(sim.Partition{Isolate: &node, Mode: c.mode}); err != nil {
					t.Error(err)
				}
			})
			r.c.sendAt(1500*time.Millisecond, in, 2)
			r.k.Run()
			if fmt.Sprint(r.c.replies) != fmt.Sprint(c.want) {
				t.Errorf("replies %+v, want %+v", r.c.replies, c.want)
			}
		})
	}
}
