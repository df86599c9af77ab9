package service

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/sim"
)

// Defaults applied by SetDefaults to fields left at zero.
const (
	DefaultInstances     = 1
	DefaultWorkers       = 1
	DefaultDiscipline    = "fifo"
	DefaultRequestBytes  = 512
	DefaultResponseBytes = 1024
)

// Config is one service as written in a scenario file. The yaml tags are
// the scenario language's field names, and the errors of Validate use them.
type Config struct {
	// Name identifies the service; its instances are named <name>-0,
	// <name>-1, ... Required: lower-case letters, digits and dashes, not
	// starting with a dash.
	Name string `yaml:"name"`
	// Instances is the number of identical instances (processes), each on
	// its own network node. Default 1; must be >= 1.
	Instances int `yaml:"instances"`
	// Workers is the number of requests one instance serves at once (its
	// thread or connection pool). Default 1; must be >= 1.
	Workers int `yaml:"workers"`
	// QueueLimit is the most requests that may wait at one instance, not
	// counting those in service; a request that finds the queue full is
	// answered StatusRejected at once. 0 (the default) means unbounded;
	// must be >= 0.
	QueueLimit int `yaml:"queue_limit"`
	// Discipline is the order in which waiting requests are served: "fifo"
	// (oldest first, the default) or "lifo" (newest first, which keeps
	// latency low for most requests under overload at the expense of a
	// few).
	Discipline string `yaml:"discipline"`
	// ServiceTime is the time a worker spends on one request, in seconds.
	// Required; its mean must be >= 0 (negative draws count as 0).
	ServiceTime sim.DistSpec `yaml:"service_time"`
	// RequestBytes is the size of a request on the wire, in bytes; it
	// matters only on links with a bandwidth. Default 512 (which a 0 also
	// takes, see SetDefaults); must be >= 0.
	RequestBytes int `yaml:"request_bytes"`
	// ResponseBytes is the size of a successful response on the wire, in
	// bytes. Rejections and resets carry headers only and count as 0
	// bytes. Default 1024 (which a 0 also takes); must be >= 0.
	ResponseBytes int `yaml:"response_bytes"`
	// Startup is how long an instance added by scaling takes to become
	// ready (process start, warm-up, readiness probe); it gets no traffic
	// before. The instances the service starts with are ready at once.
	// Default 0; must be >= 0.
	Startup time.Duration `yaml:"startup"`
	// MaxInstances is the cluster's capacity for this service: scaling
	// never runs more instances (starting, ready or draining) than this.
	// 0 (the default) means no cap; otherwise must be >= Instances.
	MaxInstances int `yaml:"max_instances"`
	// Autoscale, if set, lets an autoscaler change the number of
	// instances while the scenario runs (see AutoscaleConfig).
	Autoscale *AutoscaleConfig `yaml:"autoscale"`
	// Calls are the services an instance calls for each request, after
	// its own work (see Call). None: a leaf service.
	Calls []Call `yaml:"calls"`
	// CallMode is sequential (the default: one call after the other,
	// stopping at the first that fails without a fallback) or parallel
	// (all at once: a fan-out).
	CallMode string `yaml:"call_mode"`
	// CallQuorum, with call_mode parallel, answers once this many calls
	// have succeeded (the first k of n); 0 (the default) waits for all.
	CallQuorum int `yaml:"call_quorum"`
	// HonorDeadlines makes the service act on its callers' deadlines, as
	// a gRPC server does with a propagated deadline: a request whose
	// deadline has passed when a worker would start it is dropped unserved
	// (answered expired), and the calls made for a request get at most
	// the time it has left. Default false: work goes on for callers that
	// gave up.
	HonorDeadlines bool `yaml:"honor_deadlines"`
	// HealthCheck is a readiness probe that takes instances whose process
	// is down or paused out of rotation; nil has none, so callers keep
	// sending to a dead instance.
	HealthCheck *HealthCheckConfig `yaml:"health_check"`
	// DiscoveryDelay is how long a change of the ready set (a probe, a
	// scale-up or -down) takes to reach callers (registry and client
	// cache propagation). Default 0; must be >= 0.
	DiscoveryDelay time.Duration `yaml:"discovery_delay"`
	// Restart, if set, restarts crashed instances on Kubernetes'
	// CrashLoopBackOff schedule; nil restarts them when the crash fault
	// ends.
	Restart *RestartConfig `yaml:"restart"`
	// Overflow is what a full queue does with a new request: reject it
	// (the default) or drop_oldest (shed the request that has waited
	// longest and queue the new one).
	Overflow string `yaml:"overflow"`
	// RateLimit is a token bucket on the requests each instance admits
	// (golang.org/x/time/rate's semantics, starting full): a request that
	// finds it empty is rejected at once (HTTP 429). nil admits all.
	RateLimit *resilience.RateLimitConfig `yaml:"rate_limit"`
	// RateLimitPerClient gives each caller (a load client, or an instance
	// of a calling service) its own bucket of rate_limit, as an API
	// gateway limits each API key, instead of one bucket per instance.
	RateLimitPerClient bool `yaml:"rate_limit_per_client"`
	// ErrorRate is the share of requests the service fails (HTTP 500)
	// after doing its own work, a bug or a bad dependency it does not
	// model; they make no calls. Default 0; must be in [0, 1].
	ErrorRate float64 `yaml:"error_rate"`
	// Publish names a message broker: once a request's own work and calls
	// have succeeded, the instance hands an event to the broker's
	// producer and answers at once, leaving the rest of the work to the
	// broker's consumers (asynchronous messaging). "" publishes nothing.
	Publish string `yaml:"publish"`
	// Rollout is a rolling update to a new version during the run; nil
	// has none.
	Rollout *RolloutConfig `yaml:"rollout"`
	// Endpoints are the service's operations, each with its own service
	// time and calls (see Endpoint); every request is for one of them.
	// None (the default): every request costs service_time and makes
	// calls.
	Endpoints []Endpoint `yaml:"endpoints"`
}

// Overflow policies of a full queue.
const (
	OverflowReject     = "reject"
	OverflowDropOldest = "drop_oldest"
)

// ErrConfig is wrapped by every error Validate returns, a *field.Error
// whose path is the field's yaml path in a service, e.g. "workers: must
// be >= 1, got 0" or "service_time.mean: must be in (0, +Inf), got 0".
var ErrConfig = errors.New("invalid service config")

// fieldErr returns a config error at path.
func fieldErr(path, format string, args ...any) error {
	return &field.Error{Path: path, Msg: fmt.Sprintf(format, args...), Err: ErrConfig}
}

// under places err, the error of the part at path (a resilience setting,
// a distribution), under path; it matches ErrConfig and what err matched
// (sim.ErrParam for a bad distribution).
func under(path string, err error) error { return field.UnderAs(ErrConfig, path, err) }

// SetDefaults fills every zero field that has a default. It is the one
// place defaults live. Zero cannot be told apart from "not written", so a
// request_bytes or response_bytes of 0 written explicitly also takes the
// default.
func (c *Config) SetDefaults() {
	if c.Instances == 0 {
		c.Instances = DefaultInstances
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Discipline == "" {
		c.Discipline = DefaultDiscipline
	}
	if c.RequestBytes == 0 {
		c.RequestBytes = DefaultRequestBytes
	}
	if c.ResponseBytes == 0 {
		c.ResponseBytes = DefaultResponseBytes
	}
	if c.Autoscale != nil {
		a := *c.Autoscale // never write into the caller's
		a.SetDefaults()
		c.Autoscale = &a
	}
	if c.Overflow == "" {
		c.Overflow = OverflowReject
	}
	if c.RateLimit != nil {
		rl := *c.RateLimit
		rl.SetDefaults()
		c.RateLimit = &rl
	}
	if c.Rollout != nil {
		r := *c.Rollout
		r.Config.SetDefaults()
		c.Rollout = &r
	}
	if c.HealthCheck != nil {
		h := *c.HealthCheck
		h.SetDefaults()
		c.HealthCheck = &h
	}
	if c.Restart != nil {
		r := *c.Restart
		r.SetDefaults()
		c.Restart = &r
	}
	if c.Endpoints != nil {
		eps := make([]Endpoint, len(c.Endpoints))
		for i := range c.Endpoints {
			eps[i] = c.Endpoints[i]
			eps[i].setDefaults(c)
		}
		c.Endpoints = eps
	}
	if c.makesCalls() && c.CallMode == "" {
		c.CallMode = Sequential
	}
	calls := make([]Call, len(c.Calls))
	for i := range c.Calls {
		calls[i] = c.Calls[i].clone()
		calls[i].setDefaults()
	}
	if c.Calls != nil {
		c.Calls = calls
	}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Validate reports the first field out of range. It checks the config as
// it is: call SetDefaults first to fill the defaults.
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return fieldErr("name", "is required (lower-case letters, digits and dashes)")
	case !nameRE.MatchString(c.Name):
		return fieldErr("name", "must be lower-case letters, digits and dashes, not starting with a dash, got %q", c.Name)
	case c.Instances < 1:
		return fieldErr("instances", "must be >= 1, got %d", c.Instances)
	case c.Workers < 1:
		return fieldErr("workers", "must be >= 1, got %d", c.Workers)
	case c.QueueLimit < 0:
		return fieldErr("queue_limit", "must be >= 0 (0 = unbounded), got %d", c.QueueLimit)
	case c.Discipline != "fifo" && c.Discipline != "lifo":
		return fieldErr("discipline", "must be fifo or lifo, got %q", c.Discipline)
	case c.RequestBytes < 0:
		return fieldErr("request_bytes", "must be >= 0, got %d", c.RequestBytes)
	case c.ResponseBytes < 0:
		return fieldErr("response_bytes", "must be >= 0, got %d", c.ResponseBytes)
	case c.Startup < 0:
		return fieldErr("startup", "must be >= 0, got %v", c.Startup)
	case c.MaxInstances != 0 && c.MaxInstances < c.Instances:
		return fieldErr("max_instances", "must be 0 (no cap) or >= instances (%d), got %d", c.Instances, c.MaxInstances)
	}
	if _, err := c.serviceTime(); err != nil {
		return err
	}
	if c.Autoscale != nil {
		if err := c.Autoscale.validate(); err != nil {
			return err
		}
	}
	if err := c.validateHealth(); err != nil {
		return err
	}
	if c.Rollout != nil {
		if c.Autoscale != nil {
			return fieldErr("rollout", "cannot be combined with autoscale (the rollout keeps the replicas)")
		}
		if err := c.Rollout.validate(); err != nil {
			return err
		}
	}
	if !(c.ErrorRate >= 0 && c.ErrorRate <= 1) {
		return fieldErr("error_rate", "must be in [0, 1], got %v", c.ErrorRate)
	}
	if c.Overflow != OverflowReject && c.Overflow != OverflowDropOldest {
		return fieldErr("overflow", "must be reject or drop_oldest, got %q", c.Overflow)
	}
	if c.RateLimit != nil {
		if err := c.RateLimit.Validate(); err != nil {
			return under("rate_limit", err)
		}
	}
	if err := c.validateEndpoints(); err != nil {
		return err
	}
	if c.makesCalls() || c.CallMode != "" || c.CallQuorum != 0 {
		return c.validateCalls()
	}
	return nil
}

// serviceTime builds the service-time distribution, or explains why not
// under the field path service_time.
func (c Config) serviceTime() (sim.Dist, error) {
	if c.ServiceTime.Kind == "" {
		return nil, fieldErr("service_time", "is required: a distribution in seconds, e.g. {kind: exponential, mean: 0.01}")
	}
	d, err := c.ServiceTime.Build()
	if err != nil {
		return nil, under("service_time", err)
	}
	if !(d.Mean() >= 0) {
		return nil, fieldErr("service_time", "must have a mean >= 0 s, got %s", d)
	}
	return d, nil
}
