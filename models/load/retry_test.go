package load

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// quickRetry is up to attempts attempts, a constant back-off without
// jitter, on the given outcomes.
func quickRetry(attempts int, backoff time.Duration, on ...string) *resilience.RetryConfig {
	return &resilience.RetryConfig{MaxAttempts: attempts, Backoff: resilience.Backoff{Kind: "constant", Base: backoff, Jitter: "none"}, On: on}
}

// setRequestLoss makes every client->instance link lose each request with
// probability p, with a constant one-way delay both ways; replies are
// never lost, so an attempt fails with probability p exactly.
func (r *rig) setRequestLoss(p float64, oneWay time.Duration) {
	r.t.Helper()
	lat, err := sim.NewConstant(oneWay.Seconds())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, n := range r.svc.Nodes() {
		must(r.t, r.net.SetLink(r.c.Node(), n, sim.LinkConfig{Latency: lat, Loss: p}))
		must(r.t, r.net.SetLink(n, r.c.Node(), sim.LinkConfig{Latency: lat}))
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRetriesOnALossyLink: with each attempt lost with probability p, a
// request with n attempts fails with probability p^n and makes
// 1 + p + ... + p^(n-1) attempts on average.
func TestRetriesOnALossyLink(t *testing.T) {
	const seed, p = 11, 0.3
	for _, attempts := range []int{1, 2, 3} {
		r := newRig(t, seed, service.Config{Name: "api", Instances: 2, Workers: 100, ServiceTime: constant(0.001)},
			Config{Timeout: 50 * time.Millisecond, Open: open(500), Retry: quickRetry(attempts, time.Millisecond)})
		r.setRequestLoss(p, time.Millisecond)
		r.c.Start(sim.At(100 * time.Second))
		r.k.Run()
		sent := float64(r.c.Sent())
		fail := float64(r.c.Count(results.Timeout)) / sent
		wantFail := math.Pow(p, float64(attempts))
		wantAmp := (1 - wantFail) / (1 - p)
		// About 50000 requests: the failure count is within 4 standard
		// deviations of its mean.
		sd := math.Sqrt(wantFail * (1 - wantFail) / sent)
		if math.Abs(fail-wantFail) > 4*sd {
			t.Errorf("%s: %d attempts: failure rate %.5f, want %.5f ± %.5f", replay(t, seed), attempts, fail, wantFail, 4*sd)
		}
		t.Logf("%d attempts: failure rate %.5f (p^n = %.5f), amplification %.4f (want %.4f)", attempts, fail, wantFail, r.c.Amplification(), wantAmp)
		within(t, seed, "amplification", r.c.Amplification(), wantAmp, 0.01)
		if r.c.Attempts() != r.c.Sent()+r.c.Retries() || r.c.Count(results.OK)+r.c.Count(results.Timeout) != r.c.Sent() {
			t.Errorf("%s: %d attempts, %d sent, %d retries, outcomes %d ok %d timeouts", replay(t, seed),
				r.c.Attempts(), r.c.Sent(), r.c.Retries(), r.c.Count(results.OK), r.c.Count(results.Timeout))
		}
	}
}

// TestBackoffIsRespected: with 1 ms each way, 1 ms of service, a 50 ms
// per-try timeout and a constant 30 ms back-off, a request that succeeds
// first takes 3 ms, one that succeeds on its second attempt 50+30+3 ms
// and one on its third 2·(50+30)+3 ms: exactly, nothing in between.
func TestBackoffIsRespected(t *testing.T) {
	const seed = 12
	r := newRig(t, seed, service.Config{Name: "api", Workers: 100, ServiceTime: constant(0.001)},
		Config{Timeout: 50 * time.Millisecond, Open: open(100), Retry: quickRetry(3, 30*time.Millisecond)})
	r.setRequestLoss(0.3, time.Millisecond)
	out := r.record()
	r.c.Start(sim.At(100 * time.Second))
	r.k.Run()
	ms := time.Millisecond
	byTry := map[time.Duration]int{}
	for _, o := range *out {
		if o.o != results.OK {
			continue
		}
		switch l := o.latency(); l {
		case 3 * ms, 83 * ms, 163 * ms:
			byTry[l]++
		default:
			t.Fatalf("%s: request at %v succeeded after %v, want 3ms, 83ms or 163ms", replay(t, seed), o.start, l)
		}
	}
	n := float64(len(*out))
	within(t, seed, "share ok on the second attempt", float64(byTry[83*ms])/n, 0.3*0.7, 0.1)
	within(t, seed, "share ok on the third attempt", float64(byTry[163*ms])/n, 0.09*0.7, 0.15)
}

// TestJitteredBackoffBounds: with full jitter over an exponential
// back-off (base 20 ms), a success on the second attempt takes between
// timeout + 3 ms and timeout + 20 ms + 3 ms, and the delays spread over
// that range.
func TestJitteredBackoffBounds(t *testing.T) {
	const seed = 13
	cfg := &resilience.RetryConfig{MaxAttempts: 2, Backoff: resilience.Backoff{Base: 20 * time.Millisecond}}
	r := newRig(t, seed, service.Config{Name: "api", Workers: 100, ServiceTime: constant(0.001)},
		Config{Timeout: 50 * time.Millisecond, Open: open(100), Retry: cfg})
	r.setRequestLoss(0.3, time.Millisecond)
	out := r.record()
	r.c.Start(sim.At(100 * time.Second))
	r.k.Run()
	var lo, hi time.Duration = time.Hour, 0
	for _, o := range *out {
		if l := o.latency(); o.o == results.OK && l > 3*time.Millisecond {
			lo, hi = min(lo, l), max(hi, l)
		}
	}
	if lo < 53*time.Millisecond || hi >= 73*time.Millisecond || hi-lo < 18*time.Millisecond {
		t.Errorf("%s: second-attempt successes took %v..%v, want a spread within [53ms, 73ms)", replay(t, seed), lo, hi)
	}
}

// TestBudgetCapsConcurrentRetries: against a service that never answers
// in time, unlimited retries make every request send max_attempts
// attempts; under Envoy's budget the retries in flight never exceed
// max(min_retry_concurrency, 20% of the requests in flight), and the rest
// are refused.
func TestBudgetCapsConcurrentRetries(t *testing.T) {
	const seed = 14
	svc := service.Config{Name: "api", Instances: 2, Workers: 10000, ServiceTime: constant(10)}
	for _, budget := range []*resilience.BudgetConfig{nil, {BudgetPercent: 20, MinRetryConcurrency: 3}} {
		retry := quickRetry(5, time.Millisecond)
		retry.Budget = budget
		r := newRig(t, seed, svc, Config{Timeout: 100 * time.Millisecond, Open: open(100), Retry: retry})
		peak, peakActive, sum, n := 0, 0, 0, 0
		var sample func()
		sample = func() {
			if b := r.c.retry.Budget(); b != nil {
				peak, peakActive = max(peak, b.Retries()), max(peakActive, b.Active())
				sum, n = sum+b.Retries(), n+1
			}
			if r.k.Now() < sim.At(60*time.Second) {
				r.k.AfterFunc(time.Millisecond, sample)
			}
		}
		r.k.AtFunc(0, sample)
		r.c.Start(sim.At(60 * time.Second))
		r.k.Run()
		amp := r.c.Amplification()
		if budget == nil {
			if amp != 5 || r.c.RetriesDenied() != 0 {
				t.Errorf("%s: unlimited: amplification %v, %d denied, want 5 and 0", replay(t, seed), amp, r.c.RetriesDenied())
			}
			continue
		}
		// About 10 first attempts are in flight (100/s for 100 ms), so the
		// floor of 3 mostly rules: about 3 retries per 101 ms. The budget is
		// checked when a retry starts, so a burst of first attempts lets a
		// few more in while it lasts.
		mean := float64(sum) / float64(n)
		t.Logf("budget: %.2f retries in flight on average, peak %d (peak active %d), amplification %.3f, %d denied",
			mean, peak, peakActive, amp, r.c.RetriesDenied())
		if peak > max(3, peakActive/5) || mean < 2.5 || mean > 3.5 || amp > 1+3.5/0.101/100 || r.c.RetriesDenied() == 0 {
			t.Errorf("%s: budget: %.2f retries in flight on average, peak %d (peak active %d), amplification %.3f, %d denied",
				replay(t, seed), mean, peak, peakActive, amp, r.c.RetriesDenied())
		}
	}
}

// TestThrottleStopsAndResumes: while the only instance is down every
// attempt fails, so gRPC throttling (10 tokens, 0.1 per success) allows
// retries only until half the tokens are gone; successes after the
// restart refill them, and the next outage gets retries again.
func TestThrottleStopsAndResumes(t *testing.T) {
	const seed = 15
	retry := quickRetry(3, time.Millisecond, "error")
	retry.Throttle = &resilience.ThrottleConfig{MaxTokens: 10, TokenRatio: 0.1}
	r := newRig(t, seed, service.Config{Name: "api", ServiceTime: constant(0.001)},
		Config{Timeout: 100 * time.Millisecond, Open: open(100), Retry: retry})
	r.setLinks(time.Millisecond)
	at := func(s int) sim.Time { return sim.At(time.Duration(s) * time.Second) }
	r.k.AtFunc(at(5), func() { r.svc.Crash(0) })
	r.k.AtFunc(at(15), func() { r.svc.Restart(0) })
	r.k.AtFunc(at(25), func() { r.svc.Crash(0) })
	r.k.AtFunc(at(35), func() { r.svc.Restart(0) })
	r.c.Start(at(40))
	var retries []int64 // per 10 s window from 5 s
	for _, end := range []int{5, 15, 25, 35} {
		prev := r.c.Retries()
		r.k.RunUntil(at(end))
		retries = append(retries, r.c.Retries()-prev)
	}
	// 10 tokens: failures take them to 9, 8, 7 (a request's three
	// attempts), 6, 5: three retries, then none until the count is above 5.
	if want := []int64{0, 3, 0, 3}; !slices.Equal(retries, want) {
		t.Errorf("%s: retries per window [0,5) [5,15) [15,25) [25,35): %v, want %v", replay(t, seed), retries, want)
	}
	if r.c.RetriesDenied() < 1500 {
		t.Errorf("%s: %d retries denied, want about 2000 (every failed request after the first two of each outage)", replay(t, seed), r.c.RetriesDenied())
	}
}

// TestRetryOnlyListedOutcomes: an outcome not listed in on ends the
// request at once.
func TestRetryOnlyListedOutcomes(t *testing.T) {
	const seed = 16
	cases := []struct {
		name  string
		on    []string
		crash bool // errors, else rejections from a full queue
		retry bool
	}{
		{"errors not listed", []string{"timeout"}, true, false},
		{"errors listed", []string{"error"}, true, true},
		{"errors by default", nil, true, true},
		{"rejections not listed", []string{"timeout", "error"}, false, false},
		{"rejections listed", []string{"rejected"}, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := service.Config{Name: "api", QueueLimit: 1, ServiceTime: constant(0.05)}
			r := newRig(t, seed, svc, Config{Timeout: time.Second, Open: open(100), Retry: quickRetry(3, time.Millisecond, c.on...)})
			if c.crash {
				r.svc.Crash(0)
			}
			r.c.Start(sim.At(10 * time.Second))
			r.k.Run()
			failed := r.c.Count(results.Error) + r.c.Count(results.Rejected)
			if failed < 500 || (r.c.Retries() > 0) != c.retry {
				t.Errorf("%s: %d failed requests, %d retries, want retries: %v", replay(t, seed), failed, r.c.Retries(), c.retry)
			}
		})
	}
}

// TestRetryDeterminism: the same seed gives the same trace, a different
// seed a different one (jittered back-off draws from the client's stream).
func TestRetryDeterminism(t *testing.T) {
	run := func(seed uint64) uint64 {
		cfg := &resilience.RetryConfig{MaxAttempts: 4, Backoff: resilience.Backoff{Kind: "envoy", Jitter: "decorrelated"},
			Budget: &resilience.BudgetConfig{}, Throttle: &resilience.ThrottleConfig{MaxTokens: 10, TokenRatio: 0.5}}
		r := newRig(t, seed, mm1Service("api", 3, 0.01), Config{Timeout: 50 * time.Millisecond, Open: open(250), Retry: cfg})
		r.setRequestLoss(0.2, time.Millisecond)
		r.c.Start(sim.At(20 * time.Second))
		r.k.Run()
		if r.c.Retries() == 0 {
			t.Fatalf("%s: no retries", replay(t, seed))
		}
		return r.k.Hash()
	}
	if a, b := run(17), run(17); a != b {
		t.Errorf("%s: hashes %x and %x for the same seed", replay(t, 17), a, b)
	}
	if a, b := run(17), run(18); a == b {
		t.Errorf("%s: seeds 17 and 18 give the same hash %x", replay(t, 17), a)
	}
}

// TestNoFailuresNoAmplification: retries cost nothing when nothing fails.
func TestNoFailuresNoAmplification(t *testing.T) {
	const seed = 19
	r := newRig(t, seed, mm1Service("api", 4, 0.001), Config{Timeout: time.Second, Open: open(200), Retry: &resilience.RetryConfig{}})
	r.c.Start(sim.At(30 * time.Second))
	r.k.Run()
	if r.c.Amplification() != 1 || r.c.Retries() != 0 || r.c.Count(results.OK) != r.c.Sent() {
		t.Errorf("%s: amplification %v, %d retries, %d ok of %d", replay(t, seed), r.c.Amplification(), r.c.Retries(), r.c.Count(results.OK), r.c.Sent())
	}
}

func TestRetryDefaults(t *testing.T) {
	c := Config{Target: "api", Open: open(1), Retry: &resilience.RetryConfig{Budget: &resilience.BudgetConfig{}}}
	c.SetDefaults()
	want := resilience.RetryConfig{MaxAttempts: 3, Backoff: resilience.Backoff{Kind: "exponential", Base: 25 * time.Millisecond, Cap: 250 * time.Millisecond, Jitter: "full"},
		On: []string{"timeout", "error"}, Budget: &resilience.BudgetConfig{BudgetPercent: 20, MinRetryConcurrency: 3}}
	got := *c.Retry
	if got.MaxAttempts != want.MaxAttempts || got.Backoff != want.Backoff || !slices.Equal(got.On, want.On) || *got.Budget != *want.Budget {
		t.Errorf("SetDefaults: %+v (budget %+v), want %+v", got, *got.Budget, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func TestRetryValidateNamesField(t *testing.T) {
	cases := []struct {
		name  string
		retry resilience.RetryConfig
		want  string
	}{
		{"attempts", resilience.RetryConfig{MaxAttempts: -1}, "retry.max_attempts: must be >= 1 (attempts including the first), got -1"},
		{"kind", resilience.RetryConfig{Backoff: resilience.Backoff{Kind: "linear"}}, `retry.backoff.kind: must be one of constant, exponential, envoy, got "linear"`},
		{"base", resilience.RetryConfig{Backoff: resilience.Backoff{Base: -time.Millisecond}}, "retry.backoff.base: must be > 0, got -1ms"},
		{"cap", resilience.RetryConfig{Backoff: resilience.Backoff{Base: time.Second, Cap: time.Millisecond}}, "retry.backoff.cap: must be >= base (1s), got 1ms"},
		{"jitter", resilience.RetryConfig{Backoff: resilience.Backoff{Jitter: "some"}}, `retry.backoff.jitter: must be one of none, full, equal, decorrelated, got "some"`},
		{"on", resilience.RetryConfig{On: []string{"timeout", "ok"}}, `retry.on[1]: must be one of timeout, error, rejected, got "ok"`},
		{"budget", resilience.RetryConfig{Budget: &resilience.BudgetConfig{BudgetPercent: 150}}, "retry.budget.budget_percent: must be in (0, 100] (percent of active requests), got 150"},
		{"throttle", resilience.RetryConfig{Throttle: &resilience.ThrottleConfig{MaxTokens: 10}}, "retry.throttle.token_ratio: must be in (0, max_tokens] with at most 3 decimals, got 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Target: "api", Open: open(1), Retry: &c.retry}
			cfg = cfg.clone()
			cfg.SetDefaults()
			err := cfg.Validate()
			if err == nil || err.Error() != c.want {
				t.Fatalf("Validate:\n got %v\nwant %s", err, c.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("errors.Is(%v, ErrConfig) = false", err)
			}
		})
	}
}

// TestNewClientLeavesRetryAlone: defaults go into the client's copy.
func TestNewClientLeavesRetryAlone(t *testing.T) {
	retry := &resilience.RetryConfig{Budget: &resilience.BudgetConfig{}}
	newRig(t, 1, service.Config{Name: "api", ServiceTime: constant(0)}, Config{Open: open(1), Retry: retry})
	if retry.MaxAttempts != 0 || retry.On != nil || retry.Budget.BudgetPercent != 0 {
		t.Errorf("NewClient wrote into the caller's retry config: %+v, budget %+v", *retry, *retry.Budget)
	}
}
