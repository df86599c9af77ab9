// Package resilience holds the client- and server-side resilience
// mechanisms of Faultline's service models as pure state machines: a
// consecutive-failure circuit breaker with the exact semantics of
// sony/gobreaker, a sliding-window breaker after resilience4j, retries
// (RetryConfig, the one retry configuration of every caller, and the
// Retrier that runs it), Envoy's retry budget, gRPC retry throttling (gRFC
// A6), a token-bucket rate limiter with the semantics of
// golang.org/x/time/rate, and a bulkhead.
//
// None of them owns a goroutine, a timer or a clock: a mechanism whose
// behaviour depends on time takes the kernel's virtual time (now sim.Time)
// in every call and changes state lazily, the way gobreaker and x/time/rate
// do with the wall clock. Randomness comes from a *rand.Rand the caller
// passes in. Calls do not allocate, so a service model may consult a
// mechanism on every request.
//
// Each mechanism has a Config with yaml tags, SetDefaults and a Validate
// whose errors name the yaml field and the allowed range; New* constructors
// apply the defaults and reject invalid settings.
//
// It imports sim, results (a retry's outcomes are results.Outcome) and
// field (every Validate error is a *field.Error), as the layer rule for
// models allows (field, sim, sim/stat, results, other models).
package resilience
