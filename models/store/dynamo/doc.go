// Package dynamo holds the AP store designs: a Dynamo-style store with
// configurable N/R/W quorums (Cluster), and a primary with asynchronous
// followers (AsyncCluster).
//
// Both are state machines on the kernel: one sim.Handler per replica,
// events that carry (kind, a, b), message bodies in a slab, randomness only
// from each replica's stream "store/<name>/replica-<i>". They speak the
// client protocol of package store (KindOp in, KindReply out) and
// implement store.Cluster.
//
// The quorum store is last-writer-wins: the coordinator stamps each write
// with version now<<8 | coordinator, and every replica keeps the value with
// the highest version. Its CAS is a read-modify-write at the coordinator,
// not an atomic operation: two concurrent CAS ops can both read the
// expected value and both succeed, and the later version silently wins,
// losing the other's update. That is Dynamo's behaviour, kept on purpose.
package dynamo
