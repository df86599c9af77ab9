// Package raft models a Raft-style CP replicated key-value store at the
// level of messages: terms, RequestVote with the log up-to-dateness check,
// AppendEntries with log matching and commit on a majority of the current
// term (Raft §5.4.2), a no-op entry at the start of each term, and a
// leader lease in the manner of hashicorp/raft (a leader that has not heard
// from a majority for leader_lease_timeout steps down).
//
// Each replica is one sim.Handler ("store/<name>/replica-<i>") on its own
// network node; replica-to-replica messages go through sim.Network.Send, so
// partitions and link faults cut them. A message's body lives in the
// cluster's message slab and only its slot travels in the event; a message
// the network loses leaves its slot unreclaimed (a few hundred bytes).
//
// Clients speak the store protocol (store.KindOp / store.KindReply). A
// follower forwards an op to the leader it knows, or answers
// StatusUnavailable at once when it knows none; the leader answers
// straight to the client (store.Reply from the leader's node, B = the
// leader's index), not back through the follower. A forwarded op that
// reaches a replica that is no longer leader is answered Unavailable.
//
// Reads follow Config.ReadMode: "log" appends a no-op read entry and
// answers at apply (linearizable); "lease" answers at once while the
// leader's lease holds and an entry of its own term has committed;
// "local" answers from whatever the replica that believes it is leader has
// applied, and such a leader keeps no lease (it leads until it hears of a
// higher term), which exposes stale reads from a deposed leader.
package raft
