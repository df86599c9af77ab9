package chain

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"faultline/reports/results"
	"faultline/sim"
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
}

// Validate reports the first invalid field; run it after SetDefaults.
func (c *LoadConfig) Validate() error {
	switch {
	case !(c.Rate > 0 && c.Rate <= MaxLoadRate):
		return invalid("rate: must be in (0, %v] requests/s, got %v", MaxLoadRate, c.Rate)
	case c.Duration <= 0 || c.Duration > MaxLoadDuration:
		return invalid("duration: must be in (0, %v], got %v", MaxLoadDuration, c.Duration)
	case c.MaxRequests < 0:
		return invalid("max_requests: must be >= 0 (0: bounded by duration only), got %d", c.MaxRequests)
	case c.Timeout <= 0:
		return invalid("timeout: must be > 0, got %v", c.Timeout)
	case c.MaxInflight < 1:
		return invalid("max_inflight: must be >= 1, got %d", c.MaxInflight)
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
}

// Generate sends requests to addr (127.0.0.1:port) open-loop: arrivals
// are Poisson at cfg.Rate from cfg.Seed, each sent at its intended time
// whatever the others are doing, its deadline and latency counted from
// that time, so a stall shows as latency (no coordinated omission). It
// calls observe (from many goroutines) for every request, and returns
// once the last has ended. t0 is the start of the load.
func Generate(ctx context.Context, addr string, cfg LoadConfig, t0 time.Time, observe func(Request)) error {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if !loopback(addr) {
		return invalid("load target: must be 127.0.0.1:port, got %q", addr)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: cfg.MaxInflight, DisableCompression: true}}
	defer client.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x10ad))
	sem := make(chan struct{}, cfg.MaxInflight)
	var wg sync.WaitGroup
	defer wg.Wait()
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
			observe(request(ctx, client, addr, t0, at, cfg.Timeout))
		}()
	}
	return ctx.Err()
}

// request sends one request intended to start at t0+at.
func request(ctx context.Context, client *http.Client, addr string, t0 time.Time, at, timeout time.Duration) Request {
	ctx, cancel := context.WithDeadline(ctx, t0.Add(at+timeout))
	defer cancel()
	rq := Request{Start: at, Outcome: results.Error}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		rq.End = max(time.Since(t0), at)
		return rq
	}
	req.Header.Set(HeaderTimeout, time.Until(t0.Add(at+timeout)).String())
	resp, err := client.Do(req)
	switch {
	case err != nil && ctx.Err() != nil:
		rq.Outcome = results.Timeout
	case err == nil:
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		rq.Outcome = classify(resp.StatusCode)
		rq.Degraded = rq.Outcome == results.OK && resp.Header.Get(HeaderDegraded) != ""
	}
	rq.End = max(time.Since(t0), at)
	return rq
}
