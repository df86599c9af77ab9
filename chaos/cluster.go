package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/faultline-sim/faultline/chaos/kv"
	"github.com/faultline-sim/faultline/chaos/proxy"
	"github.com/faultline-sim/faultline/scenarios"
)

// cluster is the running store of one run: its node processes, the
// proxies on every link, and a control-plane client per node that talks
// to it directly (never through a proxy).
type cluster struct {
	name    string   // the store's name, e.g. "kv"
	ids     []string // kv-0, kv-1, ...
	raft    []string // each node's raft address
	http    []string // each node's HTTP address
	control []*kv.Client
	cfgs    []kv.NodeConfig
	h       *proxy.Harness
	bin     string // the kvnode binary, for restarts
	dir     string // where the logs go

	mu      sync.Mutex
	procs   []*proc // by replica; a restart replaces its entry
	started []int   // the pid of every process started, restarts included
	stopped bool    // stop was called: no more restarts
}

// pairProxy names the proxy that carries from's connections to to, of
// one kind ("raft" or "http").
func pairProxy(from, to, kind string) string { return from + "." + to + "." + kind }

// clientProxy names the proxy from a load client to its replica.
func clientProxy(client, replica string) string { return "client." + client + "." + replica }

// newCluster allocates the nodes' addresses and creates a proxy for every
// directed pair of nodes (raft and HTTP) and for every client's link to
// its replica. clients maps each client name to its replica index. It
// returns the address each client should send to.
func newCluster(ctx context.Context, h *proxy.Harness, st *scenarios.Store, clients []string, via []int) (*cluster, []string, error) {
	c := &cluster{name: st.Name, h: h}
	for i := range st.Replicas {
		r, err := freeAddr()
		if err != nil {
			return nil, nil, err
		}
		hp, err := freeAddr()
		if err != nil {
			return nil, nil, err
		}
		c.ids = append(c.ids, fmt.Sprintf("%s-%d", st.Name, i))
		c.raft, c.http = append(c.raft, r), append(c.http, hp)
		c.control = append(c.control, kv.NewClient(hp))
	}
	addrs := make([]string, len(clients))
	for i, name := range clients {
		a, err := h.Create(ctx, clientProxy(name, c.ids[via[i]]), c.http[via[i]])
		if err != nil {
			return c, nil, err
		}
		addrs[i] = a
	}
	return c, addrs, nil
}

// nodeConfigs creates the pair proxies and returns each node's config:
// node i reaches node j at the listen addresses of proxies i.j.raft and
// i.j.http.
func (c *cluster) nodeConfigs(ctx context.Context, rc *scenarios.Store) ([]kv.NodeConfig, error) {
	var cfgs []kv.NodeConfig
	for i, id := range c.ids {
		cfg := kv.NodeConfig{ID: id, RaftBind: c.raft[i], HTTPBind: c.http[i],
			HeartbeatTimeout: rc.Raft.HeartbeatTimeout, ElectionTimeout: rc.Raft.ElectionTimeout,
			LeaderLeaseTimeout: rc.Raft.LeaderLeaseTimeout, ReadMode: rc.Raft.ReadMode,
			PreVoteDisabled: rc.Raft.PreVoteDisabled}
		for j, peer := range c.ids {
			p := kv.Peer{ID: peer, Raft: c.raft[j], HTTP: c.http[j]}
			if j != i {
				var err error
				if p.Raft, err = c.h.Create(ctx, pairProxy(id, peer, "raft"), c.raft[j]); err != nil {
					return nil, err
				}
				if p.HTTP, err = c.h.Create(ctx, pairProxy(id, peer, "http"), c.http[j]); err != nil {
					return nil, err
				}
			}
			cfg.Peers = append(cfg.Peers, p)
		}
		cfgs = append(cfgs, cfg)
	}
	return cfgs, nil
}

// start starts every node. The caller must call stop, even on error.
func (c *cluster) start(bin, dir string, cfgs []kv.NodeConfig) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfgs, c.bin, c.dir = cfgs, bin, dir
	for i := range cfgs {
		// Raft's log, term and vote survive a crash fault's kill; stop
		// removes them.
		cfgs[i].DataDir = filepath.Join(dir, cfgs[i].ID+".raft")
	}
	for _, cfg := range cfgs {
		if c.stopped {
			return fmt.Errorf("%w: stopped during start-up", ErrHarness)
		}
		p, err := startNode(bin, dir, cfg)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrHarness, err)
		}
		c.procs = append(c.procs, p)
		c.started = append(c.started, p.Pid())
	}
	return nil
}

// stop ends every node, in parallel (a paused one too), and waits for
// them; no node starts after it.
func (c *cluster) stop() {
	c.mu.Lock()
	c.stopped = true
	procs := slices.Clone(c.procs)
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); p.Stop(stopGrace) }()
	}
	wg.Wait()
	for _, cl := range c.control {
		cl.Close()
	}
	for _, cfg := range c.cfgs {
		if cfg.DataDir != "" {
			_ = os.RemoveAll(cfg.DataDir)
		}
	}
}

// node returns replica i's current process.
func (c *cluster) node(i int) *proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[i]
}

// crash kills replica i with SIGKILL.
func (c *cluster) crash(i int) error { return c.node(i).Kill() }

// restart starts replica i again, with the same configuration (ports,
// peers), once its process has been reaped; a node still running is left
// alone.
func (c *cluster) restart(i int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return fmt.Errorf("%s: not restarted: the run is stopping", c.ids[i])
	}
	if !c.procs[i].Exited() {
		return nil
	}
	p, err := startNode(c.bin, c.dir, c.cfgs[i])
	if err != nil {
		return err
	}
	c.procs[i] = p
	c.started = append(c.started, p.Pid())
	return nil
}

// pause stops replica i with SIGSTOP; resume continues it with SIGCONT.
func (c *cluster) pause(i int) error  { return c.node(i).Signal(syscall.SIGSTOP) }
func (c *cluster) resume(i int) error { return c.node(i).Signal(syscall.SIGCONT) }

// pids returns the process id of every node process started so far,
// restarts included.
func (c *cluster) pids() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.started)
}

// exited returns the first node that has exited without being killed by
// the harness, or "".
func (c *cluster) exited() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if p.Exited() && !p.Killed() {
			return p.Name
		}
	}
	return ""
}

// statuses asks every node for its status, in parallel, each within
// timeout; a node that does not answer has State "".
func (c *cluster) statuses(ctx context.Context, timeout time.Duration) []kv.Status {
	out := make([]kv.Status, len(c.ids))
	var wg sync.WaitGroup
	for i, cl := range c.control {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			if st, err := cl.Status(sctx); err == nil {
				out[i] = st
			}
		}()
	}
	wg.Wait()
	return out
}

// poller keeps every node's latest status. Each node is polled on its
// own, so one that does not answer (paused, crashed, slow) delays no
// other's: a paused node's last answer stands until its poll times out,
// then it reads as not answering (State "").
type poller struct {
	mu  sync.Mutex
	sts []kv.Status
	wg  sync.WaitGroup
}

// poll asks every node for its status at once, then every `every`, each
// ask bounded by timeout, until ctx is done; wait waits for the pollers
// to end.
func (c *cluster) poll(ctx context.Context, every, timeout time.Duration) *poller {
	p := &poller{sts: c.statuses(ctx, timeout)}
	for i, cl := range c.control {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			tick := time.NewTicker(every)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				sctx, cancel := context.WithTimeout(ctx, timeout)
				st, err := cl.Status(sctx)
				cancel()
				if err != nil {
					st = kv.Status{}
				}
				if ctx.Err() != nil {
					return // cut short by the stop: says nothing
				}
				p.mu.Lock()
				p.sts[i] = st
				p.mu.Unlock()
			}
		}()
	}
	return p
}

// latest returns a copy of every node's latest status.
func (p *poller) latest() []kv.Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sts)
}

func (p *poller) wait() { p.wg.Wait() }

// leader returns the index of the node that is leader in the highest
// term, or -1.
func leader(sts []kv.Status) int {
	best := -1
	for i, st := range sts {
		if st.State == "Leader" && (best < 0 || st.Term > sts[best].Term) {
			best = i
		}
	}
	return best
}

// waitLeader waits until a node is leader and every node knows it.
func (c *cluster) waitLeader(ctx context.Context, limit time.Duration) (int, error) {
	deadline := time.Now().Add(limit)
	for {
		if id := c.exited(); id != "" {
			return -1, fmt.Errorf("%w: node %s exited during start-up (see its log)", ErrHarness, id)
		}
		sts := c.statuses(ctx, 500*time.Millisecond)
		if l := leader(sts); l >= 0 && allKnow(sts, c.ids[l]) {
			return l, nil
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("%w: no leader known to every node within %v", ErrHarness, limit)
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// moveLeader makes replica want the leader, by leadership transfer from
// whichever replica leads, and waits until every node knows it; a few
// tries, as a transfer can lose to an election.
func (c *cluster) moveLeader(ctx context.Context, want int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		l, err := c.waitLeader(ctx, time.Until(deadline))
		if err != nil {
			return err
		}
		if l == want {
			return nil
		}
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = c.control[l].TransferLeadership(tctx, c.ids[want])
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if last == nil {
			// Wait for the new leader to be known to every node.
			time.Sleep(50 * time.Millisecond)
		}
	}
	return fmt.Errorf("%w: leadership not moved to %s within %v (last error: %v)", ErrHarness, c.ids[want], limit, last)
}

func allKnow(sts []kv.Status, id string) bool {
	for _, st := range sts {
		if st.Leader != id {
			return false
		}
	}
	return true
}

// dumps returns every node's state (nil for a node that did not answer).
func (c *cluster) dumps(ctx context.Context) []map[int]int64 {
	out := make([]map[int]int64, len(c.ids))
	var wg sync.WaitGroup
	for i, cl := range c.control {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			if m, err := cl.Dump(dctx); err == nil {
				out[i] = m
			}
		}()
	}
	wg.Wait()
	return out
}

// finalValues returns, for every key any replica holds, the value most
// replicas hold (ties to the lowest value... of the lowest replica), and
// the number of keys on which the answering replicas disagree.
func finalValues(ds []map[int]int64) (final map[int]int64, divergence int) {
	keys := map[int]bool{}
	for _, d := range ds {
		for k := range d {
			keys[k] = true
		}
	}
	sorted := make([]int, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Ints(sorted)
	final = map[int]int64{}
	for _, k := range sorted {
		votes := map[int64]int{}
		best, bestVotes := int64(0), -1
		for _, d := range ds {
			if d == nil {
				continue
			}
			v := d[k]
			votes[v]++
			if votes[v] > bestVotes {
				best, bestVotes = v, votes[v]
			}
		}
		final[k] = best
		if len(votes) > 1 {
			divergence++
		}
	}
	return final, divergence
}
