package kv

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
)

// TestFileStoreReopen: what was stored is there after reopening, deletes
// included, and a record cut short at the end of the file is dropped
// without losing the ones before or the ones written after.
func TestFileStoreReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := openFileStore(dir)
	require.NoError(t, err)
	var logs []*raft.Log
	for i := uint64(1); i <= 5; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 1 + i/3, Type: raft.LogCommand, Data: []byte{byte(i)}})
	}
	require.NoError(t, s.StoreLogs(logs[:2]))
	require.NoError(t, s.StoreLogs(logs[2:]))
	require.NoError(t, s.DeleteRange(4, 5))
	require.NoError(t, s.SetUint64([]byte("CurrentTerm"), 7))
	require.NoError(t, s.Set([]byte("LastVoteCand"), []byte("kv-2")))
	require.NoError(t, s.Close())

	// A kill cannot tear a write, a power loss can: simulate one.
	f, err := os.OpenFile(filepath.Join(dir, storeFile), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte{0, 0, 1, 0, '{', '"'})
	require.NoError(t, err)
	require.NoError(t, f.Close())

	check := func(s *fileStore, last uint64) {
		t.Helper()
		first, _ := s.FirstIndex()
		lastIdx, _ := s.LastIndex()
		assert.Equal(t, uint64(1), first)
		assert.Equal(t, last, lastIdx)
		var l raft.Log
		require.NoError(t, s.GetLog(2, &l))
		assert.Equal(t, uint64(2), l.Index)
		assert.Equal(t, []byte{2}, l.Data)
		assert.ErrorIs(t, s.GetLog(5, &l), raft.ErrLogNotFound, "deleted range")
		term, err := s.GetUint64([]byte("CurrentTerm"))
		require.NoError(t, err)
		assert.Equal(t, uint64(7), term)
		vote, err := s.Get([]byte("LastVoteCand"))
		require.NoError(t, err)
		assert.Equal(t, []byte("kv-2"), vote)
	}
	s, err = openFileStore(dir)
	require.NoError(t, err)
	check(s, 3)
	require.NoError(t, s.StoreLog(&raft.Log{Index: 4, Term: 7, Data: []byte{4}}))
	require.NoError(t, s.Close())
	s, err = openFileStore(dir)
	require.NoError(t, err)
	defer s.Close()
	check(s, 4)
}

// TestNodeRestartKeepsState: a single node with a DataDir, stopped and
// started again on the same folder and ports, does not bootstrap again,
// keeps its term and serves what was written before.
func TestNodeRestartKeepsState(t *testing.T) {
	p := Peer{ID: "kv-0", Raft: freeAddr(t), HTTP: freeAddr(t)}
	cfg := NodeConfig{ID: p.ID, RaftBind: p.Raft, HTTPBind: p.HTTP, Peers: []Peer{p}, DataDir: t.TempDir(),
		HeartbeatTimeout: 50 * time.Millisecond, ElectionTimeout: 50 * time.Millisecond, LeaderLeaseTimeout: 50 * time.Millisecond}
	c := NewClient(p.HTTP)
	defer c.Close()
	serve := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Serve(ctx, cfg) }()
		return func() { cancel(); require.NoError(t, <-done) }
	}
	leading := func() Status {
		t.Helper()
		var st Status
		require.Eventually(t, func() bool {
			var err error
			st, err = c.Status(context.Background())
			return err == nil && st.State == "Leader"
		}, 10*time.Second, 20*time.Millisecond, "no leader")
		return st
	}
	do := func(op store.Op) (int64, store.Outcome) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return c.Do(ctx, op)
	}

	stop := serve()
	before := leading()
	_, o := do(store.Op{Kind: store.Put, Key: 1, Value: 99})
	require.Equal(t, store.OK, o)
	stop()

	stop = serve()
	defer stop()
	after := leading()
	assert.Greater(t, after.Term, before.Term, "the term survives the restart (and a new election raises it)")
	got, o := do(store.Op{Kind: store.Get, Key: 1})
	require.Equal(t, store.OK, o)
	assert.Equal(t, int64(99), got, "the write before the restart is replayed from the log")
}
