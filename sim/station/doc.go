// Package station models a queueing station: c identical servers fed by
// one FIFO queue, with an optional limit K on the customers present, in
// Kendall's notation G/G/c/K. It is the building block of a service
// instance's capacity: M/M/c/∞ is a thread pool with an unbounded backlog,
// M/M/c/c a pool that sheds whatever finds every worker busy.
//
// A Station is a state machine driven by kernel events (an arrival, a
// departure); it never reads the wall clock, and its randomness comes from
// two named streams, "<name>/arrivals" and "<name>/service", so adding
// another component never changes its draws. Besides counts it measures
// response and waiting times, the time-average number in system and in
// queue, the blocking fraction and a per-batch 99th percentile of response
// time, all grouped into batches so that callers can build confidence
// intervals with package stat. Its tests check these estimates against the
// closed forms of queueing theory (M/M/1, Erlang C, Pollaczek-Khinchine,
// M/M/1/K, Erlang B).
//
// It is the kernel's validation and benchmark, not a part of the services:
// a service instance keeps its own queue of requests (FIFO or LIFO, bounded,
// drained on a crash), which models/load's tests hold to the same formulas
// through the whole client, network and service path. It imports only sim
// and sim/stat.
package station
