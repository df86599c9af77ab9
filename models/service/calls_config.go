package service

import (
	"fmt"
	"time"

	"faultline/models/resilience"
)

// Call modes of a service with calls.
const (
	Sequential = "sequential"
	Parallel   = "parallel"
)

// DefaultCallTimeout is the per-attempt timeout of a call that gives none.
const DefaultCallTimeout = time.Second

// Call is one dependency of a service: after an instance has done its own
// work on a request (service_time), it calls Service and the request waits
// for the answer, holding its worker (a thread blocked on I/O). The
// policies wrap each attempt in resilience4j's recommended order: the
// retry outermost, then the circuit breaker, then the rate limiter and
// the bulkhead; a call the rate limiter or bulkhead turns away counts as a
// failure for the breaker. Each instance keeps its own policies, as a
// client library in each process does.
type Call struct {
	// Service is the name of the service called. Required.
	Service string `yaml:"service"`
	// Balancer picks the instance of each attempt: round_robin (the
	// default), random, least_outstanding or p2c.
	Balancer string `yaml:"balancer"`
	// Timeout bounds each attempt, from when it is sent (a wait for a
	// bulkhead slot counts). Default 1s; must be > 0. A request's
	// propagated deadline shortens it (see Config.HonorDeadlines).
	Timeout time.Duration `yaml:"timeout"`
	// Retry retries failed attempts; nil never retries.
	Retry *RetryConfig `yaml:"retry"`
	// Breaker is a consecutive-failure circuit breaker with
	// sony/gobreaker's semantics; nil has none.
	Breaker *resilience.BreakerConfig `yaml:"breaker"`
	// WindowBreaker is a sliding-window circuit breaker with
	// resilience4j's semantics; nil has none.
	WindowBreaker *resilience.WindowBreakerConfig `yaml:"window_breaker"`
	// Bulkhead bounds the calls in flight to this dependency from one
	// instance; nil has no bound.
	Bulkhead *resilience.BulkheadConfig `yaml:"bulkhead"`
	// RateLimit is a token bucket on the attempts to this dependency from
	// one instance (golang.org/x/time/rate's semantics); nil has none.
	RateLimit *resilience.RateLimitConfig `yaml:"rate_limit"`
	// Fallback answers a failed call with a degraded response (a cached
	// or default value) instead of failing the request. Default false.
	Fallback bool `yaml:"fallback"`
}

// clone copies the pointed-to settings, so that defaults never write into
// the caller's.
func (c Call) clone() Call {
	c.Retry = c.Retry.Clone()
	c.Breaker = clonePtr(c.Breaker)
	c.WindowBreaker = clonePtr(c.WindowBreaker)
	c.Bulkhead = clonePtr(c.Bulkhead)
	c.RateLimit = clonePtr(c.RateLimit)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// setDefaults fills every zero field that has a default.
func (c *Call) setDefaults() {
	if c.Balancer == "" {
		c.Balancer = "round_robin"
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultCallTimeout
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
}

// validate reports the first invalid field of calls[i].
func (c *Call) validate(i int) error {
	at := func(f string) string { return fmt.Sprintf("calls[%d].%s", i, f) }
	switch {
	case c.Service == "":
		return fieldErr(at("service"), "is required (the name of a service)")
	case c.Timeout <= 0:
		return fieldErr(at("timeout"), "must be > 0, got %v", c.Timeout)
	}
	if err := CheckPolicy(c.Balancer); err != nil {
		return fieldErr(at("balancer"), "%v", err)
	}
	checks := []struct {
		field string
		on    bool
		check func() error
	}{
		{"retry.", c.Retry != nil, func() error { return c.Retry.Validate() }},
		{"breaker.", c.Breaker != nil, func() error { return c.Breaker.Validate() }},
		{"window_breaker.", c.WindowBreaker != nil, func() error { return c.WindowBreaker.Validate() }},
		{"bulkhead.", c.Bulkhead != nil, func() error { return c.Bulkhead.Validate() }},
		{"rate_limit.", c.RateLimit != nil, func() error { return c.RateLimit.Validate() }},
	}
	for _, ch := range checks {
		if !ch.on {
			continue
		}
		if err := ch.check(); err != nil {
			return prefixErr(at(ch.field), err)
		}
	}
	return nil
}

// validateCalls checks the call settings of c.
func (c Config) validateCalls() error {
	switch {
	case c.CallMode != Sequential && c.CallMode != Parallel:
		return fieldErr("call_mode", "must be sequential or parallel, got %q", c.CallMode)
	case c.CallQuorum < 0 || c.CallQuorum > len(c.Calls):
		return fieldErr("call_quorum", "must be in [0, %d] (0 waits for every call), got %d", len(c.Calls), c.CallQuorum)
	case c.CallQuorum > 0 && c.CallMode != Parallel:
		return fieldErr("call_quorum", "needs call_mode parallel, got call_mode %s", c.CallMode)
	}
	for i := range c.Calls {
		if c.Calls[i].Service == c.Name {
			return fieldErr(fmt.Sprintf("calls[%d].service", i), "a service cannot call itself (%q)", c.Name)
		}
		if err := c.Calls[i].validate(i); err != nil {
			return err
		}
	}
	return nil
}
