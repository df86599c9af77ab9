package station

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/faultline-sim/faultline/sim"
	"github.com/faultline-sim/faultline/sim/stat"
)

// The ground-truth tests run a station long enough that a 99% batch-means
// confidence interval is narrower than 2% of the closed-form value, then
// require the interval to contain that value. Each uses one fixed seed,
// printed with a replay command in every failure message.
const (
	ciLevel     = 0.99
	maxRelHalfW = 0.02
)

// run is one simulation of one station, after its warm-up was discarded.
type run struct {
	t      *testing.T
	seed   uint64
	replay string // the command that replays this test
	stats  Stats
}

// simulate runs a station with cfg until warmup customers have completed,
// discards what it measured, then runs batches·batchSize more customers.
func simulate(t *testing.T, seed uint64, cfg Config, warmup int64, batches int) run {
	t.Helper()
	k := sim.New(seed)
	s, err := New(k, "station", cfg)
	if err != nil {
		t.Fatalf("seed=%d: New: %v", seed, err)
	}
	k.RunWhile(func() bool { return s.Completed() < warmup })
	s.ResetStats()
	n := int64(batches) * int64(s.cfg.BatchSize)
	k.RunWhile(func() bool { return s.Completed() < n })
	r := run{t: t, seed: seed, stats: s.Stats()}
	r.replay = fmt.Sprintf("seed=%d: go test ./sim/station -count=1 -run '^%s$'", seed, t.Name())
	t.Logf("seed=%d: %d customers after %d warm-up, %d batches of %d; %d arrivals, %d blocked, λ=%.4f/s, λ_eff=%.4f/s",
		seed, r.stats.Completed, warmup, batches, s.cfg.BatchSize, r.stats.Arrivals, r.stats.Blocked,
		r.stats.ArrivalRate, r.stats.Throughput)
	t.Logf("%-10s %12s %12s %12s %9s", "measure", "formula", "measured", "±99% CI", "CI/value")
	return r
}

// expect checks that the batch means' confidence interval contains want and
// is narrower than maxRelHalfW of it, and logs the row of the table.
func (r run) expect(name string, batchMeans []float64, want float64) {
	r.t.Helper()
	mean, hw := stat.MeanCI(batchMeans, ciLevel)
	r.t.Logf("%-10s %12.6f %12.6f %12.6f %8.2f%%", name, want, mean, hw, 100*hw/want)
	if !(math.Abs(mean-want) <= hw) {
		r.t.Errorf("%s: %s = %.6f ± %.6f (99%% CI over %d batches) does not contain the formula's %.6f",
			r.replay, name, mean, hw, len(batchMeans), want)
	}
	if !(hw < maxRelHalfW*want) {
		r.t.Errorf("%s: %s half-width %.6f is %.2f%% of %.6f, want under %.0f%%: run more customers",
			r.replay, name, hw, 100*hw/want, want, 100*maxRelHalfW)
	}
}

// expectLittle checks Little's law L = λ_eff·W: the two estimates must
// differ by less than the sum of their half-widths.
func (r run) expectLittle() {
	r.t.Helper()
	st := r.stats
	l, hwL := stat.MeanCI(st.L, ciLevel)
	w, hwW := stat.MeanCI(st.W, ciLevel)
	lw, hwLW := st.Throughput*w, st.Throughput*hwW
	r.t.Logf("%-10s %12.6f %12.6f %12.6f %8.2f%%  (λ_eff·W vs L)", "Little", lw, l, hwL, 100*hwL/l)
	if !(math.Abs(l-lw) <= hwL+hwLW) {
		r.t.Errorf("%s: Little's law: L = %.6f ± %.6f but λ_eff·W = %.6f·%.6f = %.6f ± %.6f",
			r.replay, l, hwL, st.Throughput, w, lw, hwLW)
	}
}

func exponential(t *testing.T, mean float64) sim.Dist {
	t.Helper()
	d, err := sim.NewExponential(mean)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func constant(t *testing.T, v float64) sim.Dist {
	t.Helper()
	d, err := sim.NewConstant(v)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// erlangC is the probability that an arrival waits in M/M/c with offered
// load a = λ/μ < c, from its defining formula:
//
//	C = (a^c/c!)·c/(c-a) / (Σ_{k<c} a^k/k! + (a^c/c!)·c/(c-a))
func erlangC(c int, a float64) float64 {
	var sum, term float64 = 0, 1 // term = a^k/k!
	for k := range c {
		sum += term
		term *= a / float64(k+1)
	}
	tail := term * float64(c) / (float64(c) - a)
	return tail / (sum + tail)
}

// erlangB is the blocking probability of M/M/c/c with offered load a, by
// the recursion B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)).
func erlangB(c int, a float64) float64 {
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// mm1kBlocking is the blocking probability of M/M/1/K with ρ = λ/μ ≠ 1.
func mm1kBlocking(rho float64, k int) float64 {
	return (1 - rho) * math.Pow(rho, float64(k)) / (1 - math.Pow(rho, float64(k+1)))
}

func TestFormulasMatchPublishedValues(t *testing.T) {
	cases := []struct {
		name      string
		got, want float64
	}{
		{"M/M/2 Wq, λ=1.6 μ=1", erlangC(2, 1.6) / (2 - 1.6), 1.7778},
		{"M/M/10 Wq, λ=8 μ=1", erlangC(10, 8) / (10 - 8), 0.2046},
		{"M/M/1/10 blocking, ρ=0.9", mm1kBlocking(0.9, 10), 0.050814},
		{"Erlang B c=5 A=3", erlangB(5, 3), 0.110054},
		{"Erlang C c=1 is ρ", erlangC(1, 0.8), 0.8},
	}
	for _, c := range cases {
		if tol := 0.5 * math.Pow(10, -decimals(c.want)); math.Abs(c.got-c.want) > tol {
			t.Errorf("%s = %.7f, want %g", c.name, c.got, c.want)
		}
	}
}

// decimals is the number of digits after the point in v's shortest form.
func decimals(v float64) float64 {
	s := fmt.Sprint(v)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return float64(len(s) - i - 1)
	}
	return 0
}

func TestMM1(t *testing.T) {
	t.Parallel()
	const lambda, mu = 0.8, 1.0
	r := simulate(t, 1, Config{
		Interarrival: exponential(t, 1/lambda),
		Service:      exponential(t, 1/mu),
		BatchSize:    300_000,
	}, 100_000, 40)
	rho := lambda / mu
	r.expect("W", r.stats.W, 1/(mu-lambda))
	r.expect("Wq", r.stats.Wq, rho/(mu-lambda))
	r.expect("L", r.stats.L, rho/(1-rho))
	r.expect("Lq", r.stats.Lq, rho*rho/(1-rho))
	r.expect("W p99", r.stats.P99, math.Log(100)/(mu-lambda))
	r.expectLittle()
}

func TestMMcErlangC(t *testing.T) {
	t.Parallel()
	cases := []struct {
		servers     int
		lambda      float64
		batchSize   int
		publishedWq float64
	}{
		{2, 1.6, 300_000, 1.7778},
		{10, 8, 500_000, 0.2046},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("c=%d", c.servers), func(t *testing.T) {
			t.Parallel()
			r := simulate(t, 1, Config{
				Servers:      c.servers,
				Interarrival: exponential(t, 1/c.lambda),
				Service:      exponential(t, 1),
				BatchSize:    c.batchSize,
			}, 100_000, 40)
			r.expect("Wq", r.stats.Wq, erlangC(c.servers, c.lambda)/(float64(c.servers)-c.lambda))
			r.expectLittle()
		})
	}
}

func TestMD1PollaczekKhinchine(t *testing.T) {
	t.Parallel()
	const lambda, service = 0.8, 1.0
	r := simulate(t, 1, Config{
		Interarrival: exponential(t, 1/lambda),
		Service:      constant(t, service),
		BatchSize:    100_000,
	}, 100_000, 40)
	rho := lambda * service
	// Pollaczek-Khinchine: Wq = λ·E[S²] / (2(1-ρ)), with E[S²] = 1.
	r.expect("Wq", r.stats.Wq, lambda*service*service/(2*(1-rho)))
	r.expectLittle()
}

func TestMM1KBlocking(t *testing.T) {
	t.Parallel()
	const lambda, mu, capacity = 0.9, 1.0, 10
	r := simulate(t, 1, Config{
		Capacity:     capacity,
		Interarrival: exponential(t, 1/lambda),
		Service:      exponential(t, 1/mu),
		BatchSize:    125_000,
	}, 100_000, 40)
	r.expect("P(block)", r.stats.Blocking, mm1kBlocking(lambda/mu, capacity))
	r.expectLittle()
}

func TestErlangBLoss(t *testing.T) {
	t.Parallel()
	const servers, load = 5, 3.0
	r := simulate(t, 1, Config{
		Servers:      servers,
		Capacity:     servers,
		Interarrival: exponential(t, 1/load),
		Service:      exponential(t, 1),
		BatchSize:    50_000,
	}, 100_000, 40)
	r.expect("P(block)", r.stats.Blocking, erlangB(servers, load))
	r.expectLittle()
}

func TestValidate(t *testing.T) {
	exp, zero, neg := exponential(t, 1), constant(t, 0), constant(t, -1)
	cases := []struct {
		name string
		cfg  Config
		want string // "" means valid
	}{
		{"minimal", Config{Interarrival: exp, Service: exp}, ""},
		{"zero service time", Config{Interarrival: exp, Service: zero}, ""},
		{"capacity equal to servers", Config{Servers: 3, Capacity: 3, Interarrival: exp, Service: exp}, ""},
		{"capacity 1 with default servers", Config{Capacity: 1, Interarrival: exp, Service: exp}, ""},
		{"negative servers", Config{Servers: -1, Interarrival: exp, Service: exp},
			"station: servers must be 0 (meaning 1) or >= 1, got -1"},
		{"capacity below servers", Config{Servers: 2, Capacity: 1, Interarrival: exp, Service: exp},
			"station: capacity must be 0 (unlimited) or >= servers (2), got 1"},
		{"negative capacity", Config{Capacity: -1, Interarrival: exp, Service: exp},
			"station: capacity must be 0 (unlimited) or >= servers (1), got -1"},
		{"negative batch size", Config{BatchSize: -5, Interarrival: exp, Service: exp},
			"station: batch size must be 0 (meaning 10000) or >= 1, got -5"},
		{"no interarrival", Config{Service: exp},
			"station: interarrival is required, got nil"},
		{"zero interarrival", Config{Interarrival: zero, Service: exp},
			"station: interarrival must have a mean in (0, +Inf], got constant(value=0)"},
		{"no service", Config{Interarrival: exp},
			"station: service is required, got nil"},
		{"negative service", Config{Interarrival: exp, Service: neg},
			"station: service must have a mean in [0, +Inf], got constant(value=-1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != c.want {
				t.Fatalf("Validate() = %v, want %q", err, c.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("errors.Is(%v, ErrConfig) = false", err)
			}
			if _, err := New(sim.New(1), "s", c.cfg); err == nil || err.Error() != c.want {
				t.Errorf("New: error %v, want %q", err, c.want)
			}
		})
	}
}

// TestDeterministicSchedules checks exact outcomes where nothing is random:
// with BatchSize 1 each batch mean is one customer's value.
func TestDeterministicSchedules(t *testing.T) {
	t.Run("D/D/1 underloaded: no waiting", func(t *testing.T) {
		st := runConstant(t, Config{Interarrival: constant(t, 1), Service: constant(t, 0.5), BatchSize: 1}, 20)
		for i := range st.W {
			if st.W[i] != 0.5 || st.Wq[i] != 0 {
				t.Fatalf("customer %d: W = %g, Wq = %g, want 0.5 and 0", i, st.W[i], st.Wq[i])
			}
		}
	})
	t.Run("D/D/1 overloaded: FIFO, the n-th customer waits n-1", func(t *testing.T) {
		// Arrivals at 1, 2, 3, ...; services start at 1, 3, 5, ...
		st := runConstant(t, Config{Interarrival: constant(t, 1), Service: constant(t, 2), BatchSize: 1}, 50)
		for i := range st.Wq {
			if st.Wq[i] != float64(i) || st.W[i] != float64(i)+2 {
				t.Fatalf("customer %d: Wq = %g, W = %g, want %d and %d", i, st.Wq[i], st.W[i], i, i+2)
			}
		}
	})
	t.Run("D/D/2/2: every third arrival finds both servers busy", func(t *testing.T) {
		// Arrivals at 1, 2, 3, ...; each holds a server for 2.5, so the
		// arrival at 3k finds both busy and is lost.
		st := runConstant(t, Config{Servers: 2, Capacity: 2, Interarrival: constant(t, 1),
			Service: constant(t, 2.5), BatchSize: 1}, 20)
		if st.Blocked != st.Arrivals/3 || st.Blocked == 0 {
			t.Fatalf("%d arrivals, %d blocked: want a third blocked", st.Arrivals, st.Blocked)
		}
		for i, b := range st.Blocking {
			if want := float64(btoi((i+1)%3 == 0)); b != want {
				t.Fatalf("arrival %d: blocked = %g, want %g", i+1, b, want)
			}
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// runConstant runs a station from time 0, without warm-up, until n
// customers have completed.
func runConstant(t *testing.T, cfg Config, n int64) Stats {
	t.Helper()
	k := sim.New(1)
	s, err := New(k, "station", cfg)
	if err != nil {
		t.Fatal(err)
	}
	k.RunWhile(func() bool { return s.Completed() < n })
	return s.Stats()
}

// TestSameSeedSameRun checks replayability: the trace hash, which covers
// every event and every completed customer's response time, depends only on
// the seed.
func TestSameSeedSameRun(t *testing.T) {
	const seed = 7
	hash := func(seed uint64) (uint64, Stats) {
		k := sim.New(seed)
		s, err := New(k, "station", Config{Servers: 2, Capacity: 5,
			Interarrival: exponential(t, 0.5), Service: exponential(t, 0.9), BatchSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		k.RunWhile(func() bool { return s.Completed() < 10_000 })
		return k.Hash(), s.Stats()
	}
	h1, st1 := hash(seed)
	h2, st2 := hash(seed)
	h3, _ := hash(seed + 1)
	if h1 != h2 || st1.Blocked != st2.Blocked || st1.Elapsed != st2.Elapsed {
		t.Errorf("seed=%d: two runs differ: hash %x vs %x; replay: go test ./sim/station -run TestSameSeedSameRun", seed, h1, h2)
	}
	if h1 == h3 {
		t.Errorf("seeds %d and %d gave the same hash %x; replay: go test ./sim/station -run TestSameSeedSameRun", seed, seed+1, h1)
	}
}

func TestSteadyStateDoesNotAllocate(t *testing.T) {
	const seed = 1
	k := sim.New(seed)
	s, err := New(k, "station", Config{Interarrival: exponential(t, 1.25), Service: exponential(t, 1)})
	if err != nil {
		t.Fatal(err)
	}
	k.RunWhile(func() bool { return s.Completed() < 100_000 })
	if n := testing.AllocsPerRun(100_000, func() { k.Step() }); n != 0 {
		t.Errorf("seed=%d: %g allocations per event in steady state, want 0; replay: go test ./sim/station -run TestSteadyStateDoesNotAllocate", seed, n)
	}
}

func TestTimeRingIsFIFOAcrossGrowth(t *testing.T) {
	q := newTimeRing(2)
	var next, want sim.Time
	// Interleave pushes and pops so the head wraps before each growth.
	for round := range 6 {
		for range 3 + round {
			q.push(next)
			next++
		}
		for range 2 {
			if got := q.pop(); got != want {
				t.Fatalf("round %d: pop() = %d, want %d", round, got, want)
			}
			want++
		}
	}
	for q.len() > 0 {
		if got := q.pop(); got != want {
			t.Fatalf("draining: pop() = %d, want %d", got, want)
		}
		want++
	}
	if want != next {
		t.Fatalf("popped %d times, pushed %d", want, next)
	}
}

// BenchmarkStationMM1 runs one M/M/1 station (ρ = 0.8) with full
// statistics; one op is one completed customer (two events).
func BenchmarkStationMM1(b *testing.B) {
	k := sim.New(1)
	ia, _ := sim.NewExponential(1.25)
	svc, _ := sim.NewExponential(1)
	s, err := New(k, "station", Config{Interarrival: ia, Service: svc})
	if err != nil {
		b.Fatal(err)
	}
	var target int64 = 100_000 // warm up: grow the queue, heap and series
	done := func() bool { return s.Completed() < target }
	k.RunWhile(done)
	events := k.Dispatched()
	b.ReportAllocs()
	b.ResetTimer()
	target = s.Completed() + int64(b.N)
	k.RunWhile(done)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "customers/s")
	b.ReportMetric(float64(k.Dispatched()-events)/b.Elapsed().Seconds(), "events/s")
}
