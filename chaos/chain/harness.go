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

	"github.com/faultline-sim/faultline/chaos/proxy"
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

// Chain is a started chain: one process per service instance, one proxy
// per link and target instance. Close it, whatever happens.
type Chain struct {
	cfg       Config          // defaults applied, Addrs filled
	insts     []ServiceConfig // every instance's config (Instance, Listen set), in service order
	dir       string
	tempDir   bool
	h         *proxy.Harness
	started   time.Time
	bin       string              // the chainnode executable, for restarts
	wait      time.Duration       // StartTimeout
	links     []string            // every link, "client->entry" first
	proxies   map[string][]string // each link's proxy names, by target instance
	proxyAddr map[string]string   // each proxy's listen address, by name
	entry     []string            // the entry link's proxy addresses
	status    *http.Client
	closed    atomic.Bool

	mu      sync.Mutex
	procs   []*proc // by instance (index in insts); a crashed one's is replaced
	closing bool    // set by Close: no more (re)starts
	events  []ProcessEvent
}

var chainCounter atomic.Int64

// Link names the link from caller to target, e.g. "gateway->a".
func Link(caller, target string) string { return caller + "->" + target }

// proxyName is the name of the proxy of a link to target instance i of
// n: '_' cannot occur in service names.
func proxyName(link string, i, n int) string {
	name := strings.Replace(link, "->", "_", 1)
	if n > 1 {
		name += fmt.Sprintf("_%d", i)
	}
	return name
}

// instanceName names instance i of s: s.Name alone when it has one.
func instanceName(s ServiceConfig, i int) string {
	if s.Instances == 1 {
		return s.Name
	}
	return fmt.Sprintf("%s-%d", s.Name, i)
}

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
	for i := range c.insts {
		if err := c.startService(i); err != nil {
			return c, err
		}
	}
	for i := range c.insts {
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
	c.proxies, c.proxyAddr = map[string][]string{}, map[string]string{}
	listen := map[string][]string{} // by service, per instance
	for _, s := range c.cfg.Services {
		for range s.Instances {
			addr, err := freeAddr()
			if err != nil {
				return fmt.Errorf("%w: %v", ErrHarness, err)
			}
			listen[s.Name] = append(listen[s.Name], addr)
		}
	}
	entry := c.cfg.Services[0].Name
	if c.entry, err = c.createLink(ctx, Link(Client, entry), listen[entry]); err != nil {
		return err
	}
	for i := range c.cfg.Services {
		s := &c.cfg.Services[i]
		for j := range s.Calls {
			call := &s.Calls[j]
			if call.Addrs, err = c.createLink(ctx, Link(s.Name, call.Target), listen[call.Target]); err != nil {
				return err
			}
		}
		for k := range s.Instances {
			inst := s.clone()
			inst.Instance, inst.Listen = k, listen[s.Name][k]
			c.insts = append(c.insts, inst)
		}
	}
	return nil
}

// createLink creates the proxies of a link, one per target instance, and
// returns their addresses; a link already made (a service calling the
// same target twice) is not made again.
func (c *Chain) createLink(ctx context.Context, link string, upstreams []string) ([]string, error) {
	var addrs []string
	for i, up := range upstreams {
		name := proxyName(link, i, len(upstreams))
		if slices.Contains(c.links, link) {
			addrs = append(addrs, c.proxyAddr[name])
			continue
		}
		addr, err := c.h.Create(ctx, name, up)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrHarness, err)
		}
		addrs = append(addrs, addr)
		c.proxies[link] = append(c.proxies[link], name)
		c.proxyAddr[name] = addr
	}
	if !slices.Contains(c.links, link) {
		c.links = append(c.links, link)
	}
	return addrs, nil
}

// startService writes instance i's config and starts its process
// (again, after a crash).
func (c *Chain) startService(i int) error {
	inst := c.insts[i]
	name := instanceName(inst, inst.Instance)
	data, err := yaml.Marshal(inst)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrHarness, name, err)
	}
	path := filepath.Join(c.dir, name+".yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("%w: %v", ErrHarness, err)
	}
	c.mu.Lock() // held while starting, so that Close cannot miss the process
	defer c.mu.Unlock()
	if c.closing {
		return fmt.Errorf("%w: %s not started: the chain is closing", ErrHarness, name)
	}
	p, err := startProc(name, c.bin, filepath.Join(c.dir, name+".log"), "-config", path)
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

// waitReady polls instance i's status until it answers, for at most the
// start timeout.
func (c *Chain) waitReady(ctx context.Context, i int) error {
	deadline := time.Now().Add(c.wait)
	p := c.proc(i)
	for {
		if _, err := c.instanceStatus(ctx, i); err == nil {
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("%w: %s exited at start-up (see %s.log): %v", ErrHarness, p.Name, p.Name, p.Err())
		}
		if time.Now().After(deadline) || !sleep(ctx, 20*time.Millisecond) {
			return fmt.Errorf("%w: %s did not answer within %v", ErrHarness, p.Name, c.wait)
		}
	}
}

// proc returns instance i's current process.
func (c *Chain) proc(i int) *proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[i]
}

// service returns the index of the service called name, or -1.
func (c *Chain) service(name string) int {
	return slices.IndexFunc(c.cfg.Services, func(s ServiceConfig) bool { return s.Name == name })
}

// instances returns the indexes in insts of the instances a name
// designates: every instance of service name, or the one instance named
// so ("api-1"); none if it names nothing.
func (c *Chain) instances(name string) []int {
	var out []int
	for i, inst := range c.insts {
		if inst.Name == name || instanceName(inst, inst.Instance) == name {
			out = append(out, i)
		}
	}
	return out
}

// Status asks every instance of service name for its Status, directly
// (not through a proxy, so faults do not blind the harness), and returns
// their sum: counters and queues added, calls added per target, the
// breaker state the most open one.
func (c *Chain) Status(ctx context.Context, name string) (Status, error) {
	if c.service(name) < 0 {
		return Status{}, fmt.Errorf("no service %q in the chain", name)
	}
	var sts []Status
	for _, i := range c.instances(name) {
		st, err := c.instanceStatus(ctx, i)
		if err != nil {
			return Status{}, err
		}
		sts = append(sts, st)
	}
	return sum(sts), nil
}

// instanceStatus asks instance i for its Status.
func (c *Chain) instanceStatus(ctx context.Context, i int) (Status, error) {
	var st Status
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.insts[i].Listen+StatusPath, nil)
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

// Config returns the chain's config as started: defaults applied and
// every call's Addrs set.
func (c *Chain) Config() Config { return clone(c.cfg) }

// Instances returns every instance's config as started (Instance and
// Listen set), in service order, as PIDs lists their processes.
func (c *Chain) Instances() []ServiceConfig {
	out := make([]ServiceConfig, len(c.insts))
	for i, inst := range c.insts {
		out[i] = inst.clone()
	}
	return out
}

// EntryAddrs are the addresses the load generator calls: the proxies of
// the link from Client to the entry service, one per instance.
func (c *Chain) EntryAddrs() []string { return slices.Clone(c.entry) }

// ProxyAddrs lists the listen address of every proxy of the chain.
func (c *Chain) ProxyAddrs() []string {
	var out []string
	for _, link := range c.links {
		for _, name := range c.proxies[link] {
			out = append(out, c.proxyAddr[name])
		}
	}
	return out
}

// Links lists every link, the entry's first.
func (c *Chain) Links() []string { return slices.Clone(c.links) }

// Dir is the folder of the services' configs and logs.
func (c *Chain) Dir() string { return c.dir }

// PIDs returns the instances' current process ids, in the order of
// Instances.
func (c *Chain) PIDs() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int, len(c.procs))
	for i, p := range c.procs {
		out[i] = p.Pid()
	}
	return out
}

// exited returns the name of a service whose process has ended, or "".
func (c *Chain) exited() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if p.Exited() {
			return p.Name
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
		wg.Go(func() { p.Stop(stopGrace) })
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
