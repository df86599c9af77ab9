package chain

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Fault types: Toxiproxy v2.5.0's toxics, and Down, which disables the
// link's proxy (every connection refused, the open ones dropped).
const (
	FaultLatency   = "latency"    // latency, jitter (ms)
	FaultTimeout   = "timeout"    // timeout (ms; 0 holds data until removed: a black hole)
	FaultResetPeer = "reset_peer" // timeout (ms)
	FaultBandwidth = "bandwidth"  // rate (KB/s)
	FaultSlowClose = "slow_close" // delay (ms)
	FaultSlicer    = "slicer"     // average_size, size_variation (bytes), delay (µs)
	FaultLimitData = "limit_data" // bytes
	FaultDown      = "down"
)

var faultTypes = []string{FaultLatency, FaultTimeout, FaultResetPeer, FaultBandwidth, FaultSlowClose, FaultSlicer, FaultLimitData, FaultDown}

// Fault is one fault on one link for a bounded time.
type Fault struct {
	// Link is "caller->target", e.g. "b->c", or "client-><entry>".
	Link string `yaml:"link"`
	// Type is a toxic's type (latency, timeout, reset_peer, bandwidth,
	// slow_close, slicer, limit_data) or down.
	Type string `yaml:"type"`
	// Stream is downstream (the default: callee to caller) or upstream;
	// ignored by down.
	Stream string `yaml:"stream"`
	// Attributes are the toxic's, in Toxiproxy's units (e.g. latency:
	// {latency: 500} for 500 ms). Toxicity is always 1.
	Attributes map[string]any `yaml:"attributes"`
	// At is when the fault starts, from the start of the load; must be >= 0.
	At time.Duration `yaml:"at"`
	// For is how long it lasts; must be > 0.
	For time.Duration `yaml:"for"`
}

// End is when the fault is removed.
func (f Fault) End() time.Duration { return f.At + f.For }

// SetDefaults fills the stream.
func (f *Fault) SetDefaults() {
	if f.Stream == "" {
		f.Stream = "downstream"
	}
}

// Validate reports the first invalid field; links lists the chain's links.
func (f *Fault) Validate(links []string) error {
	switch {
	case !slices.Contains(links, f.Link):
		return invalid("link: must be one of %v, got %q", links, f.Link)
	case !slices.Contains(faultTypes, f.Type):
		return invalid("type: must be one of %v, got %q", faultTypes, f.Type)
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
	if err := f.Validate(c.links); err != nil {
		return nil, err
	}
	p := proxyName(f.Link)
	if f.Type == FaultDown {
		revert = func() error { return c.h.SetEnabled(context.Background(), p, true) }
		return revert, c.h.SetEnabled(ctx, p, false)
	}
	revert = func() error { return c.h.RemoveToxic(context.Background(), p, name) }
	if err := c.h.AddToxic(ctx, p, name, f.Type, f.Stream, f.Attributes); err != nil {
		return revert, fmt.Errorf("fault %s on %s: %w", f.Type, f.Link, err)
	}
	return revert, nil
}
