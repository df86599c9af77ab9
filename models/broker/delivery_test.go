package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/sim"
)

// At-least-once: after a consumer crash, its partitions move to the
// survivor after the session timeout and restart from the committed
// offsets. Every record is processed, and the only duplicates are the
// records the crashed consumer had processed but not committed.
func TestCrashRedeliversExactlyTheUncommitted(t *testing.T) {
	seed := testSeed(t)
	cfg := baseConfig()
	cfg.Consumers = 2
	cfg.Producer.Rate = 300
	k, b := build(t, seed, cfg, time.Millisecond, 0)
	b.Start(secs(8))
	victim := b.Consumer(0)
	processed := map[int]int64{}
	k.AtFunc(secs(3.25), func() { // between two auto-commits
		for _, p := range victim.Partitions() {
			processed[p], _ = victim.Position(p)
		}
		victim.Crash()
	})
	var uncommitted int64
	k.AtFunc(secs(3.35), func() { // commits in flight at the crash have landed
		for p, next := range processed {
			uncommitted += next - b.Committed(p)
		}
	})
	k.Run()
	m := b.Metrics()
	require.NotEmpty(t, processed)
	require.Positive(t, uncommitted, "the crash must leave processed records uncommitted")
	assert.Equal(t, m.Produced, m.Completed, "every record is processed at least once")
	assert.Equal(t, uncommitted, m.Redelivered, "redeliveries are the processed-but-uncommitted records")
	assert.Equal(t, m.Redelivered, m.Duplicates, "no producer duplicates on a lossless network")
	assert.Equal(t, int64(1), m.SessionExpiries)
	assert.Equal(t, int64(2), m.Rebalances)
	assert.Zero(t, m.Lag)
	assert.Len(t, b.Consumer(1).Partitions(), cfg.Partitions)
}

// With commit: record, a crash redelivers at most the records in flight
// of the last commit: none on a network without delay.
func TestCrashWithPerRecordCommits(t *testing.T) {
	seed := testSeed(t)
	cfg := baseConfig()
	cfg.Consumer.Commit = CommitRecord
	cfg.Producer.Rate = 300
	k, b := build(t, seed, cfg, 0, 0)
	b.Start(secs(6))
	k.AtFunc(secs(2.5), func() { b.Consumer(1).Crash() })
	k.AtFunc(secs(4), func() { b.Consumer(1).Restart() })
	k.Run()
	m := b.Metrics()
	assert.Equal(t, m.Produced, m.Completed)
	assert.Zero(t, m.Redelivered)
	assert.Equal(t, int64(3), m.Rebalances, "join, expiry, rejoin")
	assert.Equal(t, 2, m.ActiveConsumers)
}

// acks=0 on a lossy network loses records and never duplicates them;
// acks=1 with retries stores every record, some of them twice (when an
// ack, not the record, was lost). The group's own messages (fetches,
// commits, heartbeats) cross the same lossy links.
func TestAcksUnderLoss(t *testing.T) {
	seed := testSeed(t)
	const loss = 0.05
	for _, acks := range []string{"0", "1"} {
		cfg := baseConfig()
		cfg.Producer.Acks, cfg.Producer.Retries = acks, 6
		cfg.Producer.Rate = 1000
		k, b := build(t, seed, cfg, time.Millisecond, loss)
		b.Start(secs(5))
		k.Run()
		m := b.Metrics()
		switch acks {
		case "0":
			assert.InEpsilon(t, loss, float64(m.NotStored)/float64(m.Produced), 0.25, "acks=0 loses about the loss rate")
			assert.Zero(t, m.ProducerDuplicates)
			assert.Zero(t, m.ProduceRetries)
		case "1":
			assert.Zero(t, m.NotStored, "acks=1 with retries loses nothing")
			assert.Zero(t, m.ProduceFailed)
			assert.Positive(t, m.ProducerDuplicates, "lost acks duplicate records")
			// A resend follows a lost record (p) or a lost ack ((1-p)p).
			assert.InEpsilon(t, loss+(1-loss)*loss, float64(m.ProduceRetries)/float64(m.Produced), 0.25)
		}
		assert.Equal(t, m.Stored, m.Completed, "acks=%s: every stored record is processed", acks)
		assert.Equal(t, m.Appended, m.Stored+m.ProducerDuplicates)
		assert.Zero(t, m.Lag, "acks=%s", acks)
	}
}

// Processing failures are retried MaxRetries times, then the record goes
// to the dead-letter topic; an outage with outage: fail does the same to
// every record it meets.
func TestDeadLetter(t *testing.T) {
	seed := testSeed(t)
	t.Run("always failing", func(t *testing.T) {
		cfg := baseConfig()
		cfg.Producer.Rate = 200
		cfg.Consumer.ErrorRate, cfg.Consumer.MaxRetries = 1, 2
		k, b := build(t, seed, cfg, time.Millisecond, 0)
		b.Start(secs(3))
		k.Run()
		m := b.Metrics()
		assert.Equal(t, m.Produced, m.DeadLetteredRecords)
		assert.Equal(t, 3*m.Produced, m.FailedAttempts, "one attempt and two retries each")
		assert.Equal(t, int(m.Produced), b.DeadLetters())
		assert.Zero(t, m.Processed)
	})
	t.Run("error rate", func(t *testing.T) {
		cfg := baseConfig()
		cfg.Producer.Rate = 2000
		cfg.Consumer.ServiceTime = constant(0.0001)
		cfg.Consumer.RetryBackoff = time.Millisecond
		cfg.Consumer.ErrorRate, cfg.Consumer.MaxRetries = 0.3, 1
		k, b := build(t, seed, cfg, time.Millisecond, 0)
		b.Start(secs(5))
		k.Run()
		m := b.Metrics()
		assert.InEpsilon(t, 0.09, float64(m.DeadLetteredRecords)/float64(m.Produced), 0.15, "two failures in a row")
		assert.Equal(t, m.Produced, m.Completed+m.DeadLetteredRecords)
	})
	t.Run("outage fails", func(t *testing.T) {
		cfg := baseConfig()
		cfg.Producer.Rate = 200
		cfg.Consumer.Outage, cfg.Consumer.MaxRetries = OutageFail, 1
		cfg.Consumer.RetryBackoff = time.Millisecond // failing is faster than arrivals: no backlog
		k, b := build(t, seed, cfg, time.Millisecond, 0)
		b.Start(secs(6))
		k.AtFunc(secs(2), func() { b.SetDownstream(false) })
		k.AtFunc(secs(3), func() { b.SetDownstream(true) })
		var wrong int
		b.OnComplete(func(produced, completed sim.Time, ok bool) {
			// A record whose retry is the first attempt after the outage is
			// processed just after it, within the 1ms back-off.
			if ok && completed >= secs(2) && completed < secs(3) {
				wrong++ // processed during the outage
			}
			if !ok && (completed < secs(2) || completed >= secs(3.01)) {
				wrong++ // dead-lettered outside it
			}
		})
		k.Run()
		m := b.Metrics()
		assert.Zero(t, wrong, "records finishing during the outage, and only they, are dead-lettered")
		// About the outage's one second of arrivals, 200 ± 14.
		assert.InDelta(t, 200, float64(m.DeadLetteredRecords), 60)
		assert.Equal(t, m.Produced, m.Completed+m.DeadLetteredRecords)
	})
}
