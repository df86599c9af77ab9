package load

import (
	"math"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// The queueing tests check the client and the service together against
// closed forms, on ideal links (zero delay), with a timeout long enough
// never to fire. Each uses a fixed seed, printed with a replay command in
// every failure.

const longTimeout = time.Hour

// runOpen runs an open-loop Poisson client at rate lambda for n expected
// requests and returns the latencies of those that started after 1% of
// the run.
func runOpen(t *testing.T, seed uint64, svc service.Config, balancer string, lambda float64, n int) (*rig, *latencies) {
	t.Helper()
	r := newRig(t, seed, svc, Config{Balancer: balancer, Timeout: longTimeout, Open: open(lambda)})
	end := time.Duration(float64(n) / lambda * float64(time.Second))
	lat := newLatencies(end/100, 20000)
	r.obs = lat.observe
	r.c.Start(sim.At(end))
	r.k.Run()
	if got := lat.counts[results.OK]; got != r.c.Sent() || r.c.Outstanding() != 0 {
		t.Fatalf("%s: %d ok of %d sent, %d outstanding: every request must succeed", replay(t, seed), got, r.c.Sent(), r.c.Outstanding())
	}
	return r, lat
}

// TestMM1 is one instance with one worker, exponential service of mean
// 1 s and Poisson arrivals at 0.8/s: M/M/1 with W = 1/(μ-λ) = 5 s.
func TestMM1(t *testing.T) {
	const seed = 1
	r, lat := runOpen(t, seed, mm1Service("api", 1, 1), "round_robin", 0.8, 1_000_000)
	mean, hw := lat.ci()
	t.Logf("seed=%d: M/M/1 ρ=0.8 over %d requests: W = %.4f s ± %.4f (99%% CI), formula 5 s; utilisation %.4f (formula 0.8)",
		seed, lat.n, mean, hw, r.svc.BusyTime(0).Seconds()/r.k.Now().Seconds())
	within(t, seed, "mean latency", lat.mean(), 5, 0.04)
	within(t, seed, "utilisation", r.svc.BusyTime(0).Seconds()/r.k.Now().Seconds(), 0.8, 0.01)
}

// TestMM1LIFO serves the newest waiting request first. The order does
// not change the work done, so the mean latency is M/M/1's 5 s again
// (only its spread grows), and utilisation is still ρ.
func TestMM1LIFO(t *testing.T) {
	const seed = 10
	svc := mm1Service("api", 1, 1)
	svc.Discipline = "lifo"
	r, lat := runOpen(t, seed, svc, "round_robin", 0.8, 1_000_000)
	mean, hw := lat.ci()
	t.Logf("seed=%d: M/M/1 LIFO ρ=0.8 over %d requests: W = %.4f s ± %.4f (99%% CI), formula 5 s", seed, lat.n, mean, hw)
	within(t, seed, "mean latency", lat.mean(), 5, 0.06)
	within(t, seed, "utilisation", r.svc.BusyTime(0).Seconds()/r.k.Now().Seconds(), 0.8, 0.01)
}

// TestLittlesLawAtTheClient samples the number of requests in flight
// every 100 ms (an estimate that does not use latencies) and compares its
// time average L with throughput × mean latency.
func TestLittlesLawAtTheClient(t *testing.T) {
	const seed = 2
	r := newRig(t, seed, mm1Service("api", 1, 1), Config{Timeout: longTimeout, Open: open(0.8)})
	const end = 200_000 * time.Second
	var sumLat float64
	var done int64
	r.obs = func(start, e sim.Time, o results.Outcome) {
		sumLat += e.Sub(start).Seconds()
		done++
	}
	var samples, sumOut float64
	var probe sim.HandlerID
	probe = r.k.Register("probe", handlerFunc(func(ev sim.Event) {
		sumOut += float64(r.c.Outstanding())
		samples++
		if ev.At < sim.At(end) {
			r.k.After(100*time.Millisecond, probe, 0, 0, 0)
		}
	}))
	r.c.Start(sim.At(end))
	r.k.After(0, probe, 0, 0, 0)
	r.k.Run()
	l := sumOut / samples
	x := float64(done) / r.k.Now().Seconds()
	w := sumLat / float64(done)
	t.Logf("seed=%d: L = %.4f (sampled), X = %.5f/s, W = %.4f s, X·W = %.4f; M/M/1 L = 4", seed, l, x, w, x*w)
	within(t, seed, "L against X·W", l, x*w, 0.02)
	within(t, seed, "L against the M/M/1 formula", l, 4, 0.05)
}

type handlerFunc func(sim.Event)

func (f handlerFunc) HandleEvent(ev sim.Event) { f(ev) }

// TestBalancersOverFourMM1 sends Poisson arrivals at 3.2/s to four
// single-worker instances with exponential service of mean 1 s (ρ = 0.8):
//
//   - random: Poisson splitting makes each instance an M/M/1 at λ = 0.8,
//     so W = 5 s as for one instance;
//   - round_robin: each instance sees every fourth arrival, Erlang-4
//     interarrival times, an E4/M/1 queue: W = 1/(μ(1-σ)) where σ is the
//     root in (0, 1) of σ = (4λ/(4λ+μ(1-σ)))^4 (GI/M/1);
//   - least_outstanding is join-the-shortest-queue (the client's count of
//     requests in flight is exact on ideal links) and p2c the power of two
//     choices: no closed form, but both must beat random clearly.
func TestBalancersOverFourMM1(t *testing.T) {
	const seed = 3
	svc := mm1Service("api", 4, 1)
	w := map[string]float64{}
	for _, policy := range balance.Policies() {
		n := 400_000
		if policy == "random" || policy == "round_robin" {
			n = 1_000_000
		}
		_, lat := runOpen(t, seed, svc, policy, 3.2, n)
		mean, hw := lat.ci()
		w[policy] = lat.mean()
		t.Logf("seed=%d: %-17s W = %.4f s ± %.4f (99%% CI) over %d requests", seed, policy, mean, hw, lat.n)
	}
	sigma := gim1Sigma(func(s float64) float64 { return math.Pow(3.2/(3.2+s), 4) }, 1)
	rr := 1 / (1 - sigma)
	t.Logf("formulas: random (M/M/1) W = 5 s; round_robin (E4/M/1, σ = %.5f) W = %.4f s", sigma, rr)
	within(t, seed, "random: mean latency", w["random"], 5, 0.04)
	within(t, seed, "round_robin: mean latency", w["round_robin"], rr, 0.04)
	if !(w["least_outstanding"] < 0.6*w["random"]) {
		t.Errorf("%s: least_outstanding W = %.4f s is not clearly below random's %.4f s", replay(t, seed), w["least_outstanding"], w["random"])
	}
	if !(w["least_outstanding"] <= w["p2c"] && w["p2c"] < 0.8*w["random"]) {
		t.Errorf("%s: want least_outstanding (%.4f s) <= p2c (%.4f s) < 0.8 × random (%.4f s)",
			replay(t, seed), w["least_outstanding"], w["p2c"], w["random"])
	}
}

// gim1Sigma solves σ = A*(μ(1-σ)) for a GI/M/1 queue, where A* is the
// Laplace-Stieltjes transform of the interarrival time, by fixed-point
// iteration from 0 (which converges to the root in (0, 1) when ρ < 1).
func gim1Sigma(lst func(s float64) float64, mu float64) float64 {
	sigma := 0.0
	for range 10000 {
		sigma = lst(mu * (1 - sigma))
	}
	return sigma
}

// TestQueueLimitBlocking is M/M/1/K: one worker, queue_limit 10 (K = 11
// in the system), ρ = 0.9. The fraction rejected is the probability that
// an arrival finds K present (PASTA): (1-ρ)ρ^K / (1-ρ^(K+1)).
func TestQueueLimitBlocking(t *testing.T) {
	const seed = 4
	const rho, k = 0.9, 11
	svc := mm1Service("api", 1, 1)
	svc.QueueLimit = 10
	r := newRig(t, seed, svc, Config{Timeout: longTimeout, Open: open(rho)})
	blocked := newLatencies(0, 20000) // batches of the 0/1 rejected indicator
	r.obs = func(start, end sim.Time, o results.Outcome) {
		blocked.counts[o]++
		if o == results.Rejected {
			blocked.w.Add(1)
		} else {
			blocked.w.Add(0)
		}
	}
	r.c.Start(sim.At(time.Duration(1_000_000 / rho * float64(time.Second))))
	r.k.Run()
	want := (1 - rho) * math.Pow(rho, k) / (1 - math.Pow(rho, k+1))
	got := float64(blocked.counts[results.Rejected]) / float64(r.c.Sent())
	mean, hw := blocked.ci()
	t.Logf("seed=%d: M/M/1/11 ρ=0.9 over %d requests: rejected %.5f (batch means %.5f ± %.5f, 99%% CI), formula %.5f",
		seed, r.c.Sent(), got, mean, hw, want)
	if n := blocked.counts[results.OK] + blocked.counts[results.Rejected]; n != r.c.Sent() {
		t.Errorf("%s: %d ok or rejected of %d sent", replay(t, seed), n, r.c.Sent())
	}
	within(t, seed, "rejected fraction", got, want, 0.05)
	if st := r.svc.Stats(); st.Rejected != blocked.counts[results.Rejected] {
		t.Errorf("%s: the instance rejected %d, the client saw %d", replay(t, seed), st.Rejected, blocked.counts[results.Rejected])
	}
}

// TestClosedLoopMachineRepairman is N users with exponential think time
// Z and one exponential server of mean S: the finite-source M/M/1//N
// queue. With r = S/Z, P0 = 1/Σ_{n=0..N} N!/(N-n)!·r^n, throughput
// X = (1-P0)/S and response time R = N/X - Z.
func TestClosedLoopMachineRepairman(t *testing.T) {
	const seed = 5
	const users, z, s = 10, 1.0, 0.08
	r := newRig(t, seed, mm1Service("api", 1, s),
		Config{Timeout: longTimeout, Closed: &Closed{Users: users, ThinkTime: exponential(z)}})
	lat := newLatencies(1000*time.Second, 20000)
	r.obs = lat.observe
	const end = 200_000 * time.Second
	r.c.Start(sim.At(end))
	r.k.Run()
	var sum, term float64 = 0, 1
	for n := 0; n <= users; n++ {
		if n > 0 {
			term *= float64(users-n+1) * s / z
		}
		sum += term
	}
	x := (1 - 1/sum) / s
	wantR := users/x - z
	gotX := float64(lat.counts[results.OK]) / end.Seconds()
	mean, hw := lat.ci()
	t.Logf("seed=%d: M/M/1//10, Z=1s, S=80ms: X = %.4f/s (formula %.4f), R = %.4f s ± %.4f (formula %.4f)",
		seed, gotX, x, mean, hw, wantR)
	within(t, seed, "throughput", gotX, x, 0.02)
	within(t, seed, "response time", lat.mean(), wantR, 0.04)
}
