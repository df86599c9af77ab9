// Package world is the simulation engine: it builds a simulated world from
// a resolved scenario (services, load generators, links), schedules the
// scenario's faults at their virtual times, runs the kernel, and returns
// the run's results in the schema every report reads.
//
// A world is a set of parts, one per model family, each in a file of its
// own: services, tracing (traces.go), sagas, mesh, calls, brokers, stores,
// clients (the load generators), outcomes (per client and per endpoint),
// links, faults (apply.go), rollouts, scalers (autoscale*.go) and
// recovery (convergence and failover times). A part builds from its
// section of the scenario and from the parts it is handed, and may start
// at the beginning of the run, sample its gauges every interval and
// report its metrics at the end. The parts share only an environment: the
// kernel, the network, the recorder, the node registry (nodes.go) and the
// scenario. Build in world.go wires them and fixes the order of every
// phase.
//
// Each fault type's meaning in the simulator is documented with the type in
// package scenarios; apply.go implements it.
//
// It imports the language (scenarios), the models, the result schema
// (results) and the kernel (sim); never another engine or the report.
package world
