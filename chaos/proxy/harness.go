package proxy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
)

// Event is one change the harness made to Toxiproxy, for the run's record
// of real fault windows.
type Event struct {
	// At is the wall-clock time since the start of the run.
	At     time.Duration `json:"at_ns"`
	Action string        `json:"action"` // create, delete, add, remove, disable, enable, reset
	Proxy  string        `json:"proxy,omitempty"`
	Toxic  string        `json:"toxic,omitempty"`
	Type   string        `json:"type,omitempty"`
	Stream string        `json:"stream,omitempty"`
	// Toxicity is the probability, rolled once per connection, that the
	// toxic acts on it.
	Toxicity float64        `json:"toxicity,omitempty"`
	Attrs    map[string]any `json:"attributes,omitempty"`
	Err      string         `json:"error,omitempty"`
}

// DefaultCallTimeout bounds each call to the Toxiproxy API.
const DefaultCallTimeout = 3 * time.Second

// Harness owns the proxies of one run.
type Harness struct {
	client  *toxiclient.Client
	prefix  string
	start   time.Time
	timeout time.Duration

	mu      sync.Mutex
	proxies map[string]*toxiclient.Proxy // by short name
	order   []string
	toxics  map[[2]string]bool // (proxy, toxic) currently added
	// disabled counts, per proxy, the faults that hold it disabled: it is
	// enabled again only when the last of them lets go, so that
	// overlapping cuts on one proxy do not end each other.
	disabled map[string]int
	switches map[string]*sync.Mutex // serialises each proxy's enable and disable calls
	events   []Event
}

// New returns a harness on the Toxiproxy API at addr. prefix makes this
// run's proxy names unique on the server; times are recorded since start.
func New(addr, prefix string, start time.Time) *Harness {
	return &Harness{client: toxiclient.NewClient(addr), prefix: prefix, start: start, timeout: DefaultCallTimeout,
		proxies: map[string]*toxiclient.Proxy{}, toxics: map[[2]string]bool{}, disabled: map[string]int{},
		switches: map[string]*sync.Mutex{}}
}

// call runs f with a deadline: the Toxiproxy client has none. A call
// that times out keeps running in its goroutine until Toxiproxy answers
// (at most its own 25 s API timeout).
func call[T any](ctx context.Context, timeout time.Duration, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, fmt.Errorf("toxiproxy call timed out after %v", timeout)
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

func (h *Harness) record(e Event, err error) {
	if err != nil {
		e.Err = err.Error()
	}
	h.mu.Lock()
	e.At = time.Since(h.start)
	h.events = append(h.events, e)
	h.mu.Unlock()
}

// Create makes proxy name listening on a free loopback port, forwarding
// to upstream, and returns the address it listens on.
func (h *Harness) Create(ctx context.Context, name, upstream string) (string, error) {
	full := h.prefix + name
	p, err := call(ctx, h.timeout, func() (*toxiclient.Proxy, error) {
		return h.client.CreateProxy(full, "127.0.0.1:0", upstream)
	})
	h.record(Event{Action: "create", Proxy: full}, err)
	if err != nil {
		return "", fmt.Errorf("create proxy %s: %w", full, err)
	}
	h.mu.Lock()
	h.proxies[name] = p
	h.order = append(h.order, name)
	h.mu.Unlock()
	return p.Listen, nil
}

func (h *Harness) proxy(name string) (*toxiclient.Proxy, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.proxies[name]
	if !ok {
		return nil, fmt.Errorf("no proxy %q in this run", name)
	}
	return p, nil
}

// AddToxic adds a toxic of type typ to the stream ("upstream" or
// "downstream") of proxy name. toxicity, in (0, 1], is the probability
// that the toxic acts on a connection (Toxiproxy rolls it once per
// connection); 1 for every connection.
func (h *Harness) AddToxic(ctx context.Context, name, toxic, typ, stream string, toxicity float64, attrs map[string]any) error {
	if !(toxicity > 0 && toxicity <= 1) {
		return fmt.Errorf("toxic %s on %s: toxicity must be in (0, 1], got %v", toxic, name, toxicity)
	}
	p, err := h.proxy(name)
	if err != nil {
		return err
	}
	// Register before injecting: Cleanup removes it even if the answer
	// is lost.
	h.mu.Lock()
	h.toxics[[2]string{name, toxic}] = true
	h.mu.Unlock()
	_, err = call(ctx, h.timeout, func() (*toxiclient.Toxic, error) {
		return p.AddToxic(toxic, typ, stream, float32(toxicity), toxiclient.Attributes(attrs))
	})
	h.record(Event{Action: "add", Proxy: p.Name, Toxic: toxic, Type: typ, Stream: stream, Toxicity: toxicity, Attrs: attrs}, err)
	return err
}

// RemoveToxic removes a toxic this run added.
func (h *Harness) RemoveToxic(ctx context.Context, name, toxic string) error {
	p, err := h.proxy(name)
	if err != nil {
		return err
	}
	_, err = call(ctx, h.timeout, func() (struct{}, error) { return struct{}{}, p.RemoveToxic(toxic) })
	h.record(Event{Action: "remove", Proxy: p.Name, Toxic: toxic}, err)
	if err == nil {
		h.mu.Lock()
		delete(h.toxics, [2]string{name, toxic})
		h.mu.Unlock()
	}
	return err
}

// SetEnabled disables (refusing every connection and dropping the open
// ones) or re-enables proxy name. Disables nest: a proxy disabled by two
// overlapping faults stays disabled until both have re-enabled it.
func (h *Harness) SetEnabled(ctx context.Context, name string, enabled bool) error {
	return h.setEnabled(ctx, name, enabled, false)
}

// setEnabled is SetEnabled; force re-enables whatever holds the proxy
// disabled (Heal).
func (h *Harness) setEnabled(ctx context.Context, name string, enabled, force bool) error {
	p, err := h.proxy(name)
	if err != nil {
		return err
	}
	h.mu.Lock()
	sw, ok := h.switches[name]
	if !ok {
		sw = &sync.Mutex{}
		h.switches[name] = sw
	}
	h.mu.Unlock()
	sw.Lock()
	defer sw.Unlock()
	h.mu.Lock()
	holds := h.disabled[name]
	h.mu.Unlock()
	action := "enable"
	switch {
	case !enabled && holds > 0:
		h.mu.Lock()
		h.disabled[name]++
		h.mu.Unlock()
		h.record(Event{Action: "disable (already disabled)", Proxy: p.Name}, nil)
		return nil
	case !enabled:
		action = "disable"
	case holds == 0:
		return nil // not disabled by this run
	case holds > 1 && !force:
		h.mu.Lock()
		h.disabled[name]--
		h.mu.Unlock()
		h.record(Event{Action: "enable (still disabled by another fault)", Proxy: p.Name}, nil)
		return nil
	}
	if !enabled {
		h.mu.Lock()
		h.disabled[name] = 1 // counted before the call: Heal re-enables it even if the call fails
		h.mu.Unlock()
	}
	_, err = call(ctx, h.timeout, func() (struct{}, error) {
		if enabled {
			return struct{}{}, p.Enable()
		}
		return struct{}{}, p.Disable()
	})
	h.record(Event{Action: action, Proxy: p.Name}, err)
	if err == nil && enabled {
		h.mu.Lock()
		delete(h.disabled, name)
		h.mu.Unlock()
	}
	return err
}

// SetStart moves the origin of the event times (e.g. to the start of the
// load, once the setup is done); events recorded before keep their times
// until Events, which reports every time since the new origin.
func (h *Harness) SetStart(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	shift := t.Sub(h.start)
	for i := range h.events {
		h.events[i].At -= shift
	}
	h.start = t
}

// Events returns every change made so far, in order.
func (h *Harness) Events() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

// Heal removes every toxic and re-enables every proxy of the run, each
// call bounded; it returns the errors it met.
func (h *Harness) Heal(ctx context.Context) error {
	h.mu.Lock()
	var toxics [][2]string
	for k := range h.toxics {
		toxics = append(toxics, k)
	}
	var disabled []string
	for k := range h.disabled {
		disabled = append(disabled, k)
	}
	h.mu.Unlock()
	slices.SortFunc(toxics, func(a, b [2]string) int { return cmp.Compare(a[0]+"/"+a[1], b[0]+"/"+b[1]) })
	slices.Sort(disabled)
	var errs []error
	for _, t := range toxics {
		errs = append(errs, h.RemoveToxic(ctx, t[0], t[1]))
	}
	for _, name := range disabled {
		errs = append(errs, h.setEnabled(ctx, name, true, true))
	}
	return errors.Join(errs...)
}

// Cleanup heals and then deletes every proxy of the run. It does not use
// the run's context (which may be cancelled already): each call has its
// own deadline. If a proxy cannot be deleted, it falls back to resetting
// the server's state (every toxic removed, every proxy enabled) and
// retries once.
func (h *Harness) Cleanup() error {
	ctx := context.Background()
	healErr := h.Heal(ctx)
	h.mu.Lock()
	names := slices.Clone(h.order)
	h.mu.Unlock()
	var failed []string
	for _, name := range names {
		if err := h.deleteProxy(ctx, name); err != nil {
			failed = append(failed, name)
		}
	}
	if len(failed) == 0 {
		return nil // a toxic that would not go went with its proxy
	}
	_, err := call(ctx, h.timeout, func() (struct{}, error) { return struct{}{}, h.client.ResetState() })
	h.record(Event{Action: "reset"}, err)
	var errs []error
	for _, name := range failed {
		errs = append(errs, h.deleteProxy(ctx, name))
	}
	if e := errors.Join(errs...); e != nil {
		return errors.Join(healErr, e)
	}
	return nil
}

func (h *Harness) deleteProxy(ctx context.Context, name string) error {
	p, err := h.proxy(name)
	if err != nil {
		return nil // already gone
	}
	_, err = call(ctx, h.timeout, func() (struct{}, error) { return struct{}{}, p.Delete() })
	h.record(Event{Action: "delete", Proxy: p.Name}, err)
	if err != nil {
		return err
	}
	h.mu.Lock()
	delete(h.proxies, name)
	for k := range h.toxics {
		if k[0] == name {
			delete(h.toxics, k)
		}
	}
	delete(h.disabled, name)
	h.mu.Unlock()
	return nil
}

// Remaining asks the server how many proxies of this run exist and how
// many toxics they hold: both 0 after Cleanup.
func (h *Harness) Remaining(ctx context.Context) (proxies, toxics int, err error) {
	all, err := call(ctx, h.timeout, h.client.Proxies)
	if err != nil {
		return 0, 0, err
	}
	for name, p := range all {
		if strings.HasPrefix(name, h.prefix) {
			proxies++
			toxics += len(p.ActiveToxics)
		}
	}
	return proxies, toxics, nil
}
