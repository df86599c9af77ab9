// Package store holds what every replicated key-value store design shares:
// the operations clients send, the wire protocol between clients and
// replicas, the client workload, and the recorded history that checkers
// read. The designs live in subpackages (raft: CP; dynamo: AP quorums and
// asynchronous followers); the checkers in check.
//
// Values are int64 and every write in a run writes a distinct value, so a
// checker can tell which write a read observed. Value 0 means "absent".
package store
