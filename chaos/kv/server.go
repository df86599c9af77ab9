package kv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Status is a node's view of the cluster, as GET /status returns it.
type Status struct {
	ID      string `json:"id"`
	State   string `json:"state"` // Follower, Candidate, Leader, Shutdown
	Term    uint64 `json:"term"`
	Leader  string `json:"leader"` // the leader's ID as this node knows it, or ""
	Applied uint64 `json:"applied"`
}

// node is a running store node.
type node struct {
	cfg        NodeConfig
	raft       *raft.Raft
	fsm        *fsm
	fwd        *http.Client
	closeStore func()
}

// addrs is the raft ServerAddressProvider: every peer is dialled at the
// address the config gives for it (its proxy), not at the address in the
// raft configuration.
type addrs map[raft.ServerID]raft.ServerAddress

func (a addrs) ServerAddr(id raft.ServerID) (raft.ServerAddress, error) {
	if s, ok := a[id]; ok {
		return s, nil
	}
	return "", fmt.Errorf("unknown raft server %q", id)
}

// Serve runs one node until ctx is done, then shuts it down. It returns
// an error if the node cannot start (bad config, port in use).
func Serve(ctx context.Context, cfg NodeConfig) error {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	n, err := start(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPBind)
	if err != nil {
		_ = n.raft.Shutdown().Error()
		n.closeStore()
		return fmt.Errorf("http listen: %w", err)
	}
	srv := &http.Server{Handler: n.routes(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err = <-done:
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	_ = n.raft.Shutdown().Error()
	n.closeStore()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func start(cfg NodeConfig) (*node, error) {
	logger := hclog.New(&hclog.LoggerOptions{Name: cfg.ID, Level: hclog.LevelFromString(cfg.LogLevel), Output: os.Stderr})
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.ID)
	rc.HeartbeatTimeout = cfg.HeartbeatTimeout
	rc.ElectionTimeout = cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = cfg.LeaderLeaseTimeout
	rc.PreVoteDisabled = cfg.PreVoteDisabled
	rc.CommitTimeout = min(rc.CommitTimeout, cfg.HeartbeatTimeout/2)
	// No compaction: the snapshot store discards, so a follower must
	// always be able to catch up from the log (runs are minutes long).
	rc.SnapshotThreshold = math.MaxUint64 / 2
	rc.SnapshotInterval = 24 * time.Hour
	rc.Logger = logger
	via := addrs{}
	var servers []raft.Server
	for _, p := range cfg.Peers {
		via[raft.ServerID(p.ID)] = raft.ServerAddress(p.Raft)
		servers = append(servers, raft.Server{ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Raft)})
	}
	trans, err := raft.NewTCPTransportWithConfig(cfg.RaftBind, nil, &raft.NetworkTransportConfig{
		ServerAddressProvider: via, Logger: logger, MaxPool: 3,
		// IO deadline per RPC: a black-holed connection is given up on
		// quickly, so the first RPC after a heal opens a fresh one.
		Timeout: max(4*cfg.HeartbeatTimeout, 500*time.Millisecond),
	})
	if err != nil {
		return nil, fmt.Errorf("raft transport: %w", err)
	}
	logs, stable, closeStore, err := openStores(cfg.DataDir)
	if err != nil {
		_ = trans.Close()
		return nil, err
	}
	snaps := raft.NewDiscardSnapshotStore()
	// A node restarted on its own data has its configuration already.
	existing, err := raft.HasExistingState(logs, stable, snaps)
	if err != nil {
		_ = trans.Close()
		closeStore()
		return nil, fmt.Errorf("raft store: %w", err)
	}
	f := newFSM()
	r, err := raft.NewRaft(rc, f, logs, stable, snaps, trans)
	if err != nil {
		_ = trans.Close()
		closeStore()
		return nil, fmt.Errorf("raft: %w", err)
	}
	if !existing {
		if err := r.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil {
			_ = r.Shutdown().Error()
			closeStore()
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
	}
	return &node{cfg: cfg, raft: r, fsm: f, fwd: &http.Client{Timeout: cfg.ApplyTimeout}, closeStore: closeStore}, nil
}

// openStores returns raft's log and stable stores: in memory when dir is
// "", else a fileStore in dir; close releases them.
func openStores(dir string) (raft.LogStore, raft.StableStore, func(), error) {
	if dir == "" {
		s := raft.NewInmemStore()
		return s, s, func() {}, nil
	}
	s, err := openFileStore(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	return s, s, func() { _ = s.Close() }, nil
}

func (n *node) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kv/{key}", n.handleGet)
	mux.HandleFunc("PUT /kv/{key}", n.handlePut)
	mux.HandleFunc("POST /cas/{key}", n.handleCAS)
	mux.HandleFunc("GET /status", n.handleStatus)
	mux.HandleFunc("GET /dump", n.handleDump)
	mux.HandleFunc("POST /transfer/{id}", n.handleTransfer)
	return mux
}

func (n *node) handleStatus(w http.ResponseWriter, _ *http.Request) {
	_, leader := n.raft.LeaderWithID()
	st := Status{ID: n.cfg.ID, State: n.raft.State().String(), Leader: string(leader), Applied: n.raft.AppliedIndex()}
	st.Term, _ = strconv.ParseUint(n.raft.Stats()["term"], 10, 64)
	writeJSON(w, st)
}

// handleTransfer hands this node's leadership to the node whose id the
// path names: 200 once raft has done it, 409 if this node does not lead,
// 404 for an id not in the configuration, 500 if raft failed.
func (n *node) handleTransfer(w http.ResponseWriter, r *http.Request) {
	id := raft.ServerID(r.PathValue("id"))
	if n.raft.State() != raft.Leader {
		http.Error(w, "not the leader", http.StatusConflict)
		return
	}
	cf := n.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, srv := range cf.Configuration().Servers {
		if srv.ID == id {
			if err := n.raft.LeadershipTransferToServer(srv.ID, srv.Address).Error(); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	http.Error(w, "no such server: "+string(id), http.StatusNotFound)
}

func (n *node) handleDump(w http.ResponseWriter, _ *http.Request) { writeJSON(w, n.fsm.dump()) }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (n *node) handleGet(w http.ResponseWriter, r *http.Request) {
	key, err := strconv.Atoi(r.PathValue("key"))
	if err != nil {
		http.Error(w, "bad key", http.StatusBadRequest)
		return
	}
	if n.cfg.ReadMode == ReadStale {
		fmt.Fprint(w, n.fsm.get(key))
		return
	}
	if n.raft.State() != raft.Leader {
		n.forward(w, r)
		return
	}
	switch n.cfg.ReadMode {
	case ReadLocal:
		fmt.Fprint(w, n.fsm.get(key))
	case ReadLease:
		if err := n.raft.VerifyLeader().Error(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable) // a read changes nothing: safe to call failed
			return
		}
		fmt.Fprint(w, n.fsm.get(key))
	default:
		n.apply(w, r, command{Op: cmdGet, Key: key})
	}
}

func (n *node) handlePut(w http.ResponseWriter, r *http.Request) {
	key, err := strconv.Atoi(r.PathValue("key"))
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64))
	v, err2 := strconv.ParseInt(string(body), 10, 64)
	if err != nil || err2 != nil {
		http.Error(w, "bad key or value", http.StatusBadRequest)
		return
	}
	if n.raft.State() != raft.Leader {
		r.Body = io.NopCloser(bytes.NewReader(body))
		n.forward(w, r)
		return
	}
	n.apply(w, r, command{Op: cmdPut, Key: key, Value: v})
}

func (n *node) handleCAS(w http.ResponseWriter, r *http.Request) {
	key, err := strconv.Atoi(r.PathValue("key"))
	q := r.URL.Query()
	expect, err2 := strconv.ParseInt(q.Get("expect"), 10, 64)
	v, err3 := strconv.ParseInt(q.Get("new"), 10, 64)
	if err != nil || err2 != nil || err3 != nil {
		http.Error(w, "bad key, expect or new", http.StatusBadRequest)
		return
	}
	if n.raft.State() != raft.Leader {
		n.forward(w, r)
		return
	}
	n.apply(w, r, command{Op: cmdCAS, Key: key, Value: v, Expect: expect})
}

// apply commits c and writes its result. An entry refused before it was
// enqueued (not the leader) is 503: definitely not applied; any later
// failure is 504: it may still commit.
func (n *node) apply(w http.ResponseWriter, r *http.Request, c command) {
	data, _ := json.Marshal(c)
	f := n.raft.Apply(data, n.cfg.ApplyTimeout)
	done := make(chan struct{})
	go func() { _ = f.Error(); close(done) }()
	select {
	case <-done:
	case <-r.Context().Done():
		return // the client gave up; the entry may still commit
	case <-time.After(n.cfg.ApplyTimeout):
		http.Error(w, "apply timeout", http.StatusGatewayTimeout)
		return
	}
	switch err := f.Error(); {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout), errors.Is(err, raft.ErrRaftShutdown):
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusGatewayTimeout)
		return
	}
	switch res := f.Response().(type) {
	case int64:
		if c.Op == cmdPut {
			return
		}
		fmt.Fprint(w, res)
	case error:
		http.Error(w, res.Error(), http.StatusInternalServerError)
	}
}

// forward sends the request to the leader as this node knows it, through
// the peer's address in the config, and copies the answer back.
func (n *node) forward(w http.ResponseWriter, r *http.Request) {
	_, leader := n.raft.LeaderWithID()
	p := n.cfg.peer(string(leader))
	if leader == "" || p == nil || p.ID == n.cfg.ID || r.Header.Get("X-Forwarded-By") != "" {
		http.Error(w, "no leader", http.StatusServiceUnavailable)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+p.HTTP+r.URL.RequestURI(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header.Set("X-Forwarded-By", n.cfg.ID)
	resp, err := n.fwd.Do(req)
	if err != nil {
		code := http.StatusGatewayTimeout // sent, maybe applied
		if isRefused(err) {
			code = http.StatusServiceUnavailable
		}
		http.Error(w, "forward to "+p.ID+": "+err.Error(), code)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func isRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
