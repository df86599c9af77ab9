// Package raftkv is the real engine's adapter for Faultline's raft
// key-value store (package chaos/kv): it implements timeline.System for
// a scenario with one store of design raft and open-loop clients of it.
//
//   - Processes: one kvnode per replica (built once per harness process
//     with the go tool), hashicorp/raft v1.8.0 with the scenario's
//     heartbeat, election and leader-lease timeouts, read mode and
//     pre-vote; raft's log, term and vote in a file per node (removed
//     after the run), no snapshots. Read modes: log (raft.Apply of a
//     read), lease (VerifyLeader, then a local read), local (the node
//     that believes it leads answers from its own state), stale (every
//     node answers from its own state). Non-leaders forward to the
//     leader over HTTP. With first_leader, leadership is moved there
//     (LeadershipTransferToServer) before the load starts.
//   - Nodes and links: the replicas kv-0.. (group: the store's name) and
//     the load clients; a link per direction per pair of replicas for
//     raft and one for HTTP forwarding, and one per client to its
//     replica. The control plane (status, dump) talks to the nodes
//     directly, never through a proxy. The role <store>.leader is the
//     replica that leads at the fault's start.
//   - crash: SIGKILL to the node's process group, then at the fault's
//     end a restart with the same configuration, ports, data folder and
//     (appended) log: the node rejoins with its log and catches up from
//     the leader. pause: SIGSTOP, SIGCONT at the end.
//   - Load: the scenario's store clients, seeded by the run's seed, each
//     op sent at its intended time with its deadline and latency counted
//     from that time; at most 1000 ops in flight per client (more are
//     recorded as failed).
//   - Checks (models/store/check, the simulator's code and names):
//     linearizability (porcupine, with its page in the report folder),
//     staleness, lost writes against the majority value of the replicas
//     after the settle time, divergence, convergence time, availability
//     by client and fault window, failover_ms_fault<i> (from a fault's
//     start until a replica on the side with a majority leads in a newer
//     term, from samples of every node's raft state every 20 ms),
//     leader_failover_ms and leader_changes, and the series leader.
//   - Not real: read_mode local cannot outlive the leader's lease (a
//     hashicorp/raft leader steps down), which a run notes.
//
// Imports: the timeline, chaos/kv, chaos/internal/procs, the language
// (scenarios), the store models' history, checks and raft settings, the
// result schema and sim; never another adapter.
package raftkv
