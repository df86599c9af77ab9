package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/faultline-sim/faultline/sim"
)

// run is one randomised run: a configuration and a fault schedule, all
// faults healed by healBy so that the run can drain.
type run struct {
	cfg     Config
	seed    uint64
	latency time.Duration
	loss    float64
	crash   [2]float64 // crash consumer 0 at [0], restart at [1] (s); [0] < 0: none
	outage  [2]float64 // downstream out in [0], [1] (s); [0] < 0: none
	pause   [2]float64 // broker paused in [0], [1] (s); [0] < 0: none
	scaleAt float64    // SetConsumers(scaleTo) at this time (s); < 0: none
	scaleTo int
}

const (
	healBy = 4.0 // s
	runEnd = 6.0 // s
)

func drawRun(t *rapid.T) run {
	cfg := baseConfig()
	cfg.Partitions = rapid.IntRange(1, 8).Draw(t, "partitions")
	cfg.Consumers = rapid.IntRange(1, 5).Draw(t, "consumers")
	cfg.Producers = rapid.IntRange(1, 2).Draw(t, "producers")
	cfg.Producer.Rate = rapid.Float64Range(50, 400).Draw(t, "rate")
	cfg.Producer.Acks = rapid.SampledFrom([]string{"0", "1"}).Draw(t, "acks")
	cfg.Producer.Retries = rapid.IntRange(-1, 3).Draw(t, "retries")
	cfg.Group.Assignor = rapid.SampledFrom([]string{AssignRange, AssignRoundRobin}).Draw(t, "assignor")
	cfg.Consumer.Workers = rapid.IntRange(1, 3).Draw(t, "workers")
	cfg.Consumer.Commit = rapid.SampledFrom([]string{CommitAuto, CommitRecord}).Draw(t, "commit")
	cfg.Consumer.ErrorRate = rapid.SampledFrom([]float64{0, 0.1, 0.5}).Draw(t, "error_rate")
	cfg.Consumer.MaxRetries = rapid.IntRange(-1, 2).Draw(t, "max_retries")
	// Short back-offs keep the worst backlog (one partition, half the
	// attempts failing) drainable within the run's horizon.
	cfg.Consumer.RetryBackoff = time.Duration(rapid.IntRange(1, 10).Draw(t, "retry_backoff_ms")) * time.Millisecond
	cfg.Consumer.Outage = rapid.SampledFrom([]string{OutageBlock, OutageFail}).Draw(t, "outage_mode")
	cfg.Consumer.MaxPollRecords = rapid.IntRange(1, 50).Draw(t, "max_poll_records")
	cfg.Consumer.ServiceTime = sim.DistSpec{Kind: "exponential", Mean: rapid.Float64Range(0.0005, 0.005).Draw(t, "service_mean")}
	r := run{cfg: cfg, seed: rapid.Uint64().Draw(t, "seed")}
	r.latency = time.Duration(rapid.IntRange(0, 3000).Draw(t, "latency_us")) * time.Microsecond
	r.loss = rapid.SampledFrom([]float64{0, 0.02, 0.1}).Draw(t, "loss")
	r.crash = drawWindow(t, "crash")
	r.outage = drawWindow(t, "outage")
	r.pause = drawWindow(t, "pause")
	r.scaleAt = -1
	if rapid.Bool().Draw(t, "scale") {
		r.scaleAt = rapid.Float64Range(0.5, healBy).Draw(t, "scale_at")
		r.scaleTo = rapid.IntRange(1, 5).Draw(t, "scale_to")
	}
	return r
}

func drawWindow(t *rapid.T, name string) [2]float64 {
	if !rapid.Bool().Draw(t, name) {
		return [2]float64{-1, -1}
	}
	from := rapid.Float64Range(0.2, healBy-0.1).Draw(t, name+"_from")
	to := rapid.Float64Range(from, healBy).Draw(t, name+"_to")
	return [2]float64{from, to}
}

// observed is what the callbacks saw, kept apart from the broker's own
// counters so that each can check the other.
type observed struct {
	completions []int8 // per record: OnComplete calls, +1 ok, -1 dead-lettered
	handlings   []int  // per record: OnHandled calls
	calls       int
}

func (r run) execute(t require.TestingT) (*sim.Kernel, *Broker, *observed) {
	k, b := build(t, r.seed, r.cfg, r.latency, r.loss)
	obs := &observed{}
	grow := func(rec int64) {
		for int64(len(obs.handlings)) <= rec {
			obs.handlings = append(obs.handlings, 0)
			obs.completions = append(obs.completions, 0)
		}
	}
	var pending int8 // OnComplete's outcome, until OnHandled names the record
	b.OnComplete(func(produced, completed sim.Time, ok bool) {
		require.LessOrEqual(t, produced, completed)
		require.Zero(t, pending)
		pending = -1
		if ok {
			pending = 1
		}
	})
	b.OnHandled(func(h Handled) {
		pos, owned := b.Consumer(h.Consumer).Position(h.Partition)
		require.True(t, owned && pos == h.Offset, "consumer %d handled %d/%d away from its position", h.Consumer, h.Partition, h.Offset)
		grow(h.Record)
		obs.handlings[h.Record]++
		obs.calls++
		if pending != 0 {
			require.Zero(t, obs.completions[h.Record], "record %d completed twice", h.Record)
			require.Equal(t, h.OK, pending == 1)
			obs.completions[h.Record] = pending
			pending = 0
		}
	})
	b.Start(secs(runEnd))
	window := func(w [2]float64, on, off func()) {
		if w[0] >= 0 {
			k.AtFunc(secs(w[0]), on)
			k.AtFunc(secs(w[1]), off)
		}
	}
	window(r.crash, b.Consumer(0).Crash, b.Consumer(0).Restart)
	window(r.outage, func() { b.SetDownstream(false) }, func() { b.SetDownstream(true) })
	window(r.pause, b.Pause, b.Resume)
	if r.scaleAt >= 0 {
		k.AtFunc(secs(r.scaleAt), func() { require.NoError(t, b.SetConsumers(r.scaleTo)) })
	}
	k.RunUntil(secs(600))
	return k, b, obs
}

// Conservation: every produced record ends in exactly one place, finished
// (processed or dead-lettered), waiting in the log, or never stored, and
// the broker's counters agree with an independent count from its log and
// its callbacks. Liveness: once faults are healed the run drains: nothing
// is left unfinished, lag is zero and the kernel runs dry.
func TestConservationProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := drawRun(t)
		k, b, obs := r.execute(t)
		m := b.Metrics()
		checkLog(t, b, m, obs)
		checkPlaces(t, r, b, m, obs)
		require.Zero(t, k.Len(), "the run must drain")
		require.Zero(t, m.Unfinished, "every stored record is finished once faults heal")
		require.Zero(t, m.Lag)
	})
}

// checkLog recounts entries, duplicates and redeliveries from the log.
func checkLog(t *rapid.T, b *Broker, m Metrics, obs *observed) {
	var appended, entryHandlings, redelivered int64
	stored := make([]int, m.Produced)
	for p := range b.Partitions() {
		require.GreaterOrEqual(t, b.Committed(p), int64(0))
		require.LessOrEqual(t, b.Committed(p), b.LogEnd(p))
		for off := range b.LogEnd(p) {
			rec, h := b.Entry(p, off)
			stored[rec]++
			appended++
			entryHandlings += int64(h)
			redelivered += int64(max(h-1, 0))
		}
	}
	require.Equal(t, m.Appended, appended)
	require.Equal(t, m.Processed+m.DeadLettered, entryHandlings)
	require.Equal(t, int64(obs.calls), entryHandlings, "OnHandled once per handling")
	require.Equal(t, m.Redelivered, redelivered)
	var dups, storedDistinct int64
	for rec, n := range stored {
		_, _, s := b.Record(int64(rec))
		require.Equal(t, n, s, "record %d", rec)
		dups += int64(max(n-1, 0))
		if n > 0 {
			storedDistinct++
		}
	}
	require.Equal(t, m.ProducerDuplicates, dups)
	require.Equal(t, m.Stored, storedDistinct)
}

// checkPlaces puts every record in exactly one place and compares with
// the counters.
func checkPlaces(t *rapid.T, r run, b *Broker, m Metrics, obs *observed) {
	var finished, unfinished, notStored, handledDups, completedOK int64
	for rec := range m.Produced {
		_, _, s := b.Record(rec)
		h := 0
		if rec < int64(len(obs.handlings)) {
			h = obs.handlings[rec]
		}
		handledDups += int64(max(h-1, 0))
		switch {
		case h > 0:
			require.Positive(t, s, "record %d handled but never stored", rec)
			require.NotZero(t, obs.completions[rec], "record %d handled but never completed", rec)
			finished++
			if obs.completions[rec] > 0 {
				completedOK++
			}
		case s > 0:
			unfinished++
		default:
			notStored++
		}
	}
	require.Equal(t, m.Completed+m.DeadLetteredRecords, finished)
	require.Equal(t, m.Completed, completedOK)
	require.Equal(t, m.Unfinished, unfinished)
	require.Equal(t, m.NotStored, notStored)
	require.Equal(t, m.Produced, finished+unfinished+notStored)
	require.Equal(t, m.Duplicates, handledDups)
	require.LessOrEqual(t, int64(b.DeadLetters()), m.DeadLettered, "dead letters sent may be lost")
	if r.loss == 0 {
		require.Zero(t, m.NotStored, "nothing is lost on a lossless network")
	}
	if r.cfg.Producer.Acks == "1" {
		require.LessOrEqual(t, m.NotStored, m.ProduceFailed, "acks=1 loses only what it gave up on")
	} else {
		require.Zero(t, m.ProducerDuplicates, "acks=0 never resends")
	}
}
