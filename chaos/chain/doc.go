// Package chain is the real counterpart of the simulator's call graphs: an
// HTTP service (Serve; cmd/chainnode runs one per OS process, 127.0.0.1
// only) whose concurrency, queue, service time, error rate and outgoing
// calls come from a ServiceConfig, with per-call timeouts, retries with
// jittered back-off, retry budgets and throttling, sony/gobreaker and
// sliding-window breakers, bulkheads, x/time/rate limits and fallbacks;
// the status every instance answers (FetchStatus, Sum); and an open-loop
// load generator (Generate), retrying and balancing over the entry's
// instances as load.retry and load.balancer say. The real engine's
// adapter (chaos/adapters/httpchain) starts a chain of them with a
// Toxiproxy proxy on every link, applies the scenario's faults and turns
// what they measure into a results.Run with the simulator's series and
// metric names.
//
// The policies reuse the simulator's state machines (resilience.Retrier,
// the balancers of balance.New, balance.Outlier,
// resilience.WindowBreaker, Bulkhead, Budget, Throttle), driven by real
// monotonic time and guarded by mutexes, except the consecutive-failure
// breaker and the rate limiters, which are the real github.com/sony/gobreaker
// and golang.org/x/time/rate that those models imitate. They wrap each
// attempt in the simulator's order: retry, breakers, rate limit, bulkhead.
// The balancer (round_robin, random, least_outstanding or p2c, counting
// the caller's own attempts in flight) picks each attempt's instance,
// among those outlier detection (outlier_detection, on a call or the
// load) has not ejected; every attempt's outcome, a timeout included,
// feeds the detector, whose ejections are the metrics ejections (the
// load's) and calls.<caller>_><target>.ejections. Every instance counts
// as ready (the chain has no start-up or draining), and a service's
// detector sweeps from its process's start, the load's from the load's.
//
// A service's config, as the adapter writes it to <name>.yaml for
// cmd/chainnode:
//
//	name: b
//	instances: 2                  # one process each
//	instance: 0                   # set by the harness, as listen
//	listen: 127.0.0.1:14021
//	workers: 16
//	queue_limit: 32               # beyond workers+queue_limit: 503 at once
//	service_time: {kind: lognormal, mean: 0.01, stddev: 0.005}  # seconds
//	error_rate: 0.01              # answered 500
//	honor_deadlines: true         # drop work whose deadline has passed
//	mode: sequential              # or parallel (with call_quorum)
//	calls:
//	  - target: c
//	    addrs: [127.0.0.1:40133]  # the b->c proxies, one per instance of c (the adapter's)
//	    balancer: round_robin     # random, least_outstanding, p2c
//	    outlier_detection: {consecutive_errors: 5, interval: 10s, base_ejection_time: 30s}
//	    timeout: 200ms            # per attempt
//	    retry: {max_attempts: 3, backoff: {kind: exponential, base: 25ms, jitter: full}, budget: {}}
//	    breaker: {consecutive_failures: 5, timeout: 5s}
//	    bulkhead: {max_concurrent: 8, max_waiting: 4}
//	    rate_limit: {rate: 100, burst: 10}
//	    fallback: true            # a failed call gives a degraded 200
//
// The protocol between services: any path but /status is work; the
// caller sends its attempt's remaining time in X-Faultline-Timeout, and a
// 200 built with a fallback anywhere downstream carries the targets in
// X-Faultline-Degraded. 429 and 503 are admission refusals, 504 a passed
// deadline, 500 and 502 errors. GET /status answers a Status as JSON:
// counters, queue, the measured worker time (over the requests served:
// time held, service time drawn, work and calls, and the handoffs of a
// released worker to a queued request), and per call the attempts,
// retries, refusals and breaker state, which the adapter samples to plot
// breaker state over time (series breaker_open.<caller>-><target>) and
// turns into per-service metrics (worker_hold_mean_ms,
// service_time_mean_ms, worker_overhead_mean_ms...).
//
// A worker's work is a sleep until the drawn service time after it took
// the request, in nanosleep(2) on Linux: a Go timer there fires 0.6 ms
// late on average, the kernel's sleep about 0.1 ms, and the hold time
// the service reports is the one measured, whatever the sleep achieved.
//
// Imports: the models whose state machines it runs (models/service,
// models/resilience), the result schema's outcomes (results) and sim;
// never the engine, the language or an adapter.
package chain
