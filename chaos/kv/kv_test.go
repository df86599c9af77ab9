package kv

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/store"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestClusterInProcess runs three nodes in this process, without proxies,
// and checks that writes, CAS and reads work through any node.
func TestClusterInProcess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	var peers []Peer
	for i := range 3 {
		peers = append(peers, Peer{ID: fmt.Sprintf("kv-%d", i), Raft: freeAddr(t), HTTP: freeAddr(t)})
	}
	for _, p := range peers {
		cfg := NodeConfig{ID: p.ID, RaftBind: p.Raft, HTTPBind: p.HTTP, Peers: peers,
			HeartbeatTimeout: 150 * time.Millisecond, ElectionTimeout: 150 * time.Millisecond, LeaderLeaseTimeout: 100 * time.Millisecond}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Serve(ctx, cfg); err != nil {
				t.Error(err)
			}
		}()
	}
	clients := make([]*Client, len(peers))
	for i, p := range peers {
		clients[i] = NewClient(p.HTTP)
		defer clients[i].Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := clients[0].Status(ctx)
		if err == nil && st.Leader != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader after 10s: %+v, %v", st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	do := func(c *Client, op store.Op) int64 {
		t.Helper()
		octx, ocancel := context.WithTimeout(ctx, 2*time.Second)
		defer ocancel()
		out, o := c.Do(octx, op)
		if o != store.OK {
			t.Fatalf("%v on key %d: outcome %v", op.Kind, op.Key, o)
		}
		return out
	}
	do(clients[1], store.Op{Kind: store.Put, Key: 3, Value: 42})
	if got := do(clients[2], store.Op{Kind: store.Get, Key: 3}); got != 42 {
		t.Fatalf("get after put = %d, want 42", got)
	}
	if got := do(clients[0], store.Op{Kind: store.CAS, Key: 3, Expect: 41, Value: 7}); got != 0 {
		t.Fatalf("cas with wrong expect swapped")
	}
	if got := do(clients[0], store.Op{Kind: store.CAS, Key: 3, Expect: 42, Value: 7}); got != 1 {
		t.Fatalf("cas with right expect did not swap")
	}
	if got := do(clients[1], store.Op{Kind: store.Get, Key: 3}); got != 7 {
		t.Fatalf("get after cas = %d, want 7", got)
	}
}
