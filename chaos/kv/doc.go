// Package kv is the real replicated key-value store that the real engine
// runs (through its adapter, chaos/adapters/raftkv): one hashicorp/raft node per OS process, with its
// log, term and vote in memory and, with NodeConfig.DataDir, also in an
// append-only file that a restarted node replays (store.go), and a
// discarding snapshot store (the log is never compacted), serving a
// small HTTP API on loopback.
//
//	GET  /kv/{key}                  read (how depends on NodeConfig.ReadMode)
//	PUT  /kv/{key}   body: value    write through the log
//	POST /cas/{key}?expect=E&new=N  compare-and-swap, decided in the FSM
//	GET  /status                    this node's raft state, term and leader
//	GET  /dump                      this node's applied state (for the final checks)
//
// Keys are small integers and values int64, as in store.Record. Answers:
// 200 with the value (GET), 1 or 0 (CAS: swapped or not), or empty (PUT);
// 503 when the op was definitely not applied (no leader known, not the
// leader); 504 when it may or may not have been (leadership lost while
// the entry was in flight, forwarding failed after sending).
//
// A node that is not the leader forwards writes (and, in read mode "log"
// and "lease", reads) to the leader over HTTP, through the address
// NodeConfig.Peers gives for it: in the real engine that is the pair's own
// Toxiproxy proxy, so forwarding obeys the same faults as raft traffic.
// Raft itself dials each peer through Peers[i].Raft (a raft
// ServerAddressProvider), one proxy per direction per pair, since raft
// answers on the connection the sender opened.
//
// Imports: the store models' operation types (models/store, the raft
// settings' names); never the engine, the language or an adapter.
package kv
