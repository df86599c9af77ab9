package chain

import (
	"errors"
	"fmt"
	"math"
	"net"
	"regexp"
	"slices"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/sim"
)

// Call modes of a ServiceConfig.
const (
	// Sequential calls the dependencies one after the other and stops at
	// the first that fails (without a fallback).
	Sequential = "sequential"
	// Parallel calls every dependency at once and waits for all of them.
	Parallel = "parallel"
)

// Defaults and limits of a ServiceConfig and a CallConfig.
const (
	DefaultWorkers     = 16
	DefaultCallTimeout = time.Second
	MaxInstances       = 16
)

// Balancers: how a caller picks the instance of each attempt, as in the
// simulator.
const (
	RoundRobin       = "round_robin"
	Random           = "random"
	LeastOutstanding = "least_outstanding"
	PowerOfTwo       = "p2c" // the less loaded of two random picks
)

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("invalid chain config")

// invalid returns a config error at path (a *field.Error) that matches
// ErrConfig under errors.Is.
func invalid(path, format string, args ...any) error {
	return &field.Error{Path: path, Msg: fmt.Sprintf(format, args...), Err: ErrConfig}
}

// under places err, the error of the part at path (e.g. "calls[0]"),
// under path; it matches ErrConfig and what err matched.
func under(path string, err error) error { return field.UnderAs(ErrConfig, path, err) }

// Config is a chain of services.
type Config struct {
	// Services are the chain's services; the first is the entry, which
	// the load generator calls. Names are unique and every call's target
	// names one of them. Listen and Addrs are the harness's to set.
	Services []ServiceConfig `yaml:"services"`
}

// Clone deep-copies c.
func (c Config) Clone() Config {
	c.Services = slices.Clone(c.Services)
	for i := range c.Services {
		c.Services[i] = c.Services[i].Clone()
	}
	return c
}

// SetDefaults fills the services' defaults.
func (c *Config) SetDefaults() {
	for i := range c.Services {
		c.Services[i].SetDefaults()
	}
}

// Validate reports the first invalid field, e.g.
// "services[1].calls[0].timeout: must be > 0, got 0s".
func (c *Config) Validate() error {
	if len(c.Services) == 0 {
		return invalid("services", "at least one is required")
	}
	names := map[string]bool{}
	for i := range c.Services {
		s := &c.Services[i]
		p := field.Index("services", i)
		if err := s.Validate(); err != nil {
			return under(p, err)
		}
		if names[s.Name] {
			return invalid(p+".name", "%q is used twice", s.Name)
		}
		names[s.Name] = true
	}
	for i, s := range c.Services {
		for j, call := range s.Calls {
			if !names[call.Target] {
				return invalid(fmt.Sprintf("services[%d].calls[%d].target", i, j), "no service named %q", call.Target)
			}
			if call.Target == s.Name {
				return invalid(fmt.Sprintf("services[%d].calls[%d].target", i, j), "a service may not call itself")
			}
		}
	}
	return nil
}

// ServiceConfig configures a service. The harness fills Instance, Listen
// and every call's Addrs; the rest is the user's.
type ServiceConfig struct {
	// Name identifies the service in links, logs and status. Required:
	// lower-case letters, digits and '-', starting with a letter.
	Name string `yaml:"name"`
	// Instances is how many processes serve the service, each with this
	// config (and its own port and random stream). Default 1; must be in
	// [1, 16].
	Instances int `yaml:"instances"`
	// Instance is this process's index in [0, Instances); the harness
	// sets it.
	Instance int `yaml:"instance"`
	// Listen is the loopback address (127.0.0.1:port) the instance serves
	// on. Required by Serve; the harness picks it.
	Listen string `yaml:"listen"`
	// Workers is how many requests are worked on at once; a worker is held
	// for the whole request, downstream calls included, as in a
	// thread-per-request server. Default 16; must be >= 1.
	Workers int `yaml:"workers"`
	// QueueLimit is how many requests may wait for a worker; one arriving
	// beyond Workers+QueueLimit is answered 503 at once. 0 (the default)
	// means no queue; must be >= 0.
	QueueLimit int `yaml:"queue_limit"`
	// ServiceTime is the service's own work per request, in seconds,
	// drawn from the service's seeded stream and slept. Kind "" (the
	// default) means no work; a negative draw counts as 0.
	ServiceTime sim.DistSpec `yaml:"service_time"`
	// ErrorRate is the fraction of requests answered 500 after the
	// service's own work, before any call. Default 0; must be in [0, 1].
	ErrorRate float64 `yaml:"error_rate"`
	// Seed seeds the service's random stream (service times, errors,
	// retry jitter).
	Seed uint64 `yaml:"seed"`
	// RateLimit, when set, admits requests through a token bucket
	// (golang.org/x/time/rate): a request finding it empty is answered
	// 429 at once.
	RateLimit *resilience.RateLimitConfig `yaml:"rate_limit"`
	// HonorDeadlines makes the service act on its callers' deadlines
	// (HeaderTimeout), as a gRPC server does with a propagated deadline: a
	// request whose deadline has passed when a worker would start it is
	// dropped unserved (504), and its calls get at most the time it has
	// left. Default false, as in the simulator: work goes on for callers
	// that gave up (or hung up), which is what lets retries pile up.
	HonorDeadlines bool `yaml:"honor_deadlines"`
	// Mode is sequential (the default) or parallel.
	Mode string `yaml:"mode"`
	// CallQuorum, with mode parallel, answers once this many calls have
	// succeeded (the first k of n; a fallback counts as a success); the
	// others go on unwaited. 0 (the default) waits for all. Must be in
	// [0, len(calls)], and 0 in sequential mode.
	CallQuorum int `yaml:"call_quorum"`
	// Calls are the dependencies called after the service's own work.
	Calls []CallConfig `yaml:"calls"`
}

// CallConfig configures the calls of a service to one dependency.
type CallConfig struct {
	// Target is the name of the service called. Required.
	Target string `yaml:"target"`
	// Addrs are the loopback addresses dialled for Target, one per
	// instance of it: the proxies of the link, which the harness creates.
	// Required by Serve.
	Addrs []string `yaml:"addrs"`
	// Balancer picks the instance of each attempt: round_robin (the
	// default), random, least_outstanding or p2c.
	Balancer string `yaml:"balancer"`
	// Timeout bounds each attempt (and is further cut to the incoming
	// request's remaining time). Default 1s; must be > 0.
	Timeout time.Duration `yaml:"timeout"`
	// Retry retries failed attempts after a back-off, within its budget
	// and throttle; nil never retries. It is the simulator's policy
	// (resilience.RetryConfig, as in calls[].retry and load.retry), run by
	// the same resilience.Retrier.
	Retry *resilience.RetryConfig `yaml:"retry"`
	// Breaker is a consecutive-failure breaker (a real sony/gobreaker
	// with these settings) in front of every attempt; nil: none.
	Breaker *resilience.BreakerConfig `yaml:"breaker"`
	// WindowBreaker is a sliding-window breaker (resilience4j's
	// semantics) in front of every attempt; nil: none.
	WindowBreaker *resilience.WindowBreakerConfig `yaml:"window_breaker"`
	// Bulkhead bounds the attempts in flight to Target, with at most
	// MaxWaiting attempts waiting (until their deadline) for a slot; nil:
	// none.
	Bulkhead *resilience.BulkheadConfig `yaml:"bulkhead"`
	// RateLimit bounds the attempts sent to Target (x/time/rate, no
	// waiting: an attempt finding the bucket empty is rejected); nil: none.
	RateLimit *resilience.RateLimitConfig `yaml:"rate_limit"`
	// Fallback turns a failed call into a degraded success: the service
	// still answers 200, with the header Degraded naming the target.
	Fallback bool `yaml:"fallback"`
	// OutlierDetection ejects an instance of Target that fails attempts
	// in a row from this instance's balancing for a while: the
	// simulator's balance.Outlier (Envoy's semantics), its virtual time
	// the real time since the service started. nil: none.
	OutlierDetection *balance.OutlierConfig `yaml:"outlier_detection"`
}

// Clone deep-copies c, so that SetDefaults on the copy leaves the
// caller's config (and the policies its pointers share) alone.
func (c ServiceConfig) Clone() ServiceConfig {
	c.ServiceTime = cloneDist(c.ServiceTime)
	c.RateLimit = clonePtr(c.RateLimit)
	c.Calls = slices.Clone(c.Calls)
	for i := range c.Calls {
		cc := &c.Calls[i]
		cc.Retry = cc.Retry.Clone()
		cc.Addrs = slices.Clone(cc.Addrs)
		cc.Breaker, cc.WindowBreaker = clonePtr(cc.Breaker), clonePtr(cc.WindowBreaker)
		cc.Bulkhead, cc.RateLimit = clonePtr(cc.Bulkhead), clonePtr(cc.RateLimit)
		cc.OutlierDetection = clonePtr(cc.OutlierDetection)
	}
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneDist(d sim.DistSpec) sim.DistSpec {
	d.Samples, d.Edges = slices.Clone(d.Samples), slices.Clone(d.Edges)
	d.Counts, d.Weights = slices.Clone(d.Counts), slices.Clone(d.Weights)
	d.Of = slices.Clone(d.Of)
	for i := range d.Of {
		d.Of[i] = cloneDist(d.Of[i])
	}
	return d
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// SetDefaults fills every zero field that has a default, in the calls and
// their policies too.
func (c *ServiceConfig) SetDefaults() {
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Instances == 0 {
		c.Instances = 1
	}
	if c.Mode == "" {
		c.Mode = Sequential
	}
	if c.RateLimit != nil {
		c.RateLimit.SetDefaults()
	}
	for i := range c.Calls {
		c.Calls[i].SetDefaults()
	}
}

// SetDefaults fills every zero field that has a default.
func (c *CallConfig) SetDefaults() {
	if c.Timeout == 0 {
		c.Timeout = DefaultCallTimeout
	}
	if c.Balancer == "" {
		c.Balancer = RoundRobin
	}
	if c.Retry != nil {
		c.Retry.SetDefaults()
	}
	if c.Breaker != nil {
		c.Breaker.SetDefaults()
	}
	if c.WindowBreaker != nil {
		c.WindowBreaker.SetDefaults()
	}
	if c.Bulkhead != nil {
		c.Bulkhead.SetDefaults()
	}
	if c.RateLimit != nil {
		c.RateLimit.SetDefaults()
	}
	if c.OutlierDetection != nil {
		c.OutlierDetection.SetDefaults()
	}
}

// Validate reports the first invalid field, by its yaml path; run it
// after SetDefaults. Listen and Addrs may be empty (the harness fills
// them); Serve requires them.
func (c *ServiceConfig) Validate() error {
	switch {
	case !namePattern.MatchString(c.Name):
		return invalid("name", "must match %s, got %q", namePattern, c.Name)
	case c.Listen != "" && !loopback(c.Listen):
		return invalid("listen", "must be 127.0.0.1:port, got %q", c.Listen)
	case c.Instances < 1 || c.Instances > MaxInstances:
		return invalid("instances", "must be in [1, %d], got %d", MaxInstances, c.Instances)
	case c.Instance < 0 || c.Instance >= c.Instances:
		return invalid("instance", "must be in [0, instances %d), got %d", c.Instances, c.Instance)
	case c.Workers < 1:
		return invalid("workers", "must be >= 1, got %d", c.Workers)
	case c.QueueLimit < 0:
		return invalid("queue_limit", "must be >= 0 (0: no queue), got %d", c.QueueLimit)
	case !(c.ErrorRate >= 0 && c.ErrorRate <= 1):
		return invalid("error_rate", "must be in [0, 1], got %v", c.ErrorRate)
	case c.Mode != Sequential && c.Mode != Parallel:
		return invalid("mode", "must be sequential or parallel, got %q", c.Mode)
	case c.CallQuorum < 0 || c.CallQuorum > len(c.Calls):
		return invalid("call_quorum", "must be in [0, %d] (0 waits for every call), got %d", len(c.Calls), c.CallQuorum)
	case c.CallQuorum > 0 && c.Mode != Parallel:
		return invalid("call_quorum", "needs mode parallel, got %d with mode %s", c.CallQuorum, c.Mode)
	}
	if c.ServiceTime.Kind != "" {
		if _, err := c.ServiceTime.Build(); err != nil {
			return under("service_time", err)
		}
	}
	if c.RateLimit != nil {
		if err := c.RateLimit.Validate(); err != nil {
			return under("rate_limit", err)
		}
	}
	for i := range c.Calls {
		if err := c.Calls[i].Validate(); err != nil {
			return under(field.Index("calls", i), err)
		}
	}
	return nil
}

// Validate reports the first invalid field, by its yaml path.
func (c *CallConfig) Validate() error {
	switch {
	case !namePattern.MatchString(c.Target):
		return invalid("target", "must name a service, got %q", c.Target)
	case slices.ContainsFunc(c.Addrs, func(a string) bool { return !loopback(a) }):
		return invalid("addrs", "must all be 127.0.0.1:port, got %q", c.Addrs)
	case balance.CheckPolicy(c.Balancer) != nil:
		return under("balancer", balance.CheckPolicy(c.Balancer))
	case c.Timeout <= 0:
		return invalid("timeout", "must be > 0, got %v", c.Timeout)
	}
	type part struct {
		name string
		set  bool
		v    interface{ Validate() error }
	}
	for _, p := range []part{
		{"retry", c.Retry != nil, c.Retry},
		{"breaker", c.Breaker != nil, c.Breaker},
		{"window_breaker", c.WindowBreaker != nil, c.WindowBreaker},
		{"bulkhead", c.Bulkhead != nil, c.Bulkhead},
		{"rate_limit", c.RateLimit != nil, c.RateLimit},
		{"outlier_detection", c.OutlierDetection != nil, c.OutlierDetection},
	} {
		if !p.set {
			continue
		}
		if err := p.v.Validate(); err != nil {
			return under(p.name, err)
		}
	}
	return nil
}

// loopback reports whether addr is 127.0.0.1:port with a port in 1..65535.
func loopback(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		return false
	}
	p, err := net.LookupPort("tcp", port)
	return err == nil && p > 0 && p <= math.MaxUint16
}
