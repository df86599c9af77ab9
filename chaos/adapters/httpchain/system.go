package httpchain

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/faultline-sim/faultline/chaos/chain"
	"github.com/faultline-sim/faultline/chaos/internal/procs"
	"github.com/faultline-sim/faultline/chaos/timeline"
)

// Limits and periods of the chain's runs.
const (
	// sampleEvery is how often every instance's status is read.
	sampleEvery = 100 * time.Millisecond
	// startTimeout bounds the wait for an instance to answer after its
	// start or restart.
	startTimeout = 15 * time.Second
	// stopGrace is how long a service has to exit after SIGTERM before
	// SIGKILL: it finishes in-flight requests for up to a second.
	stopGrace = 3 * time.Second
)

// ports are the services' (the key-value store's are above).
var ports = procs.Ports{Low: 12000, High: 20000}

// System is the HTTP service chain of one real run: one chainnode
// process per service instance, calling its dependencies through a
// proxy per link and callee instance (shared by the caller's instances),
// and the scenario's load on the entry service. It implements
// timeline.System.
type System struct {
	env  *timeline.Env
	cfg  chain.Config // defaults applied; the load's target first
	load chain.LoadConfig
	spec timeline.Spec
	// first is the node of each service's instance 0 (node 0 is the
	// load); instance k of service i is node first[i]+k, slot
	// first[i]+k-1 of insts and procs.
	first []int
	// links are each caller's (the load: "") links to each target, one
	// per target instance, in Spec.Links.
	links  map[[2]string][]int
	listen []string // each instance's address
	insts  []chain.ServiceConfig
	bin    string
	procs  *procs.Group
	status *http.Client
	entry  []string // the load's proxies, one per entry instance

	mu       sync.Mutex
	degraded int
	requests int // sent (not shed), for the load's retry amplification
	attempts int
	samples  []chain.Sample
	stats    chain.LoadStats
}

// New returns the chain of env's scenario: services only (no store,
// broker or mesh) and one open-loop load at a constant rate; anything
// else has no real counterpart here.
func New(env *timeline.Env) (timeline.System, error) {
	cfg, lc, err := config(env)
	if err != nil {
		return nil, err
	}
	s := &System{env: env, cfg: cfg, load: lc, links: map[[2]string][]int{},
		status: &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}}
	s.spec = s.makeSpec()
	return s, nil
}

// makeSpec lists the nodes (the load, then every instance, named as the
// simulator names them: api-0, api-1...) and the links: the load's to
// each entry instance, and each service's to each instance of each
// service it calls.
func (s *System) makeSpec() timeline.Spec {
	sp := timeline.Spec{SampleEvery: sampleEvery, Drain: s.load.Longest()}
	sp.Nodes = append(sp.Nodes, timeline.Node{Name: s.env.Scenario.Load[0].Name})
	index := map[string]int{}
	for i, svc := range s.cfg.Services {
		index[svc.Name] = i
		s.first = append(s.first, len(sp.Nodes))
		for k := range svc.Instances {
			sp.Nodes = append(sp.Nodes, timeline.Node{Name: fmt.Sprintf("%s-%d", svc.Name, k), Group: svc.Name, Process: true})
			inst := svc.Clone()
			inst.Instance = k
			s.insts = append(s.insts, inst)
		}
	}
	link := func(caller string, from []int, target string) {
		key := [2]string{caller, target}
		if _, ok := s.links[key]; ok {
			return // a service calling the same target twice dials the same proxies
		}
		t := index[target]
		for k := range s.cfg.Services[t].Instances {
			s.links[key] = append(s.links[key], len(sp.Links))
			sp.Links = append(sp.Links, timeline.Link{Name: proxyName(caller, sp.Nodes[s.first[t]+k].Name), From: from, To: s.first[t] + k})
		}
	}
	link("", []int{0}, s.cfg.Services[0].Name)
	for i, svc := range s.cfg.Services {
		var from []int
		for k := range svc.Instances {
			from = append(from, s.first[i]+k)
		}
		for _, call := range svc.Calls {
			link(svc.Name, from, call.Target)
		}
	}
	return sp
}

// proxyName names the proxy from caller ("" for the load) to a target
// instance: '_' cannot occur in service names.
func proxyName(caller, target string) string {
	if caller == "" {
		caller = chain.Client
	}
	return caller + "_" + target
}

// Spec implements timeline.System.
func (s *System) Spec() timeline.Spec { return s.spec }

// Bind implements timeline.System: a loopback port per instance.
func (s *System) Bind() ([]string, error) {
	for range s.insts {
		addr, err := ports.Free()
		if err != nil {
			return nil, err
		}
		s.listen = append(s.listen, addr)
	}
	ups := make([]string, len(s.spec.Links))
	for i, l := range s.spec.Links {
		ups[i] = s.listen[l.To-1]
	}
	return ups, nil
}

// Start implements timeline.System: every instance's config, with its
// calls' addresses set to its proxies, goes to Work/<instance>.yaml, its
// output to Work/<instance>.log; Start returns once every instance
// answers its status.
func (s *System) Start(ctx context.Context, listen []string) error {
	if s.bin == "" { // built once per process; tests may set another
		var err error
		if s.bin, err = procs.Build(ctx, "github.com/faultline-sim/faultline/chaos/chain/cmd/chainnode"); err != nil {
			return fmt.Errorf("%w: %v", timeline.ErrHarness, err)
		}
	}
	addrs := func(caller, target string) []string {
		var out []string
		for _, li := range s.links[[2]string{caller, target}] {
			out = append(out, listen[li])
		}
		return out
	}
	s.entry = addrs("", s.cfg.Services[0].Name)
	for slot := range s.insts {
		inst := &s.insts[slot]
		inst.Listen = s.listen[slot]
		for j := range inst.Calls {
			inst.Calls[j].Addrs = addrs(inst.Name, inst.Calls[j].Target)
		}
	}
	s.procs = procs.NewGroup(len(s.insts), s.env.Process)
	for slot := range s.insts {
		if err := s.startInstance(slot); err != nil {
			return err
		}
	}
	for slot := range s.insts {
		if err := s.waitReady(ctx, slot); err != nil {
			return err
		}
	}
	return nil
}

// instanceName names an instance's process and files as the chain did:
// the service's name alone when it has one instance.
func instanceName(inst chain.ServiceConfig) string {
	if inst.Instances == 1 {
		return inst.Name
	}
	return fmt.Sprintf("%s-%d", inst.Name, inst.Instance)
}

// startInstance writes instance slot's config and starts its process
// (again, after a crash).
func (s *System) startInstance(slot int) error {
	inst := s.insts[slot]
	name := instanceName(inst)
	data, err := yaml.Marshal(inst)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", timeline.ErrHarness, name, err)
	}
	path := filepath.Join(s.env.Work, name+".yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("%w: %v", timeline.ErrHarness, err)
	}
	if err := s.procs.Start(slot, name, s.bin, filepath.Join(s.env.Work, name+".log"), "-config", path); err != nil {
		return fmt.Errorf("%w: %v", timeline.ErrHarness, err)
	}
	return nil
}

// waitReady polls instance slot's status until it answers, for at most
// startTimeout.
func (s *System) waitReady(ctx context.Context, slot int) error {
	deadline := time.Now().Add(startTimeout)
	p := s.procs.Proc(slot)
	for {
		if _, err := chain.FetchStatus(ctx, s.status, s.insts[slot].Listen); err == nil {
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("%w: %s exited at start-up (see %s.log): %v", timeline.ErrHarness, p.Name, p.Name, p.Err())
		}
		if time.Now().After(deadline) || !timeline.SleepUntil(ctx, time.Now().Add(20*time.Millisecond)) {
			return fmt.Errorf("%w: %s did not answer within %v", timeline.ErrHarness, p.Name, startTimeout)
		}
	}
}

// slots returns the process slots of nodes.
func slots(nodes []int) []int {
	out := make([]int, len(nodes))
	for i, n := range nodes {
		out[i] = n - 1
	}
	return out
}

// Role implements timeline.System: the chain has no roles.
func (s *System) Role(context.Context, string) (int, error) {
	return -1, fmt.Errorf("the chain has no roles")
}

// Crash implements timeline.System: SIGKILL to each instance's process
// group, and at the fault's end a restart with the same config and port,
// waiting (bounded) until it answers.
func (s *System) Crash(ctx context.Context, nodes []int) (timeline.Revert, error) {
	return s.procs.Crash(slots(nodes), func(slot int) error {
		if err := s.startInstance(slot); err != nil {
			return err
		}
		return s.waitReady(context.WithoutCancel(ctx), slot)
	})
}

// Pause implements timeline.System: SIGSTOP, then SIGCONT at the end:
// connections are accepted by the kernel and then hang, like a long GC
// pause.
func (s *System) Pause(_ context.Context, nodes []int) (timeline.Revert, error) {
	return s.procs.Pause(slots(nodes))
}

// Exited implements timeline.System.
func (s *System) Exited() string { return s.procs.Exited() }

// Close implements timeline.System: every instance stopped (SIGCONT,
// SIGTERM, SIGKILL after 3 s) and reaped.
func (s *System) Close() error {
	if s.procs != nil {
		s.procs.Stop(stopGrace)
	}
	s.status.CloseIdleConnections()
	return nil
}

// pids returns every instance's current process id, for tests.
func (s *System) pids() []int { return slices.Clone(s.procs.PIDs()) }
