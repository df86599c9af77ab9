package station

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/faultline-sim/faultline/sim"
	"github.com/faultline-sim/faultline/sim/stat"
)

// DefaultBatchSize is the number of customers per batch when
// Config.BatchSize is zero.
const DefaultBatchSize = 10000

// Config describes a station. The zero value of each optional field is
// documented; Interarrival and Service are required.
type Config struct {
	// Servers is the number of identical servers, c. Zero means 1.
	Servers int
	// Capacity is the most customers present at once, queued plus in
	// service (K in M/M/c/K); an arrival that finds Capacity present is
	// blocked and lost. Zero means unlimited; otherwise it must be at
	// least Servers.
	Capacity int
	// Interarrival is the distribution of the time between arrivals, in
	// seconds. Required; its mean must be positive, or time would stand
	// still.
	Interarrival sim.Dist
	// Service is the distribution of a customer's service time, in
	// seconds. Required; its mean must not be negative.
	Service sim.Dist
	// BatchSize is the number of customers per batch of the batch-mean
	// series in Stats: completed customers for W, Wq, P99, L and Lq,
	// arrivals for Blocking. Zero means DefaultBatchSize.
	BatchSize int
}

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("invalid station config")

// configError names the bad field and the rule it breaks.
type configError struct {
	field, rule string
}

func (e *configError) Error() string { return "station: " + e.field + " " + e.rule }

// Unwrap makes errors.Is(err, ErrConfig) true.
func (e *configError) Unwrap() error { return ErrConfig }

// withDefaults fills the fields whose zero value means a default; it is
// the one place defaults live.
func (c Config) withDefaults() Config {
	if c.Servers == 0 {
		c.Servers = 1
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	return c
}

// Validate reports the first field that is out of range, after defaults
// are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Servers < 1:
		return &configError{"servers", fmt.Sprintf("must be 0 (meaning 1) or >= 1, got %d", c.Servers)}
	case c.Capacity != 0 && c.Capacity < c.Servers:
		return &configError{"capacity", fmt.Sprintf("must be 0 (unlimited) or >= servers (%d), got %d", c.Servers, c.Capacity)}
	case c.BatchSize < 1:
		return &configError{"batch size", fmt.Sprintf("must be 0 (meaning %d) or >= 1, got %d", DefaultBatchSize, c.BatchSize)}
	}
	return c.validateDists()
}

func (c Config) validateDists() error {
	switch {
	case c.Interarrival == nil:
		return &configError{"interarrival", "is required, got nil"}
	case !(c.Interarrival.Mean() > 0):
		return &configError{"interarrival", fmt.Sprintf("must have a mean in (0, +Inf], got %s", c.Interarrival)}
	case c.Service == nil:
		return &configError{"service", "is required, got nil"}
	case !(c.Service.Mean() >= 0):
		return &configError{"service", fmt.Sprintf("must have a mean in [0, +Inf], got %s", c.Service)}
	}
	return nil
}

// Event kinds of a station's handler, and the kind of its trace records.
const (
	kindArrive uint32 = iota // next customer arrives
	kindDepart               // A: arrival time, B: service start time
	kindDone                 // record: A: response time in ns, B: waiting time in ns
)

// Station is a running G/G/c/K queue. Create it with New.
type Station struct {
	k    *sim.Kernel
	id   sim.HandlerID
	cfg  Config
	arrR *rand.Rand
	svcR *rand.Rand

	busy  int
	queue timeRing // arrival times of waiting customers, oldest first

	statsStart  sim.Time
	arrivals    int64
	blocked     int64
	completed   int64
	inSystem    stat.TimeAverage
	inQueue     stat.TimeAverage
	w, wq       *stat.BatchMeans
	blocking    *stat.BatchMeans
	p99         *stat.BatchMeans
	batchW      []float64 // response times of the batch being filled, for its p99
	lWin, lqWin []float64
}

// New creates a station named name on kernel k, registers its handler and
// schedules the first arrival. It returns the error of cfg.Validate.
func New(k *sim.Kernel, name string, cfg Config) (*Station, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Station{
		k:        k,
		cfg:      cfg,
		arrR:     k.Stream(name + "/arrivals"),
		svcR:     k.Stream(name + "/service"),
		queue:    newTimeRing(16),
		w:        stat.NewBatchMeans(cfg.BatchSize),
		wq:       stat.NewBatchMeans(cfg.BatchSize),
		blocking: stat.NewBatchMeans(cfg.BatchSize),
		p99:      stat.NewBatchMeans(1),
		batchW:   make([]float64, 0, cfg.BatchSize),
	}
	s.id = k.Register(name, s)
	s.ResetStats()
	s.scheduleArrival()
	return s, nil
}

// HandleEvent implements sim.Handler.
func (s *Station) HandleEvent(ev sim.Event) {
	switch ev.Kind {
	case kindArrive:
		s.arrive(ev.At)
	case kindDepart:
		s.depart(ev.At, sim.Time(ev.A), sim.Time(ev.B))
	default:
		panic(fmt.Sprintf("station: unknown event kind %d", ev.Kind))
	}
}

// KindName implements sim.KindNamer.
func (s *Station) KindName(kind uint32) string {
	switch kind {
	case kindArrive:
		return "arrive"
	case kindDepart:
		return "depart"
	case kindDone:
		return "done"
	}
	return fmt.Sprintf("kind%d", kind)
}

func (s *Station) scheduleArrival() {
	s.k.After(sim.Seconds(s.cfg.Interarrival.Sample(s.arrR)), s.id, kindArrive, 0, 0)
}

func (s *Station) arrive(now sim.Time) {
	s.scheduleArrival()
	s.arrivals++
	if s.cfg.Capacity > 0 && s.present() >= s.cfg.Capacity {
		s.blocked++
		s.blocking.Add(1)
		return
	}
	s.blocking.Add(0)
	if s.busy < s.cfg.Servers {
		s.startService(now, now)
	} else {
		s.queue.push(now)
		s.inQueue.Set(now, float64(s.queue.len()))
	}
	s.inSystem.Set(now, float64(s.present()))
}

func (s *Station) depart(now, arrived, started sim.Time) {
	s.busy--
	if s.queue.len() > 0 {
		s.startService(now, s.queue.pop())
		s.inQueue.Set(now, float64(s.queue.len()))
	}
	s.inSystem.Set(now, float64(s.present()))
	s.complete(now, now.Sub(arrived), started.Sub(arrived))
}

// startService puts the customer that arrived at arrived on a free server.
func (s *Station) startService(now, arrived sim.Time) {
	s.busy++
	d := sim.Seconds(s.cfg.Service.Sample(s.svcR))
	s.k.After(d, s.id, kindDepart, int64(arrived), int64(now))
}

func (s *Station) present() int { return s.busy + s.queue.len() }

// complete records a finished customer's response and waiting times and
// closes a batch every BatchSize customers.
func (s *Station) complete(now sim.Time, w, wq time.Duration) {
	s.k.Record(s.id, kindDone, int64(w), int64(wq))
	s.completed++
	s.w.Add(w.Seconds())
	s.wq.Add(wq.Seconds())
	s.batchW = append(s.batchW, w.Seconds())
	if len(s.batchW) == s.cfg.BatchSize {
		s.closeBatch(now)
	}
}

func (s *Station) closeBatch(now sim.Time) {
	s.p99.Add(stat.Quantile(s.batchW, 0.99))
	s.batchW = s.batchW[:0]
	s.lWin = append(s.lWin, s.inSystem.Window(now))
	s.lqWin = append(s.lqWin, s.inQueue.Window(now))
}

// ResetStats discards everything measured so far and starts measuring at
// the kernel's current time; calling it after a warm-up removes the bias of
// starting empty. Customers already present are counted when they finish.
func (s *Station) ResetStats() {
	now := s.k.Now()
	s.statsStart = now
	s.arrivals, s.blocked, s.completed = 0, 0, 0
	s.inSystem.Set(now, float64(s.present()))
	s.inSystem.Reset(now)
	s.inQueue.Set(now, float64(s.queue.len()))
	s.inQueue.Reset(now)
	s.w.Reset()
	s.wq.Reset()
	s.blocking.Reset()
	s.p99.Reset()
	s.batchW = s.batchW[:0]
	s.lWin, s.lqWin = s.lWin[:0], s.lqWin[:0]
}

// Completed returns the number of customers that finished service since
// the last ResetStats; it is cheap enough to test before every event.
func (s *Station) Completed() int64 { return s.completed }

// Stats is what a station measured since the last ResetStats. Times are in
// seconds, rates per second of virtual time.
type Stats struct {
	Arrivals  int64 // customers that arrived, blocked or not
	Blocked   int64 // arrivals lost because Capacity customers were present
	Completed int64 // customers that finished service

	Elapsed     time.Duration // virtual time measured
	ArrivalRate float64       // Arrivals per second: the offered rate λ
	Throughput  float64       // Completed per second: the effective rate λ_eff

	// MeanL and MeanLq are the time-average numbers in system and in
	// queue over the whole of Elapsed.
	MeanL, MeanLq float64

	// Batch-mean series, oldest first, one entry per batch of BatchSize
	// completed customers (the batch being filled is left out): mean
	// response time W and waiting time Wq in seconds, the batch's 99th
	// percentile of response time in seconds, and the time-average number
	// in system L and in queue Lq over the time the batch took.
	W, Wq, P99, L, Lq []float64
	// Blocking has one entry per batch of BatchSize arrivals: the fraction
	// of them that were blocked.
	Blocking []float64
}

// Stats returns the measurements since the last ResetStats. The series are
// copies, so the caller may keep them while the run continues.
func (s *Station) Stats() Stats {
	now := s.k.Now()
	el := now.Sub(s.statsStart)
	return Stats{
		Arrivals:    s.arrivals,
		Blocked:     s.blocked,
		Completed:   s.completed,
		Elapsed:     el,
		ArrivalRate: perSecond(s.arrivals, el),
		Throughput:  perSecond(s.completed, el),
		MeanL:       s.inSystem.Mean(now),
		MeanLq:      s.inQueue.Mean(now),
		W:           s.w.Means(),
		Wq:          s.wq.Means(),
		P99:         s.p99.Means(),
		L:           append([]float64(nil), s.lWin...),
		Lq:          append([]float64(nil), s.lqWin...),
		Blocking:    s.blocking.Means(),
	}
}

func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return math.NaN()
	}
	return float64(n) / d.Seconds()
}

// timeRing is a FIFO of times in a ring buffer that doubles when full, so a
// queue that has reached its working size never allocates again.
type timeRing struct {
	buf  []sim.Time
	head int // index of the oldest element
	n    int
}

func newTimeRing(capacity int) timeRing { return timeRing{buf: make([]sim.Time, capacity)} }

func (q *timeRing) len() int { return q.n }

func (q *timeRing) push(t sim.Time) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)%len(q.buf)] = t
	q.n++
}

// pop removes and returns the oldest time; the caller checks len first.
func (q *timeRing) pop() sim.Time {
	t := q.buf[q.head]
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return t
}

// grow doubles the buffer, unrolling the ring so the oldest is at 0.
func (q *timeRing) grow() {
	buf := make([]sim.Time, 2*len(q.buf))
	n := copy(buf, q.buf[q.head:])
	copy(buf[n:], q.buf[:q.head])
	q.buf, q.head = buf, 0
}
