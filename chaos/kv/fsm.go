package kv

import (
	"encoding/json"
	"io"
	"maps"
	"sync"

	"github.com/hashicorp/raft"
)

// Command kinds, as in store.OpKind.
const (
	cmdGet = "get"
	cmdPut = "put"
	cmdCAS = "cas"
)

// command is one log entry.
type command struct {
	Op     string `json:"op"`
	Key    int    `json:"key"`
	Value  int64  `json:"value,omitempty"`
	Expect int64  `json:"expect,omitempty"`
}

// fsm is the replicated map of key to value (0 = absent).
type fsm struct {
	mu sync.Mutex
	kv map[int]int64
}

func newFSM() *fsm { return &fsm{kv: map[int]int64{}} }

// Apply returns the value read (get), or 1/0 for a CAS that did or did not
// swap, as int64.
func (f *fsm) Apply(l *raft.Log) any {
	var c command
	if err := json.Unmarshal(l.Data, &c); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch c.Op {
	case cmdPut:
		f.kv[c.Key] = c.Value
	case cmdCAS:
		if f.kv[c.Key] != c.Expect {
			return int64(0)
		}
		f.kv[c.Key] = c.Value
		return int64(1)
	}
	return f.kv[c.Key]
}

func (f *fsm) get(key int) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.kv[key]
}

func (f *fsm) dump() map[int]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.kv)
}

func (f *fsm) Snapshot() (raft.FSMSnapshot, error) { return snapshot(f.dump()), nil }

func (f *fsm) Restore(r io.ReadCloser) error {
	defer r.Close()
	kv := map[int]int64{}
	if err := json.NewDecoder(r).Decode(&kv); err != nil {
		return err
	}
	f.mu.Lock()
	f.kv = kv
	f.mu.Unlock()
	return nil
}

type snapshot map[int]int64

func (s snapshot) Persist(sink raft.SnapshotSink) error {
	if err := json.NewEncoder(sink).Encode(map[int]int64(s)); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s snapshot) Release() {}
