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
//     unless Engine.Binary names it), in-memory log, no snapshots. Raft's
//     heartbeat, election and leader-lease timeouts come from the
//     scenario. Read modes: log (raft.Apply of a read), lease
//     (VerifyLeader, then a local read: hashicorp/raft has no clock-only
//     lease read), local (the node that believes it leads answers from its
//     own state). Non-leaders forward to the leader over HTTP.
//   - The network: an embedded Toxiproxy v2.5.0 (package chaos/proxy), with
//     one proxy per direction per pair of replicas for raft and one for
//     HTTP forwarding, and one per load client to its replica. The engine
//     talks to the nodes' control endpoints (/status, /dump) directly.
//   - Faults: partition (groups, isolate of a replica, of a client or of
//     <store>.leader resolved at the fault's start; one_way; mode
//     black-hole as a timeout toxic with timeout 0 on the cut direction of
//     every crossing proxy, mode refuse as the crossing proxies disabled).
//     Every toxic added or removed is logged with its wall-clock time since
//     the start of the load (the real-faults-*.json artefact, and metrics
//     real_fault<i>_start_s / _end_s).
//   - Load: the scenario's open-loop store clients, seeded by the run's
//     seed, each op sent at its intended time with its deadline and
//     latency counted from that time; at most 1000 ops in flight per
//     client (more are recorded as failed).
//   - Checks: linearizability (porcupine), staleness, lost writes against
//     the majority value of the replicas after the settle time, divergence,
//     convergence time, availability by client and fault window, plus
//     failover_ms_fault<i> (the time from a fault's start until a replica
//     on the majority side leads in a newer term, from samples every 20 ms)
//     and leader_changes.
//
// # Safety
//
// The cleanup of each resource is registered before the resource is
// acquired: every toxic is removed (each API call bounded, a failed revert
// retried), then every proxy of the run deleted (falling back to
// Toxiproxy's reset), every node stopped (SIGTERM, SIGKILL after 2 s) and
// reaped, on success, error, panic, cancellation, SIGINT and SIGTERM.
// Nodes run with Pdeathsig on Linux and the proxies live in the harness
// process, so nothing outlives a harness killed with SIGKILL. Each run has
// a hard deadline (duration + settle + client timeout + 30 s).
//
// # Not real yet
//
//   - Services: the HTTP service chain (breakers, retries, cascades,
//     retry storms) is not built; scenarios with services are refused.
//   - Store designs quorum (Dynamo-style) and async (primary with async
//     followers): refused.
//   - Fault types other than partition (latency, loss, bandwidth, timeout,
//     reset_peer, slow_close, crash, pause) and the scenario's link
//     latencies: not applied yet (Toxiproxy 2.5.0 has no packet loss).
//   - Overlapping refuse faults on the same proxy: the first to end
//     re-enables it.
//   - Stop conditions and a dry run.
//   - TimeScale scales the schedule (duration, faults, settle) but not
//     raft timeouts, client timeouts or rates.
package chaos
