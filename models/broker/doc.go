// Package broker models asynchronous messaging through a Kafka-like
// broker: one broker holds a topic of P partitions (append-only logs with
// offsets) and a dead-letter topic; producers on their own nodes send
// keyed records over the sim.Network (partition = hash(key) mod P) with
// acks 0 or 1; a consumer group of C consumers, each on its own node,
// shares the partitions (range or round-robin assignment, as Kafka's
// assignors), fetches them with a long poll, processes each record with a
// service-time distribution, keeping each partition's order, and commits
// offsets automatically or per record.
//
// Delivery is at least once. When a consumer crashes, the coordinator on
// the broker notices after the session timeout and rebalances: every
// member stops, commits and rejoins, and after a pause the partitions are
// reassigned and consumption restarts from the committed offsets, so what
// the crashed consumer processed but had not committed is processed again
// (Stats.Redelivered). An acks=1 producer that misses an ack resends,
// which may store a record twice (Stats.ProducerDuplicates). Processing
// attempts fail at an error rate, or all of them while the downstream is
// out (SetDownstream); a failed record is retried up to MaxRetries times
// and then dead-lettered, or, in an outage with outage: block, retried
// until the downstream is back, so lag builds and drains afterwards.
//
// Faults and scaling are driven from outside at the right virtual times:
// Consumer.Crash and Restart, Broker.Pause and Resume, SetDownstream,
// SetConsumers (an autoscaler's actuator). Metrics samples lag, counters
// and the group's state; OnComplete reports each record's end-to-end
// completion time, from produce to its first successful processing or
// dead-lettering.
//
// Everything is a state machine driven by kernel events; messages fit in
// an event's integers (protocol.go), and each producer and consumer draws
// from its own named random stream, so runs are deterministic per seed.
package broker
