package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"

	"faultline/chaos/proxy"
)

// Client is the caller name of the link from the load generator to the
// entry service: faults on "client->gateway" hit every request.
const Client = "client"

// DefaultStartTimeout bounds the wait for every service to answer.
const DefaultStartTimeout = 15 * time.Second

// ErrHarness marks (wrapped) failures of the harness itself: could not
// build or start a service, port in use, Toxiproxy unreachable, cleanup
// incomplete; as opposed to failures of the chain under test, which are
// measured, not returned.
var ErrHarness = errors.New("harness")

// Config is a chain of services.
type Config struct {
	// Services are the chain's services; the first is the entry, which
	// the load generator calls. Names are unique and every call's target
	// names one of them. Listen and Addr are the harness's to set.
	Services []ServiceConfig `yaml:"services"`
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
		return invalid("services: at least one is required")
	}
	names := map[string]bool{}
	for i := range c.Services {
		s := &c.Services[i]
		p := fmt.Sprintf("services[%d].", i)
		if err := s.Validate(); err != nil {
			return under(p, err)
		}
		if names[s.Name] {
			return invalid("%sname: %q is used twice", p, s.Name)
		}
		names[s.Name] = true
	}
	for i, s := range c.Services {
		for j, call := range s.Calls {
			if !names[call.Target] {
				return invalid("services[%d].calls[%d].target: no service named %q", i, j, call.Target)
			}
			if call.Target == s.Name {
				return invalid("services[%d].calls[%d].target: a service may not call itself", i, j)
			}
		}
	}
	return nil
}

// Options are the harness's settings, as opposed to the chain's.
type Options struct {
	// Dir receives each service's config (<name>.yaml) and log
	// (<name>.log); "" means a temporary folder removed by Close.
	Dir string
	// Binary is the chainnode executable (go build
	// ./chaos/chain/cmd/chainnode); "" builds it once per process with
	// the go tool, which needs the faultline module in the working
	// directory's tree.
	Binary string
	// Toxiproxy is the API address of a Toxiproxy server; "" starts one
	// embedded in this process, so no fault can outlive it.
	Toxiproxy string
	// StartTimeout bounds the wait for every service to answer; 0 means
	// DefaultStartTimeout.
	StartTimeout time.Duration
}

// Chain is a started chain: one process per service, one proxy per link.
// Close it, whatever happens.
type Chain struct {
	cfg     Config // Listen and Addr filled
	dir     string
	tempDir bool
	h       *proxy.Harness
	started time.Time
	bin     string        // the chainnode executable, for restarts
	wait    time.Duration // StartTimeout
	links   []string      // every link, "client->entry" first
	entry   string        // the entry link's proxy address
	status  *http.Client
	closed  atomic.Bool

	mu      sync.Mutex
	procs   []*proc // by service index; a crashed service's is replaced
	closing bool    // set by Close: no more (re)starts
	events  []ProcessEvent
}

var chainCounter atomic.Int64

// Link names the link from caller to target, e.g. "gateway->a".
func Link(caller, target string) string { return caller + "->" + target }

// proxyName is a link's proxy name: '_' cannot occur in service names.
func proxyName(link string) string { return strings.Replace(link, "->", "_", 1) }

// Start validates cfg, creates a proxy for every link (the load
// generator's to the entry service included), starts every service as a
// child process dialling its dependencies through those proxies, and
// waits until each answers its status. On error it has already cleaned
// up everything it started.
func Start(ctx context.Context, cfg Config, opt Options) (c *Chain, err error) {
	cfg = clone(cfg)
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c = &Chain{cfg: cfg, dir: opt.Dir, started: time.Now(), status: &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Close())
			c = nil
		}
	}()
	if err := c.prepare(ctx, opt); err != nil {
		return c, err
	}
	c.bin, c.wait = opt.Binary, opt.StartTimeout
	if c.bin == "" {
		if c.bin, err = nodeBinary(ctx); err != nil {
			return c, fmt.Errorf("%w: %v", ErrHarness, err)
		}
	}
	if c.wait == 0 {
		c.wait = DefaultStartTimeout
	}
	for i := range c.cfg.Services {
		if err := c.startService(i); err != nil {
			return c, err
		}
	}
	for i := range c.cfg.Services {
		if err := c.waitReady(ctx, i); err != nil {
			return c, err
		}
	}
	return c, nil
}

// clone deep-copies cfg: Start fills in and defaults its copy.
func clone(cfg Config) Config {
	cfg.Services = slices.Clone(cfg.Services)
	for i := range cfg.Services {
		cfg.Services[i] = cfg.Services[i].clone()
	}
	return cfg
}

// prepare makes the folder, picks the services' ports and creates the
// proxies.
func (c *Chain) prepare(ctx context.Context, opt Options) error {
	var err error
	if c.dir == "" {
		if c.dir, err = os.MkdirTemp("", "faultline-chain-"); err != nil {
			return fmt.Errorf("%w: %v", ErrHarness, err)
		}
		c.tempDir = true
	} else if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("%w: %v", ErrHarness, err)
	}
	api := opt.Toxiproxy
	if api == "" {
		if api, err = proxy.Embedded(); err != nil {
			return fmt.Errorf("%w: %v", ErrHarness, err)
		}
	}
	c.h = proxy.New(api, fmt.Sprintf("chain%d-%d-", os.Getpid(), chainCounter.Add(1)), time.Now())
	listen := map[string]string{}
	for i := range c.cfg.Services {
		s := &c.cfg.Services[i]
		if s.Listen, err = freeAddr(); err != nil {
			return fmt.Errorf("%w: %v", ErrHarness, err)
		}
		listen[s.Name] = s.Listen
	}
	entry := c.cfg.Services[0].Name
	if c.entry, err = c.createLink(ctx, Link(Client, entry), listen[entry]); err != nil {
		return err
	}
	for i := range c.cfg.Services {
		s := &c.cfg.Services[i]
		for j := range s.Calls {
			call := &s.Calls[j]
			if call.Addr, err = c.createLink(ctx, Link(s.Name, call.Target), listen[call.Target]); err != nil {
				return err
			}
		}
	}
	return nil
}

// createLink creates the proxy of a link once (a service calling the
// same target twice shares it).
func (c *Chain) createLink(ctx context.Context, link, upstream string) (string, error) {
	if i := slices.Index(c.links, link); i >= 0 {
		return c.linkAddr(link), nil
	}
	addr, err := c.h.Create(ctx, proxyName(link), upstream)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrHarness, err)
	}
	c.links = append(c.links, link)
	return addr, nil
}

// linkAddr finds an existing link's proxy address in the config.
func (c *Chain) linkAddr(link string) string {
	for _, s := range c.cfg.Services {
		for _, call := range s.Calls {
			if Link(s.Name, call.Target) == link && call.Addr != "" {
				return call.Addr
			}
		}
	}
	return ""
}

// startService writes service i's config and starts its process (again,
// after a crash).
func (c *Chain) startService(i int) error {
	s := c.cfg.Services[i]
	data, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrHarness, s.Name, err)
	}
	path := filepath.Join(c.dir, s.Name+".yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("%w: %v", ErrHarness, err)
	}
	c.mu.Lock() // held while starting, so that Close cannot miss the process
	defer c.mu.Unlock()
	if c.closing {
		return fmt.Errorf("%w: %s not started: the chain is closing", ErrHarness, s.Name)
	}
	p, err := startProc(s.Name, c.bin, filepath.Join(c.dir, s.Name+".log"), "-config", path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrHarness, err)
	}
	if i < len(c.procs) {
		c.procs[i] = p
	} else {
		c.procs = append(c.procs, p)
	}
	return nil
}

// waitReady polls service i's status until it answers, for at most the
// start timeout.
func (c *Chain) waitReady(ctx context.Context, i int) error {
	deadline := time.Now().Add(c.wait)
	s, p := c.cfg.Services[i], c.proc(i)
	for {
		if _, err := c.Status(ctx, s.Name); err == nil {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%w: service %s exited at start-up (see %s.log): %v", ErrHarness, s.Name, s.Name, p.err)
		}
		if time.Now().After(deadline) || !sleep(ctx, 20*time.Millisecond) {
			return fmt.Errorf("%w: service %s did not answer within %v", ErrHarness, s.Name, c.wait)
		}
	}
}

// proc returns service i's current process.
func (c *Chain) proc(i int) *proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[i]
}

// service returns the index of the service called name, or -1.
func (c *Chain) service(name string) int {
	return slices.IndexFunc(c.cfg.Services, func(s ServiceConfig) bool { return s.Name == name })
}

// Status asks service name for its Status, directly (not through a
// proxy, so faults do not blind the harness).
func (c *Chain) Status(ctx context.Context, name string) (Status, error) {
	var st Status
	i := c.service(name)
	if i < 0 {
		return st, fmt.Errorf("no service %q in the chain", name)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.cfg.Services[i].Listen+StatusPath, nil)
	if err != nil {
		return st, err
	}
	resp, err := c.status.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// Config returns the chain's config as started: defaults applied,
// Listen and every Addr set.
func (c *Chain) Config() Config { return clone(c.cfg) }

// EntryAddr is the address the load generator calls: the proxy of the
// link from Client to the entry service.
func (c *Chain) EntryAddr() string { return c.entry }

// Links lists every link, the entry's first.
func (c *Chain) Links() []string { return slices.Clone(c.links) }

// Dir is the folder of the services' configs and logs.
func (c *Chain) Dir() string { return c.dir }

// PIDs returns the services' current process ids, in config order.
func (c *Chain) PIDs() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int, len(c.procs))
	for i, p := range c.procs {
		out[i] = p.cmd.Process.Pid
	}
	return out
}

// exited returns the name of a service whose process has ended, or "".
func (c *Chain) exited() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if p.exited() {
			return p.name
		}
	}
	return ""
}

// Proxies is the Toxiproxy harness of the chain's links, for the record
// of every change it made (Events) and for checks after Close
// (Remaining).
func (c *Chain) Proxies() *proxy.Harness { return c.h }

// Close stops every service (SIGTERM, then SIGKILL), deletes every proxy
// of the chain and, if the folder was temporary, removes it. It is safe
// to call more than once; only the first call does the work.
func (c *Chain) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	var errs []error
	c.mu.Lock()
	c.closing = true
	procs := slices.Clone(c.procs)
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(p.stop)
	}
	wg.Wait()
	if c.h != nil {
		if err := c.h.Cleanup(); err != nil {
			errs = append(errs, fmt.Errorf("%w: cleanup of toxiproxy: %v", ErrHarness, err))
		}
	}
	if c.tempDir {
		errs = append(errs, os.RemoveAll(c.dir))
	}
	return errors.Join(errs...)
}
