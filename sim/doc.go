// Package sim is Faultline's deterministic discrete-event kernel.
//
// It knows virtual time, events, seeded randomness and networks, and nothing
// about microservices. Time is an integer count of nanoseconds that only the
// kernel advances; the wall clock is never read. Events run in (time,
// insertion sequence) order, so two events at the same instant always run in
// the order they were scheduled. They wait in a value-based 4-ary heap that
// knows where each timer sits, so Cancel removes it at once; events due at the
// current instant wait in a FIFO beside it, and timers due a second or more
// ahead outside it until their time comes near. Random streams are
// derived from the root seed and a stable name, so adding a component never
// changes the draws of another. Every dispatched event is folded into a
// running hash: the same seed gives the same hash, on any machine, with any
// GOMAXPROCS, which is how a run proves it is replayable.
//
// Models are state machines: they register a Handler once, schedule events
// that carry a kind and two integer arguments (no allocation, no boxing), and
// react in HandleEvent. Closures (AfterFunc) exist for code off the hot path.
// Slab holds what their events refer to (a message on the wire, a request in
// flight) under generation-checked handles. A Network's links are set pair by
// pair or by rule (SetLinks): a rule's pairs share one link until one needs
// state of its own, so a rule over every pair of a large topology stays
// small.
//
// It imports nothing of the project; everything else is built on it.
package sim
