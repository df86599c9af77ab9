package load

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
	"github.com/faultline-sim/faultline/sim/stat"
)

// rig is one client calling one service on a fresh kernel, with ideal
// links unless the test sets them.
type rig struct {
	t    testing.TB
	seed uint64
	k    *sim.Kernel
	net  *sim.Network
	svc  *service.Service
	c    *Client
	obs  Observer // what the client reports to; set by the test
}

func newRig(t testing.TB, seed uint64, svc service.Config, cfg Config) *rig {
	t.Helper()
	r := &rig{t: t, seed: seed, k: sim.New(seed)}
	var err error
	if r.net, err = sim.NewNetwork(r.k, sim.LinkConfig{}); err != nil {
		t.Fatal(err)
	}
	if r.svc, err = service.New(r.k, r.net, svc); err != nil {
		t.Fatalf("seed=%d: service.New: %v", seed, err)
	}
	cfg.Target = svc.Name
	node := r.net.AddNode("client")
	r.c, err = NewClient(r.k, r.net, node, "client", cfg, r.svc, func(start, end sim.Time, o results.Outcome) {
		if r.obs != nil {
			r.obs(start, end, o)
		}
	})
	if err != nil {
		t.Fatalf("seed=%d: NewClient: %v", seed, err)
	}
	return r
}

// setLinks gives every client<->instance link a constant one-way delay.
func (r *rig) setLinks(oneWay time.Duration) {
	r.t.Helper()
	lat, err := sim.NewConstant(oneWay.Seconds())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, n := range r.svc.Nodes() {
		for _, l := range [][2]sim.NodeID{{r.c.Node(), n}, {n, r.c.Node()}} {
			if err := r.net.SetLink(l[0], l[1], sim.LinkConfig{Latency: lat}); err != nil {
				r.t.Fatal(err)
			}
		}
	}
}

// replay is the line that reruns a failed test.
func replay(t testing.TB, seed uint64) string {
	return fmt.Sprintf("seed=%d (replay: go test ./models/load -count=1 -run '^%s$')", seed, t.Name())
}

func exponential(mean float64) sim.DistSpec { return sim.DistSpec{Kind: "exponential", Mean: mean} }

func constant(v float64) sim.DistSpec { return sim.DistSpec{Kind: "constant", Value: v} }

func mm1Service(name string, instances int, meanService float64) service.Config {
	return service.Config{Name: name, Instances: instances, ServiceTime: exponential(meanService)}
}

func open(rps float64) *Schedule { return &Schedule{Shape: "constant", RPS: rps} }

// latencies collects the latency of requests that started after warmup,
// in batches, and counts outcomes.
type latencies struct {
	warmup sim.Time
	w      *stat.BatchMeans
	counts [8]int64
	sum    float64 // of latencies after warmup, seconds
	n      int64
}

func newLatencies(warmup time.Duration, batch int) *latencies {
	return &latencies{warmup: sim.At(warmup), w: stat.NewBatchMeans(batch)}
}

func (l *latencies) observe(start, end sim.Time, o results.Outcome) {
	l.counts[o]++
	if start < l.warmup {
		return
	}
	s := end.Sub(start).Seconds()
	l.w.Add(s)
	l.sum += s
	l.n++
}

func (l *latencies) mean() float64 { return l.sum / float64(l.n) }

// ci returns the 99% batch-means interval of the mean latency.
func (l *latencies) ci() (mean, hw float64) { return stat.MeanCI(l.w.Means(), 0.99) }

// within fails unless got is within rel (relative) of want.
func within(t testing.TB, seed uint64, what string, got, want, rel float64) {
	t.Helper()
	if !(math.Abs(got-want) <= rel*math.Abs(want)) {
		t.Errorf("%s: %s = %.5g, want %.5g within %.1f%% (off by %.2f%%)",
			replay(t, seed), what, got, want, 100*rel, 100*(got-want)/want)
	}
}
