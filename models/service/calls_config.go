package service

import (
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/models/resilience"
)

// Call modes of a service with calls.
const (
	Sequential = "sequential"
	Parallel   = "parallel"
	Route      = "route"
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
	Retry *resilience.RetryConfig `yaml:"retry"`
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
	// OutlierDetection ejects an instance that fails attempts in a row
	// from this caller's balancing for a while (Envoy's outlier
	// detection); nil never ejects.
	OutlierDetection *balance.OutlierConfig `yaml:"outlier_detection"`
	// Fallback answers a failed call with a degraded response (a cached
	// or default value) instead of failing the request. Default false.
	Fallback bool `yaml:"fallback"`
	// FallbackTo is a service that a failed call is sent on to, once, with
	// the same timeout and no policies (a strangler fig's route back to
	// the monolith). "" has none; it must not be set with fallback.
	FallbackTo string `yaml:"fallback_to"`
	// Overhead is the protocol's cost per attempt on the caller:
	// encoding the request, framing and decoding the answer (JSON over
	// HTTP/1.1 costs more than protobuf over HTTP/2; measure yours). It
	// delays the request and counts as cpu time of the calling instance.
	// Default 0; must be >= 0.
	Overhead time.Duration `yaml:"overhead"`
	// Compensate, in call_mode saga, is the service whose call undoes this
	// step (a refund for a payment); it is called with the step's timeout
	// and retries when a later step fails. "" for a step with nothing to
	// undo.
	Compensate string `yaml:"compensate"`
	// Idempotent says the called service recognises a retried request
	// (an idempotency key) and applies its effect once.
	Idempotent bool `yaml:"idempotent"`
	// Endpoint names the endpoint of Service the call is for (see
	// Endpoint). "" (the default) draws one per call by the endpoints'
	// weights; it must be "" for a service without endpoints.
	Endpoint string `yaml:"endpoint"`
	// Weight is the share of requests this call gets in call_mode route
	// (relative to the other calls' weights). Default 1; must be >= 0.
	Weight *float64 `yaml:"weight"`
	// Shift moves Weight linearly to another value over time (a migration
	// that sends ever more traffic to a new service); nil keeps it.
	Shift *Shift `yaml:"shift"`
}

// Shift is a linear change of a call's weight: from the call's weight at
// At to To at At+Over.
type Shift struct {
	// To is the weight at the end. Required: must be >= 0.
	To float64 `yaml:"to"`
	// At is when the shift starts. Default 0; must be >= 0.
	At time.Duration `yaml:"at"`
	// Over is how long it takes. Must be > 0.
	Over time.Duration `yaml:"over"`
}

// WeightAt returns the call's routing weight at time t into the run.
func (c Call) WeightAt(t time.Duration) float64 {
	w := 1.0
	if c.Weight != nil {
		w = *c.Weight
	}
	s := c.Shift
	switch {
	case s == nil || t <= s.At:
		return w
	case t >= s.At+s.Over:
		return s.To
	}
	f := float64(t-s.At) / float64(s.Over)
	return w + f*(s.To-w)
}

// clone copies the pointed-to settings, so that defaults never write into
// the caller's.
func (c Call) clone() Call {
	c.Retry = c.Retry.Clone()
	c.Breaker = clonePtr(c.Breaker)
	c.WindowBreaker = clonePtr(c.WindowBreaker)
	c.Bulkhead = clonePtr(c.Bulkhead)
	c.RateLimit = clonePtr(c.RateLimit)
	c.Weight = clonePtr(c.Weight)
	c.Shift = clonePtr(c.Shift)
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
	if c.OutlierDetection != nil {
		c.OutlierDetection.SetDefaults()
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
	case c.Overhead < 0:
		return fieldErr(at("overhead"), "must be >= 0, got %v", c.Overhead)
	case c.FallbackTo != "" && c.Fallback:
		return fieldErr(at("fallback_to"), "cannot be set with fallback: true (a failed call gets one or the other)")
	case c.FallbackTo == c.Service && c.FallbackTo != "":
		return fieldErr(at("fallback_to"), "must differ from the service called (%q)", c.Service)
	case c.Weight != nil && !(*c.Weight >= 0):
		return fieldErr(at("weight"), "must be >= 0, got %v", *c.Weight)
	}
	if s := c.Shift; s != nil {
		switch {
		case !(s.To >= 0):
			return fieldErr(at("shift.to"), "must be >= 0, got %v", s.To)
		case s.At < 0:
			return fieldErr(at("shift.at"), "must be >= 0, got %v", s.At)
		case s.Over <= 0:
			return fieldErr(at("shift.over"), "must be > 0, got %v", s.Over)
		}
	}
	if err := balance.CheckPolicy(c.Balancer); err != nil {
		return under(at("balancer"), err)
	}
	checks := []struct {
		field string
		on    bool
		check func() error
	}{
		{"retry", c.Retry != nil, func() error { return c.Retry.Validate() }},
		{"breaker", c.Breaker != nil, func() error { return c.Breaker.Validate() }},
		{"window_breaker", c.WindowBreaker != nil, func() error { return c.WindowBreaker.Validate() }},
		{"bulkhead", c.Bulkhead != nil, func() error { return c.Bulkhead.Validate() }},
		{"rate_limit", c.RateLimit != nil, func() error { return c.RateLimit.Validate() }},
		{"outlier_detection", c.OutlierDetection != nil, func() error { return c.OutlierDetection.Validate() }},
	}
	for _, ch := range checks {
		if !ch.on {
			continue
		}
		if err := ch.check(); err != nil {
			return under(at(ch.field), err)
		}
	}
	return nil
}

// validateCalls checks the call settings of c: the service's calls and
// each endpoint's own.
func (c Config) validateCalls() error {
	if c.CallMode != Sequential && c.CallMode != Parallel && c.CallMode != Route && c.CallMode != Saga {
		return fieldErr("call_mode", "must be sequential, parallel, route or saga, got %q", c.CallMode)
	}
	if err := c.validateCallList("", c.Calls); err != nil {
		return err
	}
	for i, e := range c.Endpoints {
		if e.Calls == nil {
			continue
		}
		prefix := field.Index("endpoints", i)
		if c.CallMode == Saga && len(e.Calls) > 0 {
			return fieldErr(prefix+".calls", "call_mode saga runs the service's calls only: an endpoint's own calls need another call_mode")
		}
		if err := c.validateCallList(prefix, e.Calls); err != nil {
			return err
		}
	}
	return nil
}

// validateCallList checks one list of calls (the service's, or an
// endpoint's at path prefix) against the service's call settings.
func (c Config) validateCallList(prefix string, calls []Call) error {
	switch {
	case prefix == "" && (c.CallQuorum < 0 || c.CallQuorum > len(calls) && (len(calls) > 0 || !c.hasOwnCalls())):
		return fieldErr("call_quorum", "must be in [0, %d] (0 waits for every call), got %d", len(calls), c.CallQuorum)
	case prefix != "" && len(calls) > 0 && c.CallQuorum > len(calls):
		return fieldErr(prefix+".calls", "must list at least call_quorum (%d) calls, got %d", c.CallQuorum, len(calls))
	case c.CallQuorum > 0 && c.CallMode != Parallel:
		return fieldErr("call_quorum", "needs call_mode parallel, got call_mode %s", c.CallMode)
	}
	if c.CallMode == Route && len(calls) > 0 && !anyWeight(calls) {
		return fieldErr(field.Join(prefix, "calls"), "call_mode route needs a call with a weight > 0 at some time")
	}
	for i := range calls {
		if err := c.validateCall(i, calls[i]); err != nil {
			return field.Under(prefix, err)
		}
	}
	return nil
}

// validateCall checks calls[i] of a list against the service's settings.
func (c Config) validateCall(i int, call Call) error {
	if call.Service == c.Name || call.FallbackTo == c.Name && c.Name != "" {
		return fieldErr(fmt.Sprintf("calls[%d].service", i), "a service cannot call itself (%q)", c.Name)
	}
	if err := call.validate(i); err != nil {
		return err
	}
	switch {
	case call.Compensate != "" && c.CallMode != Saga:
		return fieldErr(fmt.Sprintf("calls[%d].compensate", i), "needs call_mode saga, got call_mode %s", c.CallMode)
	case c.CallMode == Saga && (call.Fallback || call.FallbackTo != ""):
		return fieldErr(fmt.Sprintf("calls[%d].fallback", i), "a saga step cannot fall back: it succeeds or is compensated")
	case call.Compensate == c.Name && c.Name != "":
		return fieldErr(fmt.Sprintf("calls[%d].compensate", i), "a service cannot call itself (%q)", c.Name)
	}
	return nil
}

// anyWeight reports whether some call can be routed to: a weight or a
// shift's target above 0.
func anyWeight(calls []Call) bool {
	for _, c := range calls {
		if c.WeightAt(0) > 0 || c.Shift != nil && c.Shift.To > 0 {
			return true
		}
	}
	return false
}
