// Package service models the services of a microservice architecture: a
// Service is a set of identical instances, each a process on its own
// network node with a fixed number of workers, a waiting queue (FIFO or
// LIFO, bounded or not) and a service-time distribution. An instance
// answers every request it receives over the network: StatusOK when a
// worker has served it, StatusRejected at once when the queue is full, and
// StatusReset while the process is down or when it dies with the request in
// hand. Replies travel back over the network, so partitions and link
// faults shape them as they shape requests.
//
// Process faults are driven from outside at the right virtual times: Crash
// and Restart (SIGKILL and a fresh start with an empty queue), Pause and
// Resume (SIGSTOP/SIGCONT or a stop-the-world GC pause: nothing starts or
// finishes, work in progress resumes where it stopped).
//
// A service scales (scale.go, lifecycle.go): Scale sets the number of
// instances it should run; new instances get new nodes and become ready
// after a start-up delay, and instances scaled away drain (no new
// requests, the queue served) before they stop. Ready lists the instances
// that take traffic, which is what a Balancer picks from; a Meter
// measures each instance's utilisation and concurrency over a window, the
// inputs of an autoscaler.
//
// protocol.go fixes how callers and instances talk (what a request and a
// reply carry in an event's two integers). A caller picks an instance
// with the client-side balancers and outlier detection of models/balance.
//
// Instances are state machines driven by kernel events. Each draws its
// service times from its own random stream, named like its handler
// ("service/<name>/instance-<i>"), so adding a service or an instance never
// changes another's draws. In steady state nothing is allocated per
// request: queues are ring buffers and workers a fixed table.
package service
