package kv

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/raft"
)

// fileStore is raft's log and stable store for a node that must survive
// being killed: everything is kept in a raft.InmemStore and every change
// is first appended to a file as one length-prefixed JSON record, written
// with a single write call, which openFileStore replays. The operating
// system keeps what was written when the process is killed (SIGKILL), so
// a restarted node has its log, its term and its vote; there is no fsync,
// so it does not survive the machine losing power (not a fault the
// engine injects).
type fileStore struct {
	*raft.InmemStore
	mu sync.Mutex // serialises appends, so the file's order is the store's
	f  *os.File
}

// record is one change; exactly one of its groups is set.
type record struct {
	Logs   []*raft.Log `json:"logs,omitempty"` // StoreLogs
	Min    uint64      `json:"min,omitempty"`  // DeleteRange
	Max    uint64      `json:"max,omitempty"`
	Key    []byte      `json:"key,omitempty"` // Set, SetUint64
	Val    []byte      `json:"val,omitempty"` // Set
	U64    *uint64     `json:"u64,omitempty"` // SetUint64
	Delete bool        `json:"delete_range,omitempty"`
}

// storeFile is the name of the store's file in its folder.
const storeFile = "raft.log"

// openFileStore opens (creating it if needed) the store in dir and
// replays it. A record cut short at the end (a write interrupted by a
// power loss, not by a kill) is dropped.
func openFileStore(dir string) (*fileStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, storeFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	s := &fileStore{InmemStore: raft.NewInmemStore(), f: f}
	good, err := s.replay(bufio.NewReader(f))
	if err == nil {
		err = f.Truncate(good)
	}
	if err == nil {
		_, err = f.Seek(good, io.SeekStart)
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("raft store %s: %w", dir, err)
	}
	return s, nil
}

// replay applies every whole record and returns the offset after the
// last one.
func (s *fileStore) replay(r io.Reader) (int64, error) {
	var off int64
	for {
		var n uint32
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			return off, nil // EOF, or a torn length
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return off, nil // a torn record
		}
		var rec record
		if err := json.Unmarshal(buf, &rec); err != nil {
			return off, fmt.Errorf("record at offset %d: %w", off, err)
		}
		if err := s.applyRecord(rec); err != nil {
			return off, err
		}
		off += 4 + int64(n)
	}
}

func (s *fileStore) applyRecord(rec record) error {
	switch {
	case rec.Logs != nil:
		return s.InmemStore.StoreLogs(rec.Logs)
	case rec.Delete:
		return s.InmemStore.DeleteRange(rec.Min, rec.Max)
	case rec.U64 != nil:
		return s.InmemStore.SetUint64(rec.Key, *rec.U64)
	case rec.Key != nil:
		return s.InmemStore.Set(rec.Key, rec.Val)
	}
	return errors.New("empty record")
}

// append writes rec to the file, then applies it in memory.
func (s *fileStore) append(rec record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	buf := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(buf, uint32(len(b)))
	buf = append(buf, b...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write(buf); err != nil {
		return fmt.Errorf("raft store: %w", err)
	}
	return s.applyRecord(rec)
}

// StoreLog implements raft.LogStore.
func (s *fileStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

// StoreLogs implements raft.LogStore.
func (s *fileStore) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return nil
	}
	return s.append(record{Logs: logs})
}

// DeleteRange implements raft.LogStore.
func (s *fileStore) DeleteRange(lo, hi uint64) error {
	return s.append(record{Delete: true, Min: lo, Max: hi})
}

// Set implements raft.StableStore.
func (s *fileStore) Set(key, val []byte) error {
	return s.append(record{Key: key, Val: append([]byte{}, val...)})
}

// SetUint64 implements raft.StableStore.
func (s *fileStore) SetUint64(key []byte, val uint64) error {
	return s.append(record{Key: key, U64: &val})
}

// Close closes the file.
func (s *fileStore) Close() error { return s.f.Close() }
