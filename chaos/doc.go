// Package chaos is the real engine: it runs a scenario's replicated store
// as real processes on loopback, with a real Toxiproxy proxy on every
// link, applies the scenario's faults as toxics at their times, drives the
// scenario's load, records the operation history and checks it with the
// same code as the simulator (models/store/check), producing a
// results.Run with the simulator's metric names. Engine implements
// scenarios.Engine (Name "real"), so scenarios.Execute runs it as it runs
// the simulator:
//
//	report, err := scenarios.Execute(ctx, sc, &chaos.Engine{Dir: out, TimeScale: 0.2}, scenarios.Options{Seeds: 1})
//
// A case it cannot run fails with an error wrapping ErrNoRealCounterpart
// ("design quorum has no real counterpart"), which a caller comparing
// engines can skip per case.
//
// # What is real
//
//   - The store (package chaos/kv): hashicorp/raft v1.8.0, one node per OS
//     process (the kvnode command, built once per process with the go tool
//     unless Engine.Binary names it), raft's log, term and vote in a file
//     per node (removed after the run), no snapshots. Raft's
//     heartbeat, election and leader-lease timeouts come from the
//     scenario. Read modes: log (raft.Apply of a read), lease
//     (VerifyLeader, then a local read: hashicorp/raft has no clock-only
//     lease read), local (the node that believes it leads answers from its
//     own state), stale (every node answers from its own state). Non-leaders forward to the leader over HTTP.
//   - The network: an embedded Toxiproxy v2.5.0 (package chaos/proxy), with
//     one proxy per direction per pair of replicas for raft and one for
//     HTTP forwarding, and one per load client to its replica. The engine
//     talks to the nodes' control endpoints (/status, /dump) directly.
//   - Topology: each of topology.links becomes permanent toxics on the
//     streams that carry its direction(s), in place before the nodes
//     start: a latency toxic (the simulated one-way latency on that
//     direction; a constant is exact, a uniform [min, max] is its
//     midpoint with jitter of half its width, other kinds their mean) and
//     a bandwidth toxic. Toxiproxy takes whole milliseconds: below 1 ms
//     nothing is applied (a proxy hop on loopback costs a few hundred µs).
//     Loss is not applied. Every such gap is written to Engine.Log and to
//     the fault log ("not_applied_as_simulated"), and counted in the
//     metric real_settings_not_as_simulated.
//   - Faults (one file per family; faultKinds is the registry). A message
//     from a to b travels upstream on a's proxies to b and downstream on
//     b's proxies to a (b's connections), so a fault on a->b acts on both.
//     Selectors: a replica, the store (every replica), a load client, *
//     (or empty) for every node, and <store>.leader resolved at the
//     fault's start.
//     partition: groups, isolate of a
//     replica, of a client or of <store>.leader; one_way; mode black-hole
//     as a timeout toxic with timeout 0 on every crossing stream, mode
//     refuse as the crossing proxies disabled.
//     latency (latency, jitter in whole ms), bandwidth (rate = bytes_per_s
//     / 1000 KB/s, at least 1, per connection and direction, not per
//     link), timeout (timeout ms; 0 holds everything), reset_peer (timeout
//     ms after the first data on a connection) and slow_close (delay ms):
//     the Toxiproxy toxic of that name with toxicity 1 on the streams of
//     every from->to direction (and back with two_way). loss: Toxiproxy
//     has no packet loss; a timeout toxic (timeout 0, a black hole) with
//     toxicity = probability, which Toxiproxy rolls once per connection:
//     with probability p a connection loses everything, otherwise
//     nothing, instead of each message being lost with probability p.
//     Raft reconnects after its IO deadline, so over a fault a node
//     loses about p of its connections' time rather than p of its
//     messages.
//     crash of a replica (or of the store, or of <store>.leader, which the
//     scenario language does not accept for crash yet): SIGKILL to its
//     process group, then at the fault's end a restart with the same
//     configuration, ports, data folder and (appended) log. Raft's log,
//     term and vote are in a file written before raft goes on (chaos/kv's
//     fileStore, no fsync: it survives a kill, which is the fault, not a
//     power loss), so the node rejoins with its log and catches up from
//     the leader; its key-value state is rebuilt by replaying the log.
//     pause: SIGSTOP to its process group, SIGCONT at the end; requests
//     sent to it wait in the kernel and are served after SIGCONT if the
//     client still waits.
//     slicer (average_size, size_variation, delay in µs) and limit_data
//     (bytes): the toxics of those names, as the link faults above.
//     window: nothing.
//     Every toxic added or removed and every fault's real start and end
//     (the real-faults-*.json artefact, and metrics real_fault<i>_start_s
//     / _end_s) are recorded with their wall-clock time since the start
//     of the load, with the notes on each approximation.
//   - Load: the scenario's open-loop store clients, seeded by the run's
//     seed, each op sent at its intended time with its deadline and
//     latency counted from that time; at most 1000 ops in flight per
//     client (more are recorded as failed).
//   - Checks: linearizability (porcupine), staleness, lost writes against
//     the majority value of the replicas after the settle time, divergence,
//     convergence time, availability by client and fault window, plus
//     failover_ms_fault<i> (the time from a fault's start until a replica
//     on the majority side leads in a newer term, from samples every 20 ms),
//     leader_failover_ms (their mean over cuts of the leader alone) and
//     leader_changes. A run with first_leader set moves leadership there
//     (LeadershipTransferToServer) before its load starts.
//
// # Safety
//
// The cleanup of each resource is registered before the resource is
// acquired: every toxic is removed (each API call bounded, a failed revert
// retried), then every proxy of the run deleted (falling back to
// Toxiproxy's reset), every node stopped (SIGCONT, so that a paused one
// can act, and SIGTERM to its process group, SIGKILL after 2 s) and
// reaped, and no crashed node restarted once the run is stopping: on
// success, error, panic, cancellation, SIGINT and SIGTERM.
// Nodes run with Pdeathsig on Linux and the proxies live in the harness
// process, so nothing outlives a harness killed with SIGKILL. Each run has
// a hard deadline (duration + settle + client timeout + 30 s).
//
// Stop condition: a scenario's stop section (error_rate over a window)
// is watched every 100 ms while the load runs; when it holds, the load
// and the faults end at once (faults reverted), the run settles and is
// checked as any other, and it is recorded as stopped (metrics stopped,
// stopped_at_s, and a note), not failed.
//
// # Not real
//
//   - Store designs quorum (Dynamo-style) and async (primary with async
//     followers): refused (ErrNoRealCounterpart), as are sagas, brokers
//     and meshes among service scenarios (see runChain).
//   - Per-message loss: loss is per-connection toxicity (see above).
//   - read_mode local: a hashicorp/raft leader steps down when its lease
//     runs out, so it cannot keep serving local reads after losing its
//     majority as the simulated etcd-style leader does; a run notes it.
//   - TimeScale scales the schedule (duration, faults, settle, rate
//     schedules) but not raft timeouts, client timeouts, outlier
//     detection's interval and ejection times or rates.
//   - Service chains: a partition is cut on the chain's proxies, which
//     the instances of a caller share, so a cut between some instances
//     of a caller and a callee is refused (an isolated instance's own
//     calls are left alone and noted: it gets no new requests); mode
//     refuse on answers alone (one_way) black-holes them; a fault from
//     one instance of a caller acts on all its instances (noted).
package chaos
