// Package chain is the real counterpart of the simulator's call graphs: an
// HTTP service (one OS process per instance, 127.0.0.1 only) whose
// concurrency, queue, service time, error rate and outgoing calls come
// from a ServiceConfig, with per-call timeouts, retries with jittered
// back-off, retry budgets and throttling, sony/gobreaker and sliding-window
// breakers, bulkheads, x/time/rate limits and fallbacks; a Harness that
// starts a chain of them (gateway -> a -> b -> ...) with a Toxiproxy proxy
// on every link, so that faults are toxics on those proxies; and an
// open-loop load generator whose results go into a results.Run, beside
// the simulator's.
//
// The resilience mechanisms reuse the state machines of
// faultline/models/resilience (driven here by real monotonic time and
// guarded by mutexes), except the consecutive-failure breaker and the rate
// limiter, which are the real github.com/sony/gobreaker and
// golang.org/x/time/rate that those models imitate.
//
// Every run cleans up after itself: child processes are stopped (and, on
// Linux, killed by the kernel if the harness dies), proxies are deleted,
// on success, failure, panic, cancellation, SIGINT and SIGTERM.
package chain
