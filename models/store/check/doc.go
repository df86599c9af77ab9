// Package check reads the history of a run of a replicated key-value store
// (store.History) and says what the clients saw: whether each key behaved
// as a linearizable register (checked with porcupine), how stale the reads
// were, which acknowledged writes were lost, and how available the store
// was to a group of clients during a window; and it writes porcupine's
// page of a history to any io.Writer.
//
// The checks depend only on store.Record, so the simulator and the real
// engine share them. Times are the records' int64 nanoseconds; nothing
// here reads a clock: porcupine's search is bounded in steps per key
// (Checker.Steps), so a verdict is the same on any machine at any load.
//
// It imports the store model and porcupine, nothing of the engines.
package check
