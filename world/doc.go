// Package world is the simulation engine: it builds a simulated world from
// a resolved scenario (services, load generators, links), schedules the
// scenario's faults at their virtual times, runs the kernel, and returns
// the run's results in the schema every report reads.
//
// Each fault type's meaning in the simulator is documented with the type in
// package scenarios; apply.go implements it.
package world
