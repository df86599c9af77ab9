// Package timeline is the real engine's shared run: what every real run
// does whatever the system under test. It places an embedded (or
// external) Toxiproxy proxy on every link a system declares, puts the
// scenario's topology.links on them as permanent toxics, starts the
// system behind them, then, from the start of the load, applies each
// fault at its scaled time through one table keyed by fault type (link
// faults as toxics on the proxy streams the link crosses, partitions as
// black holes or disabled proxies on the streams that cross them, crash
// and pause through the system) with its revert registered before the
// first change and every Toxiproxy call bounded; it samples the system
// and the machine's CPU on one set of tickers, watches the scenario's
// stop condition, lets the system settle, records the run's notes and
// fault log, and always cleans up (toxics, proxies, the system's
// processes) on success, failure, panic, cancellation, SIGINT and
// SIGTERM.
//
// A system is an adapter (System): it says which processes it starts
// and which links they dial (Spec), how a crash or a pause acts, how
// its load is driven and what history and metrics it records. The
// adapters live in chaos/adapters/...; adding one never touches this
// package.
//
// # Semantics shared by every system
//
//   - Selectors: "" or "*" is every node, a node's name that node, a
//     group's name every node of it (a store, a service), a role (e.g.
//     "kv.leader") the node that holds it at the fault's start.
//   - A message from a to b travels upstream (requests) on the links a
//     dials to b and downstream (answers) on the links b dials to a; a
//     fault on a -> b acts on both. A link shared by several dialers (a
//     caller's instances) cannot be cut for some of them: a link fault
//     then acts on all of them (noted); a partition that separates them
//     has no real counterpart, unless it isolates a node, whose own
//     connections through shared links are then left alone (noted).
//   - partition: mode black-hole puts a timeout toxic with timeout 0 on
//     every crossing stream; refuse disables the proxies whose requests
//     cross and black-holes the streams whose answers alone cross
//     (one_way), noted.
//   - Link faults: the Toxiproxy toxic of the fault's type with
//     toxicity 1 (loss: a timeout-0 black hole with toxicity =
//     probability, rolled once per connection; bandwidth in whole KB/s
//     per connection and direction; times in whole milliseconds), each
//     difference noted.
//   - crash and pause: System.Crash and System.Pause on the target's
//     processes; a crash's restart is skipped when the run is being
//     torn down.
//   - Stop condition: checked every 100 ms against the requests the
//     load reports (Env.Ended); when it holds, the load and the faults
//     end at once (faults reverted), the run settles and is measured as
//     any other, and it is recorded as stopped (metrics stopped,
//     stopped_at_s, and a note), not failed.
//   - Bounds: every Toxiproxy call has a deadline (package chaos/proxy),
//     every fault ends, every run has a hard deadline: its duration,
//     drain and settle times, and 30 s.
//   - Results: a results.Run with the simulator's phases (During from
//     the first fault's start to the last one's end, within the load),
//     the machine's CPU (host_cpu), real_fault<i>_start_s / _end_s,
//     stopped, time_scale, real_settings_not_as_simulated and the notes;
//     with a Dir, the fault log real-faults-<scenario>-<case>-seed<n>.json
//     (faults as applied, topology links, notes, every Toxiproxy change
//     and process signal with its time since the start of the load).
//
// Imports: the language (scenarios), the result schema (results), the
// Toxiproxy harness (chaos/proxy) and chaos/internal/hostcpu; never an
// adapter, a system's program (chaos/kv, chaos/chain) or a model.
package timeline
