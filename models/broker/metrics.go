package broker

import "github.com/faultline-sim/faultline/sim"

// Stats counts what happened so far. Every record the application
// produced ends in exactly one of four places, which Metrics reports:
// finished (processed or dead-lettered, counted once per record however
// many times it was handled), waiting in the log, or never stored (lost
// with acks=0, given up by an acks=1 producer, or still on the wire).
type Stats struct {
	// Produced counts records the application produced (Produce calls).
	Produced int64
	// ProduceSends counts sends, first ones and resends.
	ProduceSends int64
	// ProduceRetries counts resends after an ack timeout.
	ProduceRetries int64
	// ProduceFailed counts records an acks=1 producer gave up on after
	// its retries; some of them may have been stored all the same.
	ProduceFailed int64
	// Acked counts records whose ack reached the producer.
	Acked int64
	// Appended counts log entries, duplicates included.
	Appended int64
	// Stored counts distinct records in the log.
	Stored int64
	// ProducerDuplicates counts log entries holding a record already in
	// the log (a resend after a lost or late ack): Appended - Stored.
	ProducerDuplicates int64
	// Processed counts successful processings, repeats included.
	Processed int64
	// DeadLettered counts records sent to the dead-letter topic, repeats
	// included.
	DeadLettered int64
	// FailedAttempts counts processing attempts that failed.
	FailedAttempts int64
	// Redelivered counts handlings of a log entry that had been handled
	// before: at-least-once delivery after a crash or a rejected commit.
	Redelivered int64
	// Duplicates counts handlings of a record that had been handled
	// before: redeliveries plus handlings of producer duplicates. It is
	// what an idempotent downstream would have to absorb.
	Duplicates int64
	// Completed counts records whose first handling processed them.
	Completed int64
	// DeadLetteredRecords counts records whose first handling
	// dead-lettered them.
	DeadLetteredRecords int64
	// CommitsRejected counts commits from a stale generation or a
	// consumer that no longer owned the partition.
	CommitsRejected int64
}

// Metrics is a sample of the broker's state for a caller to plot.
type Metrics struct {
	Stats
	// At is when the sample was taken.
	At sim.Time
	// Lag is the total consumer lag: the sum over partitions of the log
	// end offset minus the committed offset.
	Lag int64
	// Unfinished counts distinct records stored but not yet handled.
	Unfinished int64
	// NotStored counts produced records with no log entry (yet).
	NotStored int64
	// Rebalances counts rebalances started; Generation is the group's.
	Rebalances int64
	Generation uint32
	// SessionExpiries counts members removed for missing heartbeats.
	SessionExpiries int64
	// ActiveConsumers counts consumers that own at least one partition
	// in the current generation.
	ActiveConsumers int
	// Rebalancing reports whether a rebalance is under way.
	Rebalancing bool
}

// Stats returns the counters so far.
func (b *Broker) Stats() Stats { return b.stats }

// Metrics samples the broker now. It is O(partitions + consumers).
func (b *Broker) Metrics() Metrics {
	m := Metrics{Stats: b.stats, At: b.k.Now(), Rebalances: b.group.rebalances,
		Generation: b.group.gen, SessionExpiries: b.group.expiries, Rebalancing: b.group.rebalancing}
	m.Lag = b.TotalLag()
	m.Unfinished = b.stats.Stored - b.stats.Completed - b.stats.DeadLetteredRecords
	m.NotStored = b.stats.Produced - b.stats.Stored
	for _, parts := range b.group.assigned {
		if len(parts) > 0 {
			m.ActiveConsumers++
		}
	}
	return m
}

// Lag returns partition p's consumer lag: log end offset minus committed
// offset.
func (b *Broker) Lag(p int) int64 { return int64(len(b.parts[p].log)) - b.parts[p].committed }

// TotalLag returns the sum of every partition's lag.
func (b *Broker) TotalLag() int64 {
	var n int64
	for p := range b.parts {
		n += b.Lag(p)
	}
	return n
}

// LogEnd returns partition p's log end offset: the number of entries.
func (b *Broker) LogEnd(p int) int64 { return int64(len(b.parts[p].log)) }

// Committed returns partition p's committed offset.
func (b *Broker) Committed(p int) int64 { return b.parts[p].committed }

// Partitions returns the topic's number of partitions.
func (b *Broker) Partitions() int { return len(b.parts) }

// DeadLetters returns the number of records in the dead-letter topic.
func (b *Broker) DeadLetters() int { return len(b.deadLetters) }

// Owner returns the consumer that owns partition p in the current
// generation, or -1.
func (b *Broker) Owner(p int) int { return b.group.owner[p] }

// Entry returns the record index held at offset off of partition p, and
// how many times that entry has been handled.
func (b *Broker) Entry(p int, off int64) (rec int64, handled int) {
	e := b.parts[p].log[off]
	return e.rec, int(e.handled)
}

// Record returns the key and produce time of record rec (an index
// returned by Produce) and how many log entries hold it.
func (b *Broker) Record(rec int64) (key uint64, produced sim.Time, stored int) {
	r := &b.records[rec]
	return r.key, r.at, int(r.stored)
}

// handled records consumer c's handling of partition p's entry at off.
func (b *Broker) handled(c, p int, off int64, ok bool) {
	e := &b.parts[p].log[off]
	r := &b.records[e.rec]
	redelivery := e.handled > 0
	e.handled++
	r.handled++
	b.count(ok, redelivery, r.handled > 1)
	if r.handled == 1 && b.onComplete != nil {
		b.onComplete(r.at, b.k.Now(), ok)
	}
	if b.onHandled != nil {
		b.onHandled(Handled{Consumer: c, Partition: p, Offset: off, Record: e.rec, Key: r.key,
			Produced: r.at, At: b.k.Now(), OK: ok, Redelivery: redelivery})
	}
}

func (b *Broker) count(ok, redelivery, duplicate bool) {
	s := &b.stats
	if ok {
		s.Processed++
	} else {
		s.DeadLettered++
	}
	if redelivery {
		s.Redelivered++
	}
	switch {
	case duplicate:
		s.Duplicates++
	case ok:
		s.Completed++
	default:
		s.DeadLetteredRecords++
	}
}
