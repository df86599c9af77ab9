// Package httpchain is the real engine's adapter for Faultline's HTTP
// service chain (package chaos/chain): it implements timeline.System for
// a scenario of services with one open-loop load at a constant rate.
//
//   - Processes: one chainnode per service instance (built once per
//     harness process), its config mapped from the scenario's service:
//     workers, queue limit, service time, error rate, rate limit,
//     deadlines, call mode and quorum, and per call the balancer,
//     timeout, retry, breakers, bulkhead, rate limit, fallback and
//     outlier detection. Settings with no counterpart (more than 16
//     instances, route and saga calls, lifo queues, drop_oldest,
//     autoscale, health checks, restarts, publish, fallback_to; stores,
//     brokers, meshes) are refused with timeline.ErrNoRealCounterpart.
//   - Nodes and links: the load (named as the scenario's) and every
//     instance, named as the simulator names them (api-0, api-1; group:
//     the service); a link from the load to each entry instance, and one
//     from each service to each instance of each service it calls, which
//     the caller's instances share. The harness reads every instance's
//     status directly, never through a proxy.
//   - crash: SIGKILL to the instance's process group, and at the fault's
//     end a restart with the same config and port, waiting (bounded)
//     until it answers. pause: SIGSTOP, SIGCONT at the end.
//   - Load: chain.Generate on the entry's proxies: Poisson arrivals from
//     the run's seed, open loop, the load's retry, balancer and outlier
//     detection.
//   - Measures: every request (availability, latency, the simulator's
//     series), the load's retries (series retries, metric
//     retry_amplification, ejections), and from every instance's status
//     every 100 ms: queue_depth and in_service per service, per call
//     breaker_open, retries, calls_refused and fallbacks, and at the end
//     calls.<caller>_><target>.* totals and the workers' times
//     (worker_hold_mean_ms ...); the samples go to status.jsonl in the
//     run's folder.
//   - Not scaled: service times, timeouts, outlier detection's interval
//     and ejection times (noted when the schedule is).
//
// Imports: the timeline, chaos/chain, chaos/internal/procs, the language
// (scenarios), the service and resilience models' configuration types
// and the result schema; never another adapter.
package httpchain
