// Package sim is Faultline's deterministic discrete-event kernel.
//
// It knows virtual time, events, seeded randomness and networks, and nothing
// about microservices. Time is an integer count of nanoseconds that only the
// kernel advances; the wall clock is never read. Events sit in a value-based
// 4-ary heap ordered by (time, insertion sequence), so two events at the same
// instant always run in the order they were scheduled. Random streams are
// derived from the root seed and a stable name, so adding a component never
// changes the draws of another. Every dispatched event is folded into a
// running hash: the same seed gives the same hash, on any machine, with any
// GOMAXPROCS, which is how a run proves it is replayable.
//
// Models are state machines: they register a Handler once, schedule events
// that carry a kind and two integer arguments (no allocation, no boxing), and
// react in HandleEvent. Closures (AfterFunc) exist for code off the hot path.
package sim
