package broker

import (
	"fmt"
	"math/rand/v2"

	"github.com/faultline-sim/faultline/sim"
)

// Producer sends records to the broker from its own node "<name>-producer-
// <i>"; its handler is "broker/<name>/producer-<i>", and its random stream
// (arrivals and keys) has the same name.
//
// With acks=0 a record is sent once and forgotten. With acks=1 the
// producer waits RequestTimeout for the broker's ack; without it, it waits
// RetryBackoff and sends the record again, up to Retries times, then gives
// up. A resend whose first copy did reach the broker (only the ack was
// lost or late) stores the record twice: a producer duplicate. Records are
// sent independently (many in flight), so a resent record may land after
// later records of its key, as with Kafka's non-idempotent producer.
type Producer struct {
	b    *Broker
	idx  int
	name string
	node sim.NodeID
	id   sim.HandlerID
	r    *rand.Rand
}

func newProducer(b *Broker, i int) *Producer {
	name := fmt.Sprintf("broker/%s/producer-%d", b.cfg.Name, i)
	p := &Producer{b: b, idx: i, name: name, r: b.k.Stream(name)}
	p.node = b.net.AddNode(fmt.Sprintf("%s-producer-%d", b.cfg.Name, i))
	p.id = b.k.Register(name, p)
	return p
}

// Node returns the producer's node.
func (p *Producer) Node() sim.NodeID { return p.node }

// Produce produces a record with key now and returns its index: records
// are numbered 0, 1, 2, ... in produce order across all producers.
func (p *Producer) Produce(key uint64) int64 {
	b := p.b
	rec := int64(len(b.records))
	b.records = append(b.records, record{key: key, at: b.k.Now(), producer: int32(p.idx)})
	b.stats.Produced++
	p.send(rec)
	return rec
}

func (p *Producer) send(rec int64) {
	b := p.b
	r := &b.records[rec]
	r.attempts++
	b.stats.ProduceSends++
	send(b.net, p.node, b.node, b.cfg.RecordBytes,
		sim.Target{H: b.id, Kind: kindProduce, A: rec, B: int64(p.idx)})
	if b.cfg.Producer.waitsForAck() {
		r.timer = b.k.AfterTimer(b.cfg.Producer.RequestTimeout, p.id, kindSendTimeout, rec, 0)
	}
}

// start begins the open-loop schedule, if the producer has a rate.
func (p *Producer) start() {
	if p.b.cfg.Producer.Rate > 0 {
		p.scheduleArrival()
	}
}

func (p *Producer) scheduleArrival() {
	at := p.b.k.Now().Add(sim.Seconds(p.r.ExpFloat64() / p.b.cfg.Producer.Rate))
	if at < p.b.until {
		p.b.k.Schedule(at, p.id, kindArrival, 0, 0)
	}
}

// HandleEvent implements sim.Handler.
func (p *Producer) HandleEvent(ev sim.Event) {
	b := p.b
	switch ev.Kind {
	case kindArrival:
		p.Produce(uint64(p.r.IntN(b.cfg.Producer.Keys)))
		p.scheduleArrival()
	case kindAck:
		if r := &b.records[ev.A]; !r.acked {
			r.acked = true
			b.k.Cancel(r.timer)
			b.stats.Acked++
		}
	case kindSendTimeout:
		p.onTimeout(ev.A)
	case kindResend:
		if !b.records[ev.A].acked {
			p.send(ev.A)
		}
	}
}

// KindName names the producer's event kinds in traces.
func (p *Producer) KindName(kind uint32) string { return kindName(kind) }

func (p *Producer) onTimeout(rec int64) {
	b := p.b
	r := &b.records[rec]
	if r.acked {
		return
	}
	if int(r.attempts) > b.cfg.Producer.Retries {
		b.stats.ProduceFailed++
		return
	}
	b.stats.ProduceRetries++
	b.k.After(b.cfg.Producer.RetryBackoff, p.id, kindResend, rec, 0)
}
