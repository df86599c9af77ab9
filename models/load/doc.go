// Package load generates the requests of a scenario: a Client is a node
// that calls one service through a client-side balancer, with a deadline
// per request, and reports how each request ended (ok, error, timeout,
// rejected) through an Observer, which the engine feeds to its results
// recorder.
//
// Open-loop load follows a rate Schedule (constant, step, ramp, spike,
// diurnal) as a non-homogeneous Poisson process, drawn by thinning
// (Lewis and Shedler 1979): candidates at the schedule's maximum rate, each
// kept with probability rate(t)/max. Arrivals do not wait for answers, so a
// slow service faces the same offered load. Closed-loop load is a fixed
// number of users, each sending a request, waiting for its outcome,
// thinking, and sending the next.
//
// Latency is measured from each request's intended start (its arrival
// instant, or the end of the user's think time), and a timeout is reported
// at exactly start + timeout, so no stall can hide from the numbers.
//
// With a retry policy (Config.Retry, a resilience.RetryConfig, the one
// retry configuration of every caller) a client retries failed attempts
// after a back-off, each attempt with its own deadline,
// subject to an Envoy retry budget and gRPC retry throttling if set; the
// request's latency and outcome are those of the whole logical request.
// Attempts, Retries and Amplification count what that costs, and every
// retry is recorded in the trace. The server is never told that a client
// gave up, which is what makes retry storms possible.
//
// A Client is a state machine driven by kernel events, with random streams
// of its own ("load/<name>/arrivals", "load/<name>/think",
// "load/<name>/balancer", "load/<name>/retry"). Requests in flight live in
// a sim.Slab and their ID is a generation-checked handle, so a late reply
// to a reused slot is recognised and ignored; in steady state nothing is
// allocated per request.
package load
