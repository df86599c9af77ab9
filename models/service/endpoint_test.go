package service

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	"pgregory.net/rapid"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/sim"
)

func constSpec(secs float64) sim.DistSpec { return sim.DistSpec{Kind: "constant", Value: secs} }

func weight(w float64) *float64 { return &w }

// sendEp sends request id for endpoint ep to inst.
func (c *testCaller) sendEp(inst *Instance, ep int, id int64) {
	SendRequest(c.net, c.node, c.id, inst, ep, id)
}

// TestEndpointServiceTime: each request costs its endpoint's service time
// exactly, and an endpoint without one costs the service's.
func TestEndpointServiceTime(t *testing.T) {
	cfg := constService("a", 0.020)
	cfg.Workers = 3
	cfg.Endpoints = []Endpoint{
		{Name: "fast", ServiceTime: constSpec(0.010)},
		{Name: "slow", ServiceTime: constSpec(0.030)},
		{Name: "plain"},
	}
	r := newRig(t, cfg)
	for ep := range 3 {
		r.c.sendEp(r.svc.Instance(0), ep, int64(ep))
	}
	r.k.Run()
	for ep, want := range []time.Duration{10 * time.Millisecond, 30 * time.Millisecond, 20 * time.Millisecond} {
		rep := r.c.reply(int64(ep))
		assert.Equal(t, StatusOK, rep.status, "endpoint %d", ep)
		assert.Equal(t, sim.At(want), rep.at, "endpoint %d", ep)
	}
	assert.Equal(t, 60*time.Millisecond, r.svc.BusyTime(0), "the workers were busy for the sum of the three")
}

// gatewayGraph is a gateway whose browse endpoint makes the service's
// call (catalog), checkout its own calls (payments then shipping), health
// none, and refund its own call to payments; 1 ms one-way links.
func gatewayGraph(t *testing.T, mode string) *graph {
	gw := calling(constService("gateway", 0), Call{Service: "catalog"})
	gw.Workers = 8
	gw.CallMode = mode
	gw.Endpoints = []Endpoint{
		{Name: "browse"},
		{Name: "checkout", Calls: []Call{{Service: "payments"}, {Service: "shipping"}}},
		{Name: "health", Calls: []Call{}},
		{Name: "refund", Calls: []Call{{Service: "payments", Breaker: &resilience.BreakerConfig{}}}},
	}
	payments := constService("payments", 0.007)
	payments.Workers = 2 // checkout's and refund's calls arrive together
	g := newGraph(t, 1, gw, constService("catalog", 0.005), payments, constService("shipping", 0.011))
	g.latency(t, time.Millisecond)
	return g
}

// TestEndpointCalls: each endpoint makes its own calls, or the service's,
// or none; the latencies are the sums of the work and the hops.
func TestEndpointCalls(t *testing.T) {
	g := gatewayGraph(t, Sequential)
	gw := g.svc["gateway"].Instance(0)
	for ep := range 4 {
		g.c.sendEp(gw, ep, int64(ep))
	}
	g.k.Run()
	want := []time.Duration{
		2*time.Millisecond + 5*time.Millisecond + 2*time.Millisecond,                                            // browse -> catalog
		2*time.Millisecond + 7*time.Millisecond + 2*time.Millisecond + 11*time.Millisecond + 2*time.Millisecond, // checkout -> payments, shipping
		2 * time.Millisecond, // health: no calls
		2*time.Millisecond + 7*time.Millisecond + 2*time.Millisecond, // refund -> payments
	}
	for ep, d := range want {
		rep := g.c.reply(int64(ep))
		assert.Equal(t, StatusOK, rep.status, "endpoint %d", ep)
		assert.Equal(t, sim.At(d), rep.at, "endpoint %d", ep)
	}
	for svc, n := range map[string]int64{"catalog": 1, "payments": 2, "shipping": 1} {
		assert.Equal(t, n, g.svc[svc].Stats().Served, svc)
	}
	// The calls in order: the service's (catalog), checkout's (payments,
	// shipping), refund's (payments): one dependency each, so the two
	// calls to payments keep their own counts and policies.
	refs := g.svc["gateway"].CallRefs()
	require.Len(t, refs, 4)
	for d, want := range [][2]string{{"", "catalog"}, {"checkout", "payments"}, {"checkout", "shipping"}, {"refund", "payments"}} {
		assert.Equal(t, want[0], refs[d].Endpoint, "call %d", d)
		assert.Equal(t, want[1], refs[d].Call.Service, "call %d", d)
		assert.Equal(t, int64(1), g.svc["gateway"].CallStats(d).OK, "call %d", d)
	}
	deps := gw.calls.deps
	assert.NotSame(t, deps[1], deps[3], "checkout's and refund's calls to payments are separate dependencies")
	assert.Nil(t, deps[1].breaker)
	assert.NotNil(t, deps[3].breaker, "refund's call has its own breaker")
}

// TestEndpointParallelCalls: in call_mode parallel an endpoint fans out
// to its own calls only, and answers after the slowest.
func TestEndpointParallelCalls(t *testing.T) {
	g := gatewayGraph(t, Parallel)
	g.c.sendEp(g.svc["gateway"].Instance(0), 1, 1)
	g.k.Run()
	assert.Equal(t, sim.At(2*time.Millisecond+11*time.Millisecond+2*time.Millisecond), g.c.reply(1).at)
	assert.Equal(t, int64(0), g.svc["catalog"].Stats().Received)
}

// TestCallToNamedEndpoint: a call naming the callee's endpoint gets that
// endpoint's service time, every time, sent at once or after the
// protocol's overhead (a delayed send).
func TestCallToNamedEndpoint(t *testing.T) {
	for _, overhead := range []time.Duration{0, 3 * time.Millisecond} {
		back := constService("back", 0.001)
		back.Workers = 4
		back.Endpoints = []Endpoint{{Name: "cheap"}, {Name: "dear", ServiceTime: constSpec(0.050)}}
		g := newGraph(t, 1, calling(constService("front", 0), Call{Service: "back", Endpoint: "dear", Overhead: overhead}), back)
		for id := range int64(5) {
			g.c.sendAt(time.Duration(id)*time.Second, g.svc["front"].Instance(0), id)
		}
		g.k.Run()
		for id := range int64(5) {
			assert.Equal(t, sim.At(time.Duration(id)*time.Second+overhead+50*time.Millisecond), g.c.reply(id).at, "overhead %v, request %d", overhead, id)
		}
	}
}

// TestCallEndpointByWeight: a call naming no endpoint draws the callee's
// endpoint by weight (binomially), from the caller's own stream.
func TestCallEndpointByWeight(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		w := rapid.Float64Range(0.05, 0.95).Draw(rt, "weight")
		back := constService("back", 0.001)
		back.Endpoints = []Endpoint{{Name: "one", Weight: weight(w)}, {Name: "two", Weight: weight(1 - w), ServiceTime: constSpec(0.002)}}
		g := newGraph(t, seed, calling(constService("front", 0), Call{Service: "back"}), back)
		const n = 400
		for id := range int64(n) {
			g.c.sendAt(time.Duration(id)*10*time.Millisecond, g.svc["front"].Instance(0), id)
		}
		g.k.Run()
		ones := 0
		for id := range int64(n) {
			rep := g.c.reply(id)
			switch rep.at - sim.At(time.Duration(id)*10*time.Millisecond) {
			case sim.At(time.Millisecond):
				ones++
			case sim.At(2 * time.Millisecond):
			default:
				rt.Fatalf("seed %d: request %d took %v, neither endpoint's time", seed, id, rep.at)
			}
		}
		sd := math.Sqrt(n * w * (1 - w))
		if math.Abs(float64(ones)-n*w) > 5*sd {
			rt.Fatalf("seed %d: %d of %d to endpoint one, want %.0f ± %.0f (5 sd)", seed, ones, n, n*w, 5*sd)
		}
	})
}

// TestPickEndpointBinomial: PickEndpoint's counts are binomial with the
// weights' shares; an endpoint of weight 0 is never picked.
func TestPickEndpointBinomial(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		ws := rapid.SliceOfN(rapid.Float64Range(0, 10), 2, 6).Draw(rt, "weights")
		ws[0] = max(ws[0], 0.5) // some weight
		ws[len(ws)-1] = 0
		eps := make([]Endpoint, len(ws))
		total := 0.0
		for i, w := range ws {
			eps[i] = Endpoint{Name: fmt.Sprint("e", i), Weight: weight(w)}
			total += w
		}
		r := rand.New(rand.NewPCG(seed, 1))
		const n = 5000
		counts := make([]int, len(ws))
		for range n {
			counts[PickEndpoint(eps, r)]++
		}
		for i, w := range ws {
			p := w / total
			sd := math.Sqrt(n * p * (1 - p))
			if math.Abs(float64(counts[i])-n*p) > 5*sd+1e-9 {
				rt.Fatalf("seed %d: endpoint %d (weight %v) got %d of %d, want %.0f ± %.0f", seed, i, w, counts[i], n, n*p, 5*sd)
			}
		}
	})
}

// TestRequestEndpointRoundTrip: the endpoint survives the event kind, and
// a request for endpoint 0 is the plain KindRequest.
func TestRequestEndpointRoundTrip(t *testing.T) {
	assert.Equal(t, KindRequest, requestKind(0))
	rapid.Check(t, func(rt *rapid.T) {
		ep := rapid.IntRange(0, MaxEndpoints-1).Draw(rt, "endpoint")
		id := rapid.Int64().Draw(rt, "id")
		ev := sim.Event{Kind: requestKind(ep), A: id, B: packCaller(7, 9)}
		if !IsRequest(ev.Kind) {
			rt.Fatalf("kind %#x is not a request", ev.Kind)
		}
		want := Request{ID: id, From: 7, Caller: 9, Endpoint: ep}
		if got := DecodeRequest(ev); got != want {
			rt.Fatalf("DecodeRequest = %+v, want %+v", got, want)
		}
	})
	for _, k := range []uint32{kindDone, kindReady, kindGrace, kindRestart} {
		assert.False(t, IsRequest(k), "kind %d", k)
	}
}

func TestEndpointDefaults(t *testing.T) {
	cfg := constService("a", 0.02)
	own := []Call{{Service: "b"}}
	cfg.Endpoints = []Endpoint{{Name: "x"}, {Name: "y", Weight: weight(0), ServiceTime: constSpec(0.1), Calls: own}}
	cfg.SetDefaults()
	require.NoError(t, cfg.Validate())
	x, y := cfg.Endpoints[0], cfg.Endpoints[1]
	assert.Equal(t, 1.0, *x.Weight)
	assert.Equal(t, constSpec(0.02), x.ServiceTime, "the service's service time")
	assert.Nil(t, x.Calls, "the service's calls")
	assert.Equal(t, 0.0, *y.Weight)
	assert.Equal(t, time.Second, y.Calls[0].Timeout, "an endpoint's calls take the calls' defaults")
	assert.Equal(t, time.Duration(0), own[0].Timeout, "defaults never write into the caller's config")
	assert.Equal(t, Sequential, cfg.CallMode, "an endpoint's calls make the service a caller")
}

func TestEndpointValidate(t *testing.T) {
	cases := []struct {
		name string
		eps  []Endpoint
		edit func(*Config)
		want string
	}{
		{"no name", []Endpoint{{Name: "a"}, {}}, nil, "endpoints[1].name: is required (lower-case letters, digits and dashes)"},
		{"bad name", []Endpoint{{Name: "/browse"}}, nil, `endpoints[0].name: must be lower-case letters, digits and dashes, not starting with a dash, got "/browse"`},
		{"duplicate", []Endpoint{{Name: "a"}, {Name: "a"}}, nil, `endpoints[1].name: "a" is already the name of endpoints[0]`},
		{"weight", []Endpoint{{Name: "a"}, {Name: "b", Weight: weight(-1)}}, nil, "endpoints[1].weight: must be >= 0 and finite, got -1"},
		{"infinite weight", []Endpoint{{Name: "a", Weight: weight(math.Inf(1))}}, nil, "endpoints[0].weight: must be >= 0 and finite, got +Inf"},
		{"no weight", []Endpoint{{Name: "a", Weight: weight(0)}}, nil, "endpoints: need an endpoint with a weight > 0"},
		{"service time", []Endpoint{{Name: "a", ServiceTime: sim.DistSpec{Kind: "exponential"}}}, nil, "endpoints[0].service_time.mean: must be in (0, +Inf), got 0"},
		{"call", []Endpoint{{Name: "a", Calls: []Call{{Service: "b", Timeout: -1}}}}, nil, "endpoints[0].calls[0].timeout: must be > 0, got -1ns"},
		{"self call", []Endpoint{{Name: "a"}, {Name: "b", Calls: []Call{{Service: "svc"}}}}, nil, `endpoints[1].calls[0].service: a service cannot call itself ("svc")`},
		{"quorum", []Endpoint{{Name: "a", Calls: []Call{{Service: "b"}}}}, func(c *Config) {
			c.Calls, c.CallMode, c.CallQuorum = []Call{{Service: "b"}, {Service: "c"}}, Parallel, 2
		}, "endpoints[0].calls: must list at least call_quorum (2) calls, got 1"},
		{"saga", []Endpoint{{Name: "a", Calls: []Call{{Service: "b"}}}}, func(c *Config) { c.CallMode = Saga }, "endpoints[0].calls: call_mode saga runs the service's calls only: an endpoint's own calls need another call_mode"},
		{"route", []Endpoint{{Name: "a", Calls: []Call{{Service: "b", Weight: weight(0)}}}}, func(c *Config) { c.CallMode = Route }, "endpoints[0].calls: call_mode route needs a call with a weight > 0 at some time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := constService("svc", 0.01)
			cfg.Endpoints = tc.eps
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			cfg.SetDefaults()
			err := cfg.Validate()
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
			assert.True(t, errors.Is(err, ErrConfig))
		})
	}
}

// TestCallEndpointUnknown: Connect refuses a call to an endpoint the
// callee does not have.
func TestCallEndpointUnknown(t *testing.T) {
	k := sim.New(1)
	net := newNet(t, k)
	back := constService("back", 0)
	back.Endpoints = []Endpoint{{Name: "one"}}
	svcs := map[string]*Service{}
	for _, cfg := range []Config{calling(constService("front", 0), Call{Service: "back"}), back} {
		s, err := New(k, net, cfg)
		require.NoError(t, err)
		svcs[cfg.Name] = s
	}
	front := calling(constService("front2", 0), Call{Service: "back", Endpoint: "two"})
	s, err := New(k, net, front)
	require.NoError(t, err)
	err = s.Connect(func(n string) *Service { return svcs[n] }, nil)
	assert.EqualError(t, err, `calls[0].endpoint: service "back" has no endpoint "two"`)
	assert.True(t, errors.Is(err, ErrConfig))
}

// TestEndpointsAcrossRollout: a new version without its own service time
// keeps each endpoint's; one with its own serves every endpoint with it.
func TestEndpointsAcrossRollout(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  sim.DistSpec
		wants [2]time.Duration
	}{
		{"endpoints kept", sim.DistSpec{}, [2]time.Duration{10 * time.Millisecond, 30 * time.Millisecond}},
		{"new version's time", constSpec(0.050), [2]time.Duration{50 * time.Millisecond, 50 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := constService("api", 0.010)
			cfg.Workers = 2
			cfg.Endpoints = []Endpoint{{Name: "a"}, {Name: "b", ServiceTime: constSpec(0.030)}}
			cfg.Rollout = &RolloutConfig{At: time.Second, ServiceTime: tc.spec}
			r := newRig(t, cfg)
			r.k.AtFunc(sim.At(time.Second), r.svc.StartRollout)
			r.k.AtFunc(sim.At(10*time.Second), func() {
				_, neu := r.svc.VersionCounts()
				require.Equal(t, 1, neu, "the rollout is done")
				in := r.svc.Instance(r.svc.Ready()[0])
				r.c.sendEp(in, 0, 1)
				r.c.sendEp(in, 1, 2)
			})
			r.k.Run()
			for i, want := range tc.wants {
				assert.Equal(t, sim.At(10*time.Second+want), r.c.reply(int64(i+1)).at, "endpoint %d", i)
			}
		})
	}
}

// TestEndpointSpans: a traced request's server spans name the endpoint of
// a service with endpoints, service/endpoint, down the call graph.
func TestEndpointSpans(t *testing.T) {
	g := gatewayGraph(t, Sequential)
	tr := NewTracer(10)
	for _, s := range g.svc {
		s.UseTracer(tr)
	}
	g.k.AtFunc(0, func() {
		root := tr.StartTrace("client", 0)
		tr.StartClient(root, g.c.id, 1, "client", "gateway", 1, 0)
		g.c.sendEp(g.svc["gateway"].Instance(0), 1, 1)
	})
	g.k.Run()
	var names []string
	for _, s := range tr.Spans() {
		if s.Kind == SpanServer {
			names = append(names, s.Name)
		}
	}
	assert.Equal(t, []string{"gateway/checkout", "payments", "shipping"}, names)
}

// TestEndpointYAMLRoundTrip: the service's calls (calls not written) and
// no calls ([]) stay apart through yaml.
func TestEndpointYAMLRoundTrip(t *testing.T) {
	in := []Endpoint{{Name: "inherit", ServiceTime: constSpec(0.01)}, {Name: "none", Calls: []Call{}}, {Name: "own", Weight: weight(2), Calls: []Call{{Service: "b"}}}}
	b, err := yaml.Marshal(in)
	require.NoError(t, err)
	var out []Endpoint
	require.NoError(t, yaml.Unmarshal(b, &out), "%s", b)
	require.Len(t, out, 3)
	assert.Nil(t, out[0].Calls, "%s", b)
	assert.NotNil(t, out[1].Calls, "%s", b)
	assert.Empty(t, out[1].Calls)
	assert.Equal(t, "b", out[2].Calls[0].Service)
	assert.Equal(t, 2.0, *out[2].Weight)
	assert.Equal(t, 0.01, out[0].ServiceTime.Value)
}
