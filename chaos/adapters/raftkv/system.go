package raftkv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/faultline-sim/faultline/chaos/internal/procs"
	"github.com/faultline-sim/faultline/chaos/kv"
	"github.com/faultline-sim/faultline/chaos/timeline"
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/models/store/raft"
	"github.com/faultline-sim/faultline/scenarios"
)

// Limits and periods of the store's runs.
const (
	// leaderWait bounds the wait for the first leader after start-up.
	leaderWait = 15 * time.Second
	// maxInflight caps each client's operations in flight; an arrival
	// beyond it is recorded as failed (shed) at once.
	maxInflight = 1000
	// sampleEvery is how often the store's nodes are asked for their
	// raft state (directly, not through the proxies).
	sampleEvery = 20 * time.Millisecond
	// statusTimeout bounds each of those asks.
	statusTimeout = 200 * time.Millisecond
	// stopGrace is how long a node has to exit after SIGTERM before
	// SIGKILL.
	stopGrace = 2 * time.Second
)

// ports are the nodes' (the chain's are below).
var ports = procs.Ports{Low: 20000, High: 32000}

// System is the raft key-value store of one real run: one kvnode process
// per replica, the store's open-loop clients, and the control plane
// that watches the nodes directly (never through a proxy). It implements
// timeline.System.
type System struct {
	env     *timeline.Env
	st      *scenarios.Store
	n       int      // replicas
	ids     []string // kv-0, kv-1, ...
	clients []string // the store clients' names, by index in the history
	load    []int    // index in Scenario.Load of each client
	via     []int    // the replica each client talks to
	spec    timeline.Spec
	link    map[string]int // Spec.Links' indexes by name

	raftAddr, httpAddr []string // each node's listen addresses (Bind)
	addrs              []string // where each client sends (its proxy)
	cfgs               []kv.NodeConfig
	bin                string
	control            []*kv.Client
	procs              *procs.Group

	mu        sync.Mutex
	history   store.History
	samples   []sample
	converged time.Duration // first time divergence was 0 after the last fault, or -1

	pollMu sync.Mutex
	polled bool        // the nodes were asked once
	asking []bool      // a node's status ask is in flight
	latest []kv.Status // each node's latest answer
	asks   sync.WaitGroup
}

type sample struct {
	at  time.Duration
	sts []kv.Status
}

// New returns the store of env's scenario: exactly one store, of design
// raft, and open-loop clients of it; anything else has no real
// counterpart here.
func New(env *timeline.Env) (timeline.System, error) {
	sc := env.Scenario
	if len(sc.Topology.Stores) != 1 {
		return nil, fmt.Errorf("the raft store runs exactly one store, got %d: %w", len(sc.Topology.Stores), timeline.ErrNoRealCounterpart)
	}
	st := sc.Topology.Stores[0]
	if st.Design != scenarios.DesignRaft {
		return nil, fmt.Errorf("design %s has %w", st.Design, timeline.ErrNoRealCounterpart)
	}
	s := &System{env: env, st: &st, n: st.Replicas, converged: -1, link: map[string]int{}}
	for i, l := range sc.Load {
		if l.Target != st.Name || l.Open == nil || l.Ops == nil {
			return nil, fmt.Errorf("load[%d] (%s): only open-loop clients of the store are real: %w", i, l.Name, timeline.ErrNoRealCounterpart)
		}
		s.load = append(s.load, i)
		s.clients = append(s.clients, l.Name)
		s.via = append(s.via, sc.StoreClientReplica(i))
	}
	for i := range s.n {
		s.ids = append(s.ids, fmt.Sprintf("%s-%d", st.Name, i))
	}
	s.spec = s.makeSpec()
	for i, l := range s.spec.Links {
		s.link[l.Name] = i
	}
	if st.Raft.ReadMode == raft.ReadLocal {
		env.Note("read_mode local: a hashicorp/raft leader steps down when its lease runs out, so a deposed leader serves local reads for at most leader_lease_timeout, where the simulated one (etcd/raft without CheckQuorum) keeps leading")
	}
	return s, nil
}

// pairLink names the link that carries from's connections to to, of
// one kind ("raft" or "http").
func pairLink(from, to, kind string) string { return from + "." + to + "." + kind }

// clientLink names the link from a load client to its replica.
func clientLink(client, replica string) string { return "client." + client + "." + replica }

// makeSpec lists the nodes (the replicas, then the clients) and the
// links: one per direction per pair of replicas for raft and one for
// HTTP forwarding, and one per client to its replica.
func (s *System) makeSpec() timeline.Spec {
	sp := timeline.Spec{Roles: []string{s.st.Name + scenarios.LeaderSuffix}, SampleEvery: sampleEvery, Settle: s.env.Scenario.Topology.Stores[0].Settle}
	for _, id := range s.ids {
		sp.Nodes = append(sp.Nodes, timeline.Node{Name: id, Group: s.st.Name, Process: true})
	}
	for ci, name := range s.clients {
		sp.Nodes = append(sp.Nodes, timeline.Node{Name: name})
		sp.Drain = max(sp.Drain, s.env.Scenario.Load[s.load[ci]].Timeout)
	}
	for i, a := range s.ids {
		for j, b := range s.ids {
			if i != j {
				for _, kind := range []string{"raft", "http"} {
					sp.Links = append(sp.Links, timeline.Link{Name: pairLink(a, b, kind), From: []int{i}, To: j})
				}
			}
		}
	}
	for ci, name := range s.clients {
		sp.Links = append(sp.Links, timeline.Link{Name: clientLink(name, s.ids[s.via[ci]]), From: []int{s.n + ci}, To: s.via[ci]})
	}
	return sp
}

// Spec implements timeline.System.
func (s *System) Spec() timeline.Spec { return s.spec }

// Plan implements timeline.System.
func (s *System) Plan(w io.Writer) {
	st, n := s.st, s.n
	pre := "on"
	if st.Raft.PreVoteDisabled {
		pre = "off"
	}
	fmt.Fprintf(w, "  processes: %d hashicorp/raft nodes %s-0 .. %s-%d on 127.0.0.1, one OS process each (heartbeat %v, election %v, lease %v, read_mode %s, pre-vote %s)\n",
		n, st.Name, st.Name, n-1, st.Raft.HeartbeatTimeout, st.Raft.ElectionTimeout, st.Raft.LeaderLeaseTimeout, st.Raft.ReadMode, pre)
	if i := st.FirstLeaderIndex(); i >= 0 {
		fmt.Fprintf(w, "  first leader: leadership moved to %s-%d before the load starts\n", st.Name, i)
	}
	fmt.Fprintf(w, "  proxies: %d in Toxiproxy (%d raft and %d HTTP forwarding, one per direction per pair of nodes; %d from load clients)\n",
		len(s.spec.Links), n*(n-1), n*(n-1), len(s.clients))
	for ci, name := range s.clients {
		l := &s.env.Scenario.Load[s.load[ci]]
		fmt.Fprintf(w, "  load: %s sends %g ops/s (open loop, peak) to %s-%d, timeout %v\n", name, l.Open.Max(), st.Name, s.via[ci], l.Timeout)
	}
}

// Bind implements timeline.System: two loopback ports per node, raft's
// and HTTP's.
func (s *System) Bind() ([]string, error) {
	for range s.n {
		r, err := ports.Free()
		if err != nil {
			return nil, err
		}
		h, err := ports.Free()
		if err != nil {
			return nil, err
		}
		s.raftAddr, s.httpAddr = append(s.raftAddr, r), append(s.httpAddr, h)
	}
	ups := make([]string, len(s.spec.Links))
	for i := range s.ids {
		for j, b := range s.ids {
			if i != j {
				ups[s.link[pairLink(s.ids[i], b, "raft")]] = s.raftAddr[j]
				ups[s.link[pairLink(s.ids[i], b, "http")]] = s.httpAddr[j]
			}
		}
	}
	for ci, name := range s.clients {
		ups[s.link[clientLink(name, s.ids[s.via[ci]])]] = s.httpAddr[s.via[ci]]
	}
	return ups, nil
}

// Start implements timeline.System: every node reaches every other at
// the addresses of its own proxies to it, keeps raft's log, term and
// vote in a file (which a crash does not lose), and logs to
// Work/<id>.log; Start returns once every node knows one leader, moved
// to first_leader if the store has one.
func (s *System) Start(ctx context.Context, listen []string) error {
	if s.bin == "" { // built once per process; tests may set another
		var err error
		if s.bin, err = procs.Build(ctx, "github.com/faultline-sim/faultline/chaos/kv/cmd/kvnode"); err != nil {
			return fmt.Errorf("%w: %v", timeline.ErrHarness, err)
		}
	}
	rc := s.st.Raft
	for ci, name := range s.clients {
		s.addrs = append(s.addrs, listen[s.link[clientLink(name, s.ids[s.via[ci]])]])
	}
	for i, id := range s.ids {
		cfg := kv.NodeConfig{ID: id, RaftBind: s.raftAddr[i], HTTPBind: s.httpAddr[i],
			HeartbeatTimeout: rc.HeartbeatTimeout, ElectionTimeout: rc.ElectionTimeout,
			LeaderLeaseTimeout: rc.LeaderLeaseTimeout, ReadMode: rc.ReadMode,
			PreVoteDisabled: rc.PreVoteDisabled, DataDir: filepath.Join(s.env.Work, id+".raft")}
		for j, peer := range s.ids {
			p := kv.Peer{ID: peer, Raft: s.raftAddr[j], HTTP: s.httpAddr[j]}
			if j != i {
				p.Raft, p.HTTP = listen[s.link[pairLink(id, peer, "raft")]], listen[s.link[pairLink(id, peer, "http")]]
			}
			cfg.Peers = append(cfg.Peers, p)
		}
		s.cfgs = append(s.cfgs, cfg)
		s.control = append(s.control, kv.NewClient(s.httpAddr[i]))
	}
	s.asking, s.latest = make([]bool, s.n), make([]kv.Status, s.n)
	s.procs = procs.NewGroup(s.n, s.env.Process)
	for i := range s.ids {
		if err := s.startNode(i); err != nil {
			return fmt.Errorf("%w: %v", timeline.ErrHarness, err)
		}
	}
	if _, err := s.waitLeader(ctx, leaderWait); err != nil {
		return err
	}
	if want := s.st.FirstLeaderIndex(); want >= 0 {
		return s.moveLeader(ctx, want, leaderWait)
	}
	return nil
}

// startNode starts node i (again, after a crash) with its config, its
// log appended to Work/<id>.log.
func (s *System) startNode(i int) error {
	js, err := json.Marshal(s.cfgs[i])
	if err != nil {
		return err
	}
	return s.procs.Start(i, s.ids[i], s.bin, filepath.Join(s.env.Work, s.ids[i]+".log"), "-config", string(js))
}

// Role implements timeline.System: <store>.leader is the replica that
// leads right now.
func (s *System) Role(ctx context.Context, role string) (int, error) {
	if l := leader(s.statuses(ctx, statusTimeout)); l >= 0 {
		return l, nil
	}
	return -1, errors.New("no leader at the fault's start")
}

// Crash implements timeline.System: SIGKILL to the nodes' process
// groups, and at the fault's end a restart with the same configuration,
// ports, data folder and (appended) log. Raft's log, term and vote are
// in a file the kill does not lose (chaos/kv's fileStore), so the node
// comes back as raft expects; its key-value state is rebuilt by
// replaying the log once it learns the commit index from a leader.
func (s *System) Crash(_ context.Context, nodes []int) (timeline.Revert, error) {
	return s.procs.Crash(nodes, s.startNode)
}

// Pause implements timeline.System: SIGSTOP, then SIGCONT at the end;
// requests sent to a paused node wait in the kernel and are served after
// SIGCONT if the client still waits.
func (s *System) Pause(_ context.Context, nodes []int) (timeline.Revert, error) {
	return s.procs.Pause(nodes)
}

// Exited implements timeline.System.
func (s *System) Exited() string { return s.procs.Exited() }

// Close implements timeline.System: every node stopped (SIGCONT, SIGTERM,
// SIGKILL after 2 s) and reaped, and its raft data removed.
func (s *System) Close() error {
	if s.procs != nil {
		s.procs.Stop(stopGrace)
	}
	s.asks.Wait()
	for _, cl := range s.control {
		cl.Close()
	}
	var errs []error
	for _, cfg := range s.cfgs {
		errs = append(errs, os.RemoveAll(cfg.DataDir))
	}
	return errors.Join(errs...)
}
