package load

import (
	"errors"
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/sim"
)

// DefaultTimeout is the client deadline of a zero Timeout.
const DefaultTimeout = time.Second

// DefaultThinkTime is the think time of a closed loop that gives none:
// exponential with mean 1 s.
var DefaultThinkTime = sim.DistSpec{Kind: "exponential", Mean: 1}

// Config is the load section of a scenario: one generator. The yaml tags
// are the scenario language's field names, and the errors of Validate use
// them.
type Config struct {
	// Target is the name of the service the client calls. Required.
	Target string `yaml:"target"`
	// Balancer is the client-side balancing policy (see
	// balance.New): round_robin (the default), random,
	// least_outstanding or p2c.
	Balancer string `yaml:"balancer"`
	// Timeout is the client's deadline per request, from its intended
	// start; a request with no answer by then is a timeout. Default 1s;
	// must be > 0.
	Timeout time.Duration `yaml:"timeout"`
	// Open is open-loop Poisson arrivals with this rate schedule. Exactly
	// one of Open and Closed must be set.
	Open *Schedule `yaml:"open"`
	// Closed is closed-loop users.
	Closed *Closed `yaml:"closed"`
	// Retry retries failed attempts; nil never retries.
	Retry *resilience.RetryConfig `yaml:"retry"`
	// OutlierDetection ejects an instance that fails attempts in a row
	// from the client's balancing for a while (Envoy's outlier
	// detection); nil never ejects.
	OutlierDetection *balance.OutlierConfig `yaml:"outlier_detection"`
}

// Closed is a closed loop: Users users, each sending a request, waiting
// for its outcome, thinking for a ThinkTime draw, and sending the next.
// Each user starts with a think time too, so users do not all fire at 0.
type Closed struct {
	// Users is the number of users; must be >= 1.
	Users int `yaml:"users"`
	// ThinkTime is the pause between a user's requests, in seconds.
	// Default exponential with mean 1 s; its mean must be > 0 (so that
	// virtual time always moves on).
	ThinkTime sim.DistSpec `yaml:"think_time"`
}

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("invalid load config")

// invalid returns a config error at path that matches ErrConfig under
// errors.Is.
func invalid(path, format string, args ...any) error {
	return &field.Error{Path: path, Msg: fmt.Sprintf(format, args...), Err: ErrConfig}
}

// under places err, the error of the part at path, under path; the result
// matches ErrConfig as well as what err matched (sim.ErrParam for a bad
// distribution).
func under(path string, err error) error {
	fe := field.Under(path, err).(*field.Error)
	fe.Err = errors.Join(ErrConfig, err)
	return fe
}

// SetDefaults fills every zero field that has a default.
func (c *Config) SetDefaults() {
	if c.Balancer == "" {
		c.Balancer = balance.DefaultPolicy
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Open != nil {
		c.Open.SetDefaults()
	}
	if c.Closed != nil && c.Closed.ThinkTime.Kind == "" {
		c.Closed.ThinkTime = DefaultThinkTime
	}
	if c.OutlierDetection != nil {
		c.OutlierDetection.SetDefaults()
	}
	if c.Retry != nil {
		c.Retry.SetDefaults()
	}
}

// Validate reports the first field out of range as a *field.Error with
// the field's yaml path, e.g. "open.rps: must be > 0 and finite
// (requests/s), got 0". Call SetDefaults first.
func (c Config) Validate() error {
	switch {
	case c.Target == "":
		return invalid("target", "is required (the name of a service)")
	case c.Timeout <= 0:
		return invalid("timeout", "must be > 0, got %v", c.Timeout)
	case (c.Open == nil) == (c.Closed == nil):
		return invalid("open", "exactly one of open and closed must be set, got %s", bothOrNeither(c.Open != nil))
	}
	if err := balance.CheckPolicy(c.Balancer); err != nil {
		return under("balancer", err)
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
	if c.Open != nil {
		if err := c.Open.Validate(); err != nil {
			return field.Under("open", err)
		}
		return nil
	}
	_, err := c.Closed.build()
	return err
}

func bothOrNeither(both bool) string {
	if both {
		return "both"
	}
	return "neither"
}

// build validates a closed loop and returns its think-time distribution.
func (c *Closed) build() (sim.Dist, error) {
	if c.Users < 1 {
		return nil, invalid("closed.users", "must be >= 1, got %d", c.Users)
	}
	spec := c.ThinkTime
	if spec.Kind == "" {
		spec = DefaultThinkTime
	}
	d, err := spec.Build()
	if err != nil {
		return nil, under("closed.think_time", err)
	}
	// A mean of 0 would let a user whose requests end at once (ideal
	// links, a crashed instance) resend forever at one instant.
	if !(d.Mean() > 0) {
		return nil, invalid("closed.think_time", "must have a mean > 0 s, got %s", d)
	}
	return d, nil
}
