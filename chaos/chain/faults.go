package chain

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"
)

// Fault types: Toxiproxy v2.5.0's toxics and Down, which disables the
// link's proxy (every connection refused, the open ones dropped), on a
// link; Crash and Pause on a service's process.
const (
	FaultLatency   = "latency"    // latency, jitter (ms)
	FaultTimeout   = "timeout"    // timeout (ms; 0 holds data until removed: a black hole)
	FaultResetPeer = "reset_peer" // timeout (ms)
	FaultBandwidth = "bandwidth"  // rate (KB/s)
	FaultSlowClose = "slow_close" // delay (ms)
	FaultSlicer    = "slicer"     // average_size, size_variation (bytes), delay (µs)
	FaultLimitData = "limit_data" // bytes
	FaultDown      = "down"
	// FaultCrash kills the service (SIGKILL) and restarts it, with the
	// same config and port, at the fault's end.
	FaultCrash = "crash"
	// FaultPause stops the service (SIGSTOP) and resumes it (SIGCONT) at
	// the fault's end: connections are accepted by the kernel and then
	// hang, like a long GC pause.
	FaultPause = "pause"
)

var (
	linkFaults    = []string{FaultLatency, FaultTimeout, FaultResetPeer, FaultBandwidth, FaultSlowClose, FaultSlicer, FaultLimitData, FaultDown}
	serviceFaults = []string{FaultCrash, FaultPause}
)

// ProcessEvent is one signal the harness sent a service for a fault, for
// the run's record of real fault windows.
type ProcessEvent struct {
	At      time.Duration `json:"at_ns"`   // since the chain started
	Action  string        `json:"action"`  // kill, restart, stop, continue
	Service string        `json:"service"` // the instance
	PID     int           `json:"pid"`
	Err     string        `json:"error,omitempty"`
}

// Fault is one fault on one link for a bounded time.
type Fault struct {
	// Link is "caller->target", e.g. "b->c", or "client-><entry>", for
	// the toxics and down.
	Link string `yaml:"link"`
	// Instances narrows a link fault to the proxies of these instances of
	// the link's target (0 for "api-0"); empty: every instance. The
	// instances of a caller share their proxies, so a fault cannot single
	// out one of them.
	Instances []int `yaml:"instances"`
	// Service is what crash and pause act on: a service (every instance)
	// or one instance of it ("api-1").
	Service string `yaml:"service"`
	// Type is a toxic's type (latency, timeout, reset_peer, bandwidth,
	// slow_close, slicer, limit_data), down, crash or pause.
	Type string `yaml:"type"`
	// Stream is downstream (the default: callee to caller) or upstream;
	// ignored by down.
	Stream string `yaml:"stream"`
	// Attributes are the toxic's, in Toxiproxy's units (e.g. latency:
	// {latency: 500} for 500 ms).
	Attributes map[string]any `yaml:"attributes"`
	// Toxicity is the probability that a toxic acts on a connection
	// (rolled once per connection). Default 1; must be in (0, 1].
	Toxicity float64 `yaml:"toxicity"`
	// At is when the fault starts, from the start of the load; must be >= 0.
	At time.Duration `yaml:"at"`
	// For is how long it lasts; must be > 0.
	For time.Duration `yaml:"for"`
}

// End is when the fault is removed.
func (f Fault) End() time.Duration { return f.At + f.For }

// SetDefaults fills the stream and the toxicity.
func (f *Fault) SetDefaults() {
	if f.Stream == "" {
		f.Stream = "downstream"
	}
	if f.Toxicity == 0 {
		f.Toxicity = 1
	}
}

// Validate reports the first invalid field; links and services are the
// chain's.
func (f *Fault) Validate(links, services []string) error {
	onService := slices.Contains(serviceFaults, f.Type)
	switch {
	case !onService && !slices.Contains(linkFaults, f.Type):
		return invalid("type: must be one of %v or %v, got %q", linkFaults, serviceFaults, f.Type)
	case onService && !slices.Contains(services, f.Service):
		return invalid("service: %s needs one of %v, got %q", f.Type, services, f.Service)
	case onService && f.Link != "":
		return invalid("link: must be empty for %s (it acts on a service)", f.Type)
	case !onService && !slices.Contains(links, f.Link):
		return invalid("link: must be one of %v, got %q", links, f.Link)
	case !onService && f.Service != "":
		return invalid("service: must be empty for %s (it acts on a link)", f.Type)
	case onService && len(f.Instances) > 0:
		return invalid("instances: must be empty for %s (name the instance in service)", f.Type)
	case slices.ContainsFunc(f.Instances, func(i int) bool { return i < 0 }):
		return invalid("instances: must be >= 0, got %v", f.Instances)
	case !(f.Toxicity > 0 && f.Toxicity <= 1):
		return invalid("toxicity: must be in (0, 1], got %v", f.Toxicity)
	case f.Stream != "downstream" && f.Stream != "upstream":
		return invalid("stream: must be downstream or upstream, got %q", f.Stream)
	case f.At < 0:
		return invalid("at: must be >= 0, got %v", f.At)
	case f.For <= 0:
		return invalid("for: must be > 0 (every fault is bounded), got %v", f.For)
	}
	return nil
}

// Inject puts fault f in place on its link and returns the function that
// removes it (bounded, with its own deadline: call it even after ctx is
// done). name names the toxic.
func (c *Chain) Inject(ctx context.Context, name string, f Fault) (revert func() error, err error) {
	f.SetDefaults()
	if err := f.Validate(c.links, c.names()); err != nil {
		return nil, err
	}
	switch f.Type {
	case FaultCrash:
		return c.crash(ctx, f.Service)
	case FaultPause:
		return c.pause(f.Service)
	}
	// Every proxy of the link (one per target instance), or those of
	// f.Instances; the reverts of what was applied are collected before
	// each change.
	proxies, err := c.linkProxies(f)
	if err != nil {
		return nil, err
	}
	var reverts []func() error
	revert = func() error {
		var errs []error
		for _, r := range reverts {
			errs = append(errs, r())
		}
		return errors.Join(errs...)
	}
	for _, p := range proxies {
		if f.Type == FaultDown {
			reverts = append(reverts, func() error { return c.h.SetEnabled(context.Background(), p, true) })
			err = c.h.SetEnabled(ctx, p, false)
		} else {
			reverts = append(reverts, func() error { return c.h.RemoveToxic(context.Background(), p, name) })
			err = c.h.AddToxic(ctx, p, name, f.Type, f.Stream, f.Toxicity, f.Attributes)
		}
		if err != nil {
			return revert, fmt.Errorf("fault %s on %s: %w", f.Type, f.Link, err)
		}
	}
	return revert, nil
}

// linkProxies returns the proxies a link fault acts on: the link's, or
// those of f.Instances.
func (c *Chain) linkProxies(f Fault) ([]string, error) {
	all := c.proxies[f.Link]
	if len(f.Instances) == 0 {
		return all, nil
	}
	var out []string
	for _, i := range f.Instances {
		if i >= len(all) {
			return nil, invalid("instances: %s has %d target instances, got %d", f.Link, len(all), i)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// crash kills the instances name designates (a service: all of them) and
// returns their restart, which waits (bounded) until each answers again.
func (c *Chain) crash(ctx context.Context, name string) (func() error, error) {
	idx := c.instances(name)
	for _, i := range idx {
		p := c.proc(i)
		_ = p.Kill()
		c.note("kill", p, nil)
	}
	return func() error {
		var errs []error
		for _, i := range idx {
			err := c.startService(i)
			if err == nil {
				err = c.waitReady(context.WithoutCancel(ctx), i)
			}
			c.note("restart", c.proc(i), err)
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}, nil
}

// pause stops the instances name designates and returns their
// resumption.
func (c *Chain) pause(name string) (func() error, error) {
	var ps []*proc
	for _, i := range c.instances(name) {
		ps = append(ps, c.proc(i))
	}
	resume := func() error {
		var errs []error
		for _, p := range ps {
			err := p.Signal(syscall.SIGCONT)
			c.note("continue", p, err)
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	var errs []error
	for _, p := range ps {
		err := p.Signal(syscall.SIGSTOP)
		c.note("stop", p, err)
		errs = append(errs, err)
	}
	return resume, errors.Join(errs...)
}

// note records a process event.
func (c *Chain) note(action string, p *proc, err error) {
	e := ProcessEvent{At: time.Since(c.started), Action: action, Service: p.Name, PID: p.Pid()}
	if err != nil {
		e.Err = err.Error()
	}
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
}

// ProcessEvents returns every signal sent for a fault so far, in order.
func (c *Chain) ProcessEvents() []ProcessEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

// names lists the names crash and pause accept: every service's, and
// every instance's of a service that has several ("api-1").
func (c *Chain) names() []string {
	var out []string
	for _, s := range c.cfg.Services {
		out = append(out, s.Name)
	}
	for _, inst := range c.insts {
		if inst.Instances > 1 {
			out = append(out, instanceName(inst, inst.Instance))
		}
	}
	return out
}
