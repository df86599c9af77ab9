package chain

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// Load limits and defaults: every run is bounded.
const (
	MaxLoadDuration     = 60 * time.Second
	DefaultLoadDuration = 10 * time.Second
	DefaultLoadTimeout  = time.Second
	DefaultMaxInflight  = 1000
	MaxLoadRate         = 5000.0
)

// LoadConfig configures the open-loop load generator.
type LoadConfig struct {
	// Rate is the mean arrival rate, in requests/s, of a Poisson process.
	// Required: must be in (0, 5000].
	Rate float64 `yaml:"rate"`
	// Duration is how long requests are started. Default 10s; must be in
	// (0, 60s].
	Duration time.Duration `yaml:"duration"`
	// MaxRequests stops the load after that many arrivals; 0 (the
	// default) bounds it by Duration only. Must be >= 0.
	MaxRequests int `yaml:"max_requests"`
	// Timeout is each request's deadline, from its intended start (and
	// sent along in HeaderTimeout). Default 1s; must be > 0.
	Timeout time.Duration `yaml:"timeout"`
	// Seed seeds the arrival times.
	Seed uint64 `yaml:"seed"`
	// MaxInflight caps the requests in flight; an arrival beyond it is
	// recorded as shed at once. Default 1000; must be >= 1.
	MaxInflight int `yaml:"max_inflight"`
	// Retry retries a request's failed attempts, as the simulator's
	// load.retry does (the same resilience.RetryConfig and Retrier): each
	// attempt has its own deadline, Timeout from its start, and a
	// request's latency and outcome are those of the whole logical
	// request. nil never retries.
	Retry *resilience.RetryConfig `yaml:"retry"`
	// Balancer picks the entry instance of each attempt, with the
	// simulator's semantics (balance.New): round_robin (the
	// default), random, least_outstanding (by the generator's attempts in
	// flight) or p2c, its random stream drawn from Seed.
	Balancer string `yaml:"balancer"`
	// OutlierDetection ejects an entry instance that fails attempts in a
	// row from the generator's balancing for a while: the simulator's
	// balance.Outlier, its virtual time the time since the load started.
	// nil: none.
	OutlierDetection *balance.OutlierConfig `yaml:"outlier_detection"`
}

// Longest bounds a request of a defaulted config: every attempt's
// timeout and every back-off.
func (c *LoadConfig) Longest() time.Duration {
	if c.Retry == nil {
		return c.Timeout
	}
	n := time.Duration(c.Retry.MaxAttempts)
	return n*c.Timeout + (n-1)*c.Retry.Backoff.Cap
}

// clone deep-copies the retry policy, so that SetDefaults on the copy
// leaves the caller's alone.
func (c LoadConfig) clone() LoadConfig {
	c.Retry = c.Retry.Clone()
	c.OutlierDetection = clonePtr(c.OutlierDetection)
	return c
}

// SetDefaults fills every zero field that has a default.
func (c *LoadConfig) SetDefaults() {
	if c.Duration == 0 {
		c.Duration = DefaultLoadDuration
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultLoadTimeout
	}
	if c.MaxInflight == 0 {
		c.MaxInflight = DefaultMaxInflight
	}
	if c.Retry != nil {
		c.Retry.SetDefaults()
	}
	if c.Balancer == "" {
		c.Balancer = RoundRobin
	}
	if c.OutlierDetection != nil {
		c.OutlierDetection.SetDefaults()
	}
}

// Validate reports the first invalid field; run it after SetDefaults.
func (c *LoadConfig) Validate() error {
	switch {
	case !(c.Rate > 0 && c.Rate <= MaxLoadRate):
		return invalid("rate", "must be in (0, %v] requests/s, got %v", MaxLoadRate, c.Rate)
	case c.Duration <= 0 || c.Duration > MaxLoadDuration:
		return invalid("duration", "must be in (0, %v], got %v", MaxLoadDuration, c.Duration)
	case c.MaxRequests < 0:
		return invalid("max_requests", "must be >= 0 (0: bounded by duration only), got %d", c.MaxRequests)
	case c.Timeout <= 0:
		return invalid("timeout", "must be > 0, got %v", c.Timeout)
	case c.MaxInflight < 1:
		return invalid("max_inflight", "must be >= 1, got %d", c.MaxInflight)
	case balance.CheckPolicy(c.Balancer) != nil:
		return under("balancer", balance.CheckPolicy(c.Balancer))
	}
	if c.Retry != nil {
		if err := c.Retry.Validate(); err != nil {
			return under("retry", err)
		}
	}
	if c.OutlierDetection != nil {
		if err := c.OutlierDetection.Validate(); err != nil {
			return under("outlier_detection", err)
		}
	}
	return nil
}

// Request is one request of the load as the generator saw it; times are
// since the start of the load, Start the intended start.
type Request struct {
	Start, End time.Duration
	Outcome    results.Outcome
	// Degraded is set for a 200 built with a fallback.
	Degraded bool
	// Attempts is the number of attempts sent (1 without retries).
	Attempts int
}

// LoadStats is what the generator counted besides the requests.
type LoadStats struct {
	// Ejections is how many times the outlier detection ejected an entry
	// instance.
	Ejections int64
}

// Generate sends requests to addrs (127.0.0.1:port, the entry's
// instances, each attempt to the one cfg.Balancer picks among those the
// outlier detection, if any, has not ejected) open-loop: arrivals
// are Poisson at cfg.Rate from cfg.Seed, each sent at its intended time
// whatever the others are doing, its deadline and latency counted from
// that time, so a stall shows as latency (no coordinated omission). It
// calls observe (from many goroutines) for every request, and returns
// once the last has ended, with what it counted besides. t0 is the
// start of the load. It returns ctx's error if ctx ended the load before
// its last arrival.
func Generate(ctx context.Context, addrs []string, cfg LoadConfig, t0 time.Time, observe func(Request)) (LoadStats, error) {
	cfg = cfg.clone()
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return LoadStats{}, err
	}
	if len(addrs) == 0 || slices.ContainsFunc(addrs, func(a string) bool { return !loopback(a) }) {
		return LoadStats{}, invalid("", "load targets: must be one or more 127.0.0.1:port, got %q", addrs)
	}
	g, err := newGenerator(addrs, cfg, t0)
	if err != nil {
		return LoadStats{}, err
	}
	defer g.client.CloseIdleConnections()
	wg := g.run(ctx, observe)
	err = ctx.Err() // as the last arrival passed: a cancellation while the last requests end is not the load's
	wg.Wait()
	return LoadStats{Ejections: g.picker.ejections()}, err
}

// run starts the requests at their arrival times and returns once the
// last has started; wait on the group for their ends.
func (g *generator) run(ctx context.Context, observe func(Request)) *sync.WaitGroup {
	cfg, t0 := g.cfg, g.t0
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x10ad))
	sem := make(chan struct{}, cfg.MaxInflight)
	wg := &sync.WaitGroup{}
	var at time.Duration
	for n := 0; cfg.MaxRequests == 0 || n < cfg.MaxRequests; n++ {
		at += sim.Seconds(rng.ExpFloat64() / cfg.Rate)
		if at >= cfg.Duration || !sleep(ctx, time.Until(t0.Add(at))) {
			break
		}
		select {
		case sem <- struct{}{}:
		default:
			observe(Request{Start: at, End: at, Outcome: results.Shed})
			continue
		}
		wg.Add(1)
		at := at
		go func() {
			defer func() { <-sem; wg.Done() }()
			observe(g.request(ctx, at))
		}()
	}
	return wg
}

// generator sends the load's requests; its retrier (budget, throttle and
// back-off stream, shared by all requests as in one client) is guarded by
// mu.
type generator struct {
	urls    []string
	cfg     LoadConfig
	t0      time.Time
	client  *http.Client
	picker  *picker // the balancer and the outlier detection (locked on their own)
	mu      sync.Mutex
	retrier *resilience.Retrier // nil: no retries
}

func newGenerator(addrs []string, cfg LoadConfig, t0 time.Time) (*generator, error) {
	g := &generator{cfg: cfg, t0: t0,
		client: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: cfg.MaxInflight, DisableCompression: true}}}
	for _, a := range addrs {
		g.urls = append(g.urls, "http://"+a+"/")
	}
	var err error
	if g.picker, err = newPicker(cfg.Balancer, len(g.urls), rand.New(rand.NewPCG(cfg.Seed, 0xba1)), cfg.OutlierDetection, t0); err != nil {
		return nil, err
	}
	g.retrier, err = resilience.NewRetrier(cfg.Retry, rand.New(rand.NewPCG(cfg.Seed, 0x7e7)))
	return g, err
}

// request makes the logical request intended to start at t0+at: its
// attempts, each with its own deadline (Timeout from the attempt's start,
// the first's from the intended start) and the retry policy's back-off
// between them, each to the instance the balancer picks then. Its
// latency runs from the intended start to the end of the last attempt.
func (g *generator) request(ctx context.Context, at time.Duration) Request {
	rq := Request{Start: at}
	start := g.t0.Add(at)
	var prev time.Duration
	for n := int32(1); ; n++ {
		g.begin(n)
		rq.Attempts++
		i := g.picker.pick()
		rq.Outcome, rq.Degraded = g.attempt(ctx, g.urls[i], start.Add(g.cfg.Timeout))
		g.picker.done(i, rq.Outcome == results.OK)
		d, again := g.next(n, rq.Outcome, prev)
		if !again || ctx.Err() != nil {
			break
		}
		if !sleep(ctx, d) {
			g.abandon()
			break
		}
		prev, start = d, time.Now()
	}
	rq.End = max(time.Since(g.t0), at)
	return rq
}

func (g *generator) begin(n int32) {
	if g.retrier != nil {
		g.mu.Lock()
		g.retrier.Begin(n)
		g.mu.Unlock()
	}
}

// next ends attempt n with o in the retrier and decides whether to retry
// (the policy, then the throttle and the budget), with the back-off.
func (g *generator) next(n int32, o results.Outcome, prev time.Duration) (time.Duration, bool) {
	if g.retrier == nil {
		return 0, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.retrier.End(n, o)
	if o == results.OK || !g.retrier.Wants(n, o) || !g.retrier.Admit() {
		return 0, false
	}
	return g.retrier.Delay(n, prev), true
}

// abandon ends a retry the budget admitted that never started.
func (g *generator) abandon() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if b := g.retrier.Budget(); b != nil {
		b.EndRetry()
	}
}

// attempt sends one attempt that must end by deadline, and classifies
// the answer.
func (g *generator) attempt(ctx context.Context, url string, deadline time.Time) (results.Outcome, bool) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return results.Error, false
	}
	req.Header.Set(HeaderTimeout, time.Until(deadline).String())
	resp, err := g.client.Do(req)
	switch {
	case err != nil && ctx.Err() != nil:
		return results.Timeout, false
	case err != nil:
		return results.Error, false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	o := classify(resp.StatusCode)
	return o, o == results.OK && resp.Header.Get(HeaderDegraded) != ""
}
