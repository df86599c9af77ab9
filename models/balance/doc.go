// Package balance holds client-side load balancing as pure state
// machines: the balancing policies a caller uses to pick an instance
// (round_robin, random, least_outstanding, p2c; balancer.go) and Envoy's
// outlier detection, which takes instances that keep failing out of a
// caller's pool for a while (outlier.go).
//
// Both see only what one caller sees: its own requests in flight and the
// outcomes of its own attempts, never the instances' queues. They are used
// by the simulated callers (models/load's clients and models/service's
// calls) and, unchanged, by the real service chain (chaos/chain), whose
// outlier detector runs on the time since its load started. Nothing here
// owns a clock or a goroutine: time is passed in as a sim.Time, randomness
// as a *rand.Rand the caller owns.
//
// It imports only sim and field (the layer rule for models: field, sim,
// sim/stat, results and other models).
package balance
