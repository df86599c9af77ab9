package broker

import (
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// Broker is one broker holding one topic of Config.Partitions partitions
// and a dead-letter topic, the group coordinator of one consumer group,
// the topic's producers and the group's consumers. The broker is the
// handler "broker/<name>" on node "<name>"; producers and consumers have
// their own nodes and handlers (producer.go, consumer.go).
type Broker struct {
	k    *sim.Kernel
	net  *sim.Network
	cfg  Config
	node sim.NodeID
	id   sim.HandlerID
	svc  sim.Dist

	until   sim.Time // nothing periodic is scheduled after it
	drainAt sim.Time // no producer sends after it: an empty fetch then ends the drain
	started bool

	records     []record
	parts       []partition
	deadLetters []int64 // the dead-letter topic: record indices, in order

	group     group
	producers []*Producer
	consumers []*Consumer
	target    int // consumers 0..target-1 should run

	paused   bool
	deferred []sim.Event // events that reached the broker while paused

	downstreamDown bool
	onComplete     func(produced, completed sim.Time, ok bool)
	onHandled      func(Handled)

	stats Stats
}

// record is what a producer produced once, however many times it was sent
// or stored.
type record struct {
	key      uint64
	at       sim.Time // when the application produced it
	producer int32
	attempts int32 // sends so far
	acked    bool
	stored   int32 // log entries that hold it
	handled  int32 // times a consumer finished it, processed or dead-lettered
	timer    sim.Timer
}

// entry is one slot of a partition's log.
type entry struct {
	rec     int64
	handled int32
}

type partition struct {
	log       []entry
	committed int64 // the group's committed offset: the next record to consume
	parked    parkedFetch
}

// parkedFetch is a fetch the broker holds until a record arrives or
// FetchMaxWait passes (Kafka's long poll).
type parkedFetch struct {
	live     bool
	consumer int
	seq      uint32
	offset   int64
	token    int64 // tells the current expiry timer from earlier ones
}

// Handled describes one consumer handling of a record, for OnHandled.
type Handled struct {
	Consumer  int
	Partition int
	Offset    int64
	Record    int64 // index of the record in produce order (see Produce)
	Key       uint64
	Produced  sim.Time
	At        sim.Time
	// OK is true when processed, false when dead-lettered.
	OK bool
	// Redelivery is true when this log entry had been handled before.
	Redelivery bool
}

// New builds a broker, its producers and its consumer group on k and net.
// Zero fields of cfg take their defaults before it is validated. Nothing
// runs before Start.
func New(k *sim.Kernel, net *sim.Network, cfg Config) (*Broker, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("broker %s: %w", cfg.Name, err)
	}
	svc, _ := cfg.Consumer.serviceTime() // validated above
	b := &Broker{k: k, net: net, cfg: cfg, svc: svc, target: cfg.Consumers}
	b.node = net.AddNode(cfg.Name)
	b.id = k.Register("broker/"+cfg.Name, b)
	b.parts = make([]partition, cfg.Partitions)
	b.group.init(cfg.Partitions)
	for i := range cfg.Producers {
		b.producers = append(b.producers, newProducer(b, i))
	}
	for i := range cfg.Consumers {
		b.consumers = append(b.consumers, newConsumer(b, i))
	}
	return b, nil
}

// Start begins the run: consumers join the group and producers with a
// rate start their open-loop schedules until until. After until the run
// drains: no arrivals, heartbeats or session expiries, but consumers keep
// fetching and committing until a fetch held FetchMaxWait past the
// producers' last possible send (until, plus (retries+1) × (request
// timeout + retry backoff) with acks=1) finds nothing new, so the kernel
// runs dry (k.Run returns) once the backlog is processed. It must be
// called once.
func (b *Broker) Start(until sim.Time) {
	if b.started {
		panic("broker: Start called twice")
	}
	b.started, b.until = true, until
	b.drainAt = until
	if pc := b.cfg.Producer; pc.waitsForAck() {
		b.drainAt = until.Add(time.Duration(pc.Retries+1) * (pc.RequestTimeout + pc.RetryBackoff))
	}
	for _, p := range b.producers {
		p.start()
	}
	for _, c := range b.consumers[:b.target] {
		c.launch()
	}
}

// Config returns the settings in force, defaults filled in.
func (b *Broker) Config() Config { return b.cfg }

// Node returns the broker's node.
func (b *Broker) Node() sim.NodeID { return b.node }

// Producer returns producer i.
func (b *Broker) Producer(i int) *Producer { return b.producers[i] }

// Consumer returns consumer i, which exists once SetConsumers or the
// config has asked for more than i consumers.
func (b *Broker) Consumer(i int) *Consumer { return b.consumers[i] }

// Consumers returns the number of consumers that should run (the last
// SetConsumers, or Config.Consumers).
func (b *Broker) Consumers() int { return b.target }

// OnComplete sets fn to be called once per record, the first time a
// consumer finishes it: ok when processed, not ok when dead-lettered.
// produced is when the application produced it.
func (b *Broker) OnComplete(fn func(produced, completed sim.Time, ok bool)) { b.onComplete = fn }

// OnHandled sets fn to be called at every handling of a record, including
// redeliveries and handlings of producer duplicates.
func (b *Broker) OnHandled(fn func(Handled)) { b.onHandled = fn }

// SetDownstream sets whether the service consumers call is up. While it
// is down, every processing attempt fails, as Config.Consumer.Outage says.
func (b *Broker) SetDownstream(up bool) { b.downstreamDown = !up }

// Pause stops the broker process (SIGSTOP, a long GC pause): whatever
// reaches it waits, and nothing it would do happens, until Resume.
func (b *Broker) Pause() { b.paused = true }

// Resume restarts a paused broker, which then handles what arrived while
// it was paused, in order of arrival.
func (b *Broker) Resume() {
	if !b.paused {
		return
	}
	b.paused = false
	evs := b.deferred
	b.deferred = nil
	for _, ev := range evs {
		b.handle(ev)
	}
}

// Paused reports whether the broker is paused.
func (b *Broker) Paused() bool { return b.paused }

// SetConsumers sets the number of consumers of the group to n (in [0,
// MaxConsumers]): new ones start and join, and the highest-numbered ones
// beyond n commit and leave; either triggers a rebalance. A crashed
// consumer below n stays down until restarted.
func (b *Broker) SetConsumers(n int) error {
	if n < 0 || n > MaxConsumers {
		return fmt.Errorf("broker %s: consumers: must be in [0, %d], got %d", b.cfg.Name, MaxConsumers, n)
	}
	b.target = n
	for len(b.consumers) < n {
		b.consumers = append(b.consumers, newConsumer(b, len(b.consumers)))
	}
	for i, c := range b.consumers {
		switch {
		case i < n && c.stopped && b.started:
			c.launch()
		case i >= n && !c.stopped:
			c.leave()
		}
	}
	return nil
}

// HandleEvent implements sim.Handler for the broker.
func (b *Broker) HandleEvent(ev sim.Event) {
	if b.paused {
		b.deferred = append(b.deferred, ev)
		return
	}
	b.handle(ev)
}

// KindName names the broker's, producers' and consumers' event kinds.
func (b *Broker) KindName(kind uint32) string { return kindName(kind) }

func (b *Broker) handle(ev sim.Event) {
	switch ev.Kind {
	case kindProduce:
		b.onProduce(ev.A, int(ev.B))
	case kindDeadLetter:
		b.deadLetters = append(b.deadLetters, ev.A)
	case kindFetch:
		c, p, seq := unpackCPS(ev.A)
		b.onFetch(c, p, seq, ev.B)
	case kindFetchExpire:
		b.onFetchExpire(int(ev.A), ev.B)
	case kindCommit:
		c, p, gen := unpackCPS(ev.A)
		b.onCommit(c, p, gen, ev.B)
	default:
		b.handleGroup(ev)
	}
}

// partitionOf is the partitioner: a 64-bit mix of the key, modulo the
// number of partitions (Kafka hashes the key's bytes with murmur2; any
// fixed, well-mixed hash gives the same behaviour).
func (b *Broker) partitionOf(key uint64) int {
	x := key + 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return int(x % uint64(len(b.parts)))
}

// PartitionOf returns the partition a record with key goes to.
func (b *Broker) PartitionOf(key uint64) int { return b.partitionOf(key) }

// onProduce appends a record that reached the broker and acks it.
func (b *Broker) onProduce(rec int64, producer int) {
	r := &b.records[rec]
	p := b.partitionOf(r.key)
	if r.stored > 0 {
		b.stats.ProducerDuplicates++
	} else {
		b.stats.Stored++
	}
	r.stored++
	b.stats.Appended++
	pt := &b.parts[p]
	pt.log = append(pt.log, entry{rec: rec})
	if b.cfg.Producer.waitsForAck() {
		pr := b.producers[producer]
		send(b.net, b.node, pr.node, 0, sim.Target{H: pr.id, Kind: kindAck, A: rec})
	}
	if pt.parked.live {
		b.answerParked(p)
	}
}

// onFetch answers a fetch at once if the log has records from offset,
// else parks it until one arrives or FetchMaxWait passes.
func (b *Broker) onFetch(c, p int, seq uint32, offset int64) {
	pt := &b.parts[p]
	if offset < int64(len(pt.log)) {
		b.replyFetch(c, p, seq, offset)
		return
	}
	pt.parked.token++
	pt.parked = parkedFetch{live: true, consumer: c, seq: seq, offset: offset, token: pt.parked.token}
	b.k.After(b.cfg.Consumer.FetchMaxWait, b.id, kindFetchExpire, int64(p), pt.parked.token)
}

func (b *Broker) onFetchExpire(p int, token int64) {
	if pk := b.parts[p].parked; pk.live && pk.token == token {
		b.answerParked(p)
	}
}

func (b *Broker) answerParked(p int) {
	pk := &b.parts[p].parked
	pk.live = false
	b.replyFetch(pk.consumer, p, pk.seq, pk.offset)
}

// replyFetch sends the records from offset on, at most MaxPollRecords
// (none if the log ends before offset).
func (b *Broker) replyFetch(c, p int, seq uint32, offset int64) {
	n := max(min(int64(len(b.parts[p].log))-offset, int64(b.cfg.Consumer.MaxPollRecords)), 0)
	// Nothing new FetchMaxWait after the producers' last possible send:
	// the run is over for this fetcher (a record delayed longer on the
	// wire stays in the log).
	over := n == 0 && b.k.Now() >= b.drainAt.Add(b.cfg.Consumer.FetchMaxWait)
	cs := b.consumers[c]
	a := int64(p)<<32 | int64(seq)
	send(b.net, b.node, cs.node, int(n)*b.cfg.RecordBytes,
		sim.Target{H: cs.id, Kind: kindFetchReply, A: a, B: packRange(offset, int(n), over)})
}

// onCommit stores a committed offset if the committer owns the partition
// in the group's current generation; Kafka rejects other commits
// (ILLEGAL_GENERATION), which is what turns a zombie's progress into
// redeliveries.
func (b *Broker) onCommit(c, p int, gen uint32, offset int64) {
	if gen != b.group.gen || b.group.owner[p] != c {
		b.stats.CommitsRejected++
		return
	}
	b.parts[p].committed = offset
	cs := b.consumers[c]
	send(b.net, b.node, cs.node, 0, sim.Target{H: cs.id, Kind: kindCommitAck, A: packCPS(c, p, gen), B: offset})
}
