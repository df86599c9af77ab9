package service

import (
	"fmt"
	"math"

	"github.com/faultline-sim/faultline/sim"
)

// DefaultEndpointWeight is the weight of an endpoint that gives none.
const DefaultEndpointWeight = 1.0

// MaxEndpoints bounds a service's endpoints: the endpoint index travels in
// the upper 16 bits of a request's event kind (see protocol.go).
const MaxEndpoints = 1 << 15

// Endpoint is one operation of a service (an HTTP route, a gRPC method)
// with its own cost and dependencies: a gateway's /browse may call only
// the catalog while /checkout calls payments and shipping. A service with
// endpoints serves every request as one of them.
type Endpoint struct {
	// Name identifies the endpoint within its service. Required: lower-case
	// letters, digits and dashes, unique among the service's endpoints.
	Name string `yaml:"name"`
	// Weight is the endpoint's share of the requests a load client sends
	// to the service, and of the calls of callers that name no endpoint
	// (relative to the other endpoints' weights). Default 1; must be >= 0.
	Weight *float64 `yaml:"weight"`
	// ServiceTime is the time a worker spends on one request of this
	// endpoint, in seconds. Default: the service's service_time; its mean
	// must be >= 0.
	ServiceTime sim.DistSpec `yaml:"service_time"`
	// Calls are the endpoint's own calls, made as the service's calls are
	// (call_mode, call_quorum). nil (not written) makes the service's
	// calls; an empty list makes none.
	Calls []Call `yaml:"calls"`
}

// MarshalYAML writes calls only when the endpoint has its own, so that
// "the service's calls" (nil) and "no calls" ([]) survive a round trip.
func (e Endpoint) MarshalYAML() (any, error) {
	out := struct {
		Name        string       `yaml:"name"`
		Weight      *float64     `yaml:"weight,omitempty"`
		ServiceTime sim.DistSpec `yaml:"service_time"`
		Calls       *[]Call      `yaml:"calls,omitempty"`
	}{Name: e.Name, Weight: e.Weight, ServiceTime: e.ServiceTime}
	if e.Calls != nil {
		out.Calls = &e.Calls
	}
	return out, nil
}

// WeightOrDefault returns the endpoint's weight, 1 if it gives none.
func (e Endpoint) WeightOrDefault() float64 {
	if e.Weight == nil {
		return DefaultEndpointWeight
	}
	return *e.Weight
}

// setDefaults fills the endpoint's defaults from its service's settings;
// it copies what it changes, so the caller's config is never written.
func (e *Endpoint) setDefaults(svc *Config) {
	w := e.WeightOrDefault()
	e.Weight = &w
	if e.ServiceTime.Kind == "" {
		e.ServiceTime = svc.ServiceTime
	}
	if e.Calls == nil {
		return
	}
	calls := make([]Call, len(e.Calls))
	for i := range e.Calls {
		calls[i] = e.Calls[i].clone()
		calls[i].setDefaults()
	}
	e.Calls = calls
}

// hasOwnCalls reports whether some endpoint replaces the service's calls.
func (c Config) hasOwnCalls() bool {
	for _, e := range c.Endpoints {
		if e.Calls != nil {
			return true
		}
	}
	return false
}

// makesCalls reports whether some request of the service makes calls.
func (c Config) makesCalls() bool {
	if len(c.Calls) > 0 {
		return true
	}
	for _, e := range c.Endpoints {
		if len(e.Calls) > 0 {
			return true
		}
	}
	return false
}

// validateEndpoints reports the first invalid field of the endpoints.
func (c Config) validateEndpoints() error {
	if len(c.Endpoints) > MaxEndpoints {
		return fieldErr("endpoints", "must list at most %d endpoints, got %d", MaxEndpoints, len(c.Endpoints))
	}
	total := 0.0
	for i, e := range c.Endpoints {
		at := func(f string) string { return fmt.Sprintf("endpoints[%d].%s", i, f) }
		switch {
		case e.Name == "":
			return fieldErr(at("name"), "is required (lower-case letters, digits and dashes)")
		case !nameRE.MatchString(e.Name):
			return fieldErr(at("name"), "must be lower-case letters, digits and dashes, not starting with a dash, got %q", e.Name)
		case c.EndpointIndex(e.Name) != i:
			return fieldErr(at("name"), "%q is already the name of endpoints[%d]", e.Name, c.EndpointIndex(e.Name))
		case !(e.WeightOrDefault() >= 0) || math.IsInf(e.WeightOrDefault(), 1):
			return fieldErr(at("weight"), "must be >= 0 and finite, got %v", e.WeightOrDefault())
		}
		total += e.WeightOrDefault()
		if _, err := e.dist(at("service_time")); err != nil {
			return err
		}
	}
	if len(c.Endpoints) > 0 && !(total > 0) {
		return fieldErr("endpoints", "need an endpoint with a weight > 0")
	}
	return nil
}

// dist builds the endpoint's service-time distribution (defaults filled),
// or explains why not under field.
func (e Endpoint) dist(field string) (sim.Dist, error) {
	if e.ServiceTime.Kind == "" {
		return nil, fieldErr(field, "is required: a distribution in seconds, e.g. {kind: exponential, mean: 0.01}")
	}
	d, err := e.ServiceTime.Build()
	if err != nil {
		return nil, under(field, err)
	}
	if !(d.Mean() >= 0) {
		return nil, fieldErr(field, "must have a mean >= 0 s, got %s", d)
	}
	return d, nil
}

// EndpointIndex returns the index of the endpoint called name, or -1.
func (c Config) EndpointIndex(name string) int {
	for i, e := range c.Endpoints {
		if e.Name == name {
			return i
		}
	}
	return -1
}

// endpointDists builds each endpoint's service-time distribution; nil for
// a service without endpoints.
func (c Config) endpointDists() ([]sim.Dist, error) {
	var out []sim.Dist
	for i, e := range c.Endpoints {
		d, err := e.dist(fmt.Sprintf("endpoints[%d].service_time", i))
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// PickEndpoint draws an endpoint of eps by weight with one draw of r: the
// endpoint a client or a caller that names none sends a request to. It
// returns 0 without drawing when eps has fewer than two endpoints.
func PickEndpoint(eps []Endpoint, r interface{ Float64() float64 }) int {
	if len(eps) < 2 {
		return 0
	}
	total := 0.0
	for _, e := range eps {
		total += e.WeightOrDefault()
	}
	x := r.Float64() * total
	last := 0
	for i, e := range eps {
		w := e.WeightOrDefault()
		if w > 0 {
			last = i
		}
		if x -= w; x < 0 && w > 0 {
			return i
		}
	}
	return last // rounding: the last endpoint with a weight
}
