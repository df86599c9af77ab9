// Package chaos is the real engine: it runs a scenario against real
// processes on loopback, with a Toxiproxy proxy on every link, applies the
// scenario's faults at their (scaled) times, drives its load, checks what
// happened with the simulator's code and produces a results.Run with the
// simulator's metric names. Engine implements scenarios.Engine (Name
// "real"), so scenarios.Execute runs it as it runs the simulator:
//
//	report, err := scenarios.Execute(ctx, sc, &chaos.Engine{Dir: out, TimeScale: 0.2}, scenarios.Options{Seeds: 1})
//
// A case it cannot run fails with an error wrapping ErrNoRealCounterpart
// ("design quorum has no real counterpart"), which a caller comparing
// engines can skip per case; Engine.Plan says what a run would do
// without starting anything (-real -dry-run).
//
// # Layout
//
// The real engine is one timeline and a family of systems:
//
//   - chaos (this package): the entry point. Engine, Plan, and System,
//     the one place that picks the adapter for a scenario. Imports the
//     timeline, the adapters, the language (scenarios) and the result
//     schema (results).
//   - chaos/timeline: what every real run does whatever the system: the
//     proxies placed on the system's links, the topology's link settings,
//     the faults applied at their scaled times through one table keyed by
//     fault type (with their reverts registered first and every teardown
//     bounded), the stop condition, the samplers of the system and of the
//     machine's CPU, the run's notes and fault log, the cleanup. It
//     defines System, the adapter's interface, and imports no adapter.
//   - chaos/adapters/raftkv: the raft key-value store (chaos/kv) as a
//     system: its nodes, their links, crash and pause of a node, the
//     store clients' open-loop load, the history and its checks
//     (linearizability, lost writes, failover times).
//   - chaos/adapters/httpchain: the HTTP service chain (chaos/chain) as a
//     system: one process per service instance, a link per caller and
//     callee instance, the load generator, the services' status samples
//     and metrics.
//   - chaos/kv, chaos/chain: the programs the adapters start (kvnode,
//     chainnode) and their clients; they know nothing of scenarios or
//     runs.
//   - chaos/proxy: the Toxiproxy harness; chaos/internal/procs: child
//     processes; chaos/internal/hostcpu: the machine's CPU.
//
// Adding a system (etcd, Redis, a user's own processes) is a package
// under chaos/adapters and a line in System; the timeline does not
// change.
//
// # Semantics
//
// What every run shares (selectors, how a fault maps to proxy streams,
// the stop condition, bounds, the fault log) is documented in package
// timeline; what each system is, runs and measures, in its adapter's
// package. In short:
//
//   - A scenario with services runs as the HTTP chain; one with a store
//     of design raft as the raft store. Store designs quorum and async,
//     sagas, brokers and meshes have no real counterpart yet.
//   - TimeScale scales the schedule (duration, faults, settle, rate
//     schedules, the series' step) but not raft timeouts, client
//     timeouts, service times, outlier detection's times or rates.
//   - Toxiproxy has no packet loss: loss is a black hole on a share of
//     the connections (rolled once per connection), and each such
//     difference is noted in the run (metric
//     real_settings_not_as_simulated, and the notes).
//
// # Safety
//
// The cleanup of each resource is registered before the resource is
// acquired: every toxic is removed (each API call bounded, a failed revert
// retried), then every proxy of the run deleted (falling back to
// Toxiproxy's reset), every process stopped (SIGCONT, so that a paused
// one can act, and SIGTERM to its process group, SIGKILL after a grace)
// and reaped, and no crashed process restarted once the run is stopping:
// on success, error, panic, cancellation, SIGINT and SIGTERM. Processes
// run with Pdeathsig on Linux and the proxies live in the harness
// process, so nothing outlives a harness killed with SIGKILL. Each run has
// a hard deadline.
package chaos
