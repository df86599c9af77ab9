package world

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/faultline-sim/faultline/models/broker"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"
)

// brokers is the part that holds the scenario's brokers
// (topology.brokers), connects the services that publish to them, and
// scales consumer groups that autoscale on their lag. Every interval it
// records each broker's consumer lag (and consumers, when they scale); at
// the end, its counts and completion times.
type brokers struct {
	e    *env
	list []*brokerRun
}

// brokerRun is one broker of the world and what the run measures of it.
type brokerRun struct {
	b          *broker.Broker
	cfg        *brokerSettings
	completion *hdrhistogram.Histogram // produce to processed, microseconds
	keys       uint64
	k          *sim.Kernel
}

type brokerSettings struct {
	name       string
	downstream string
	autoscale  *scenarios.ConsumerAutoscale
	recs       []recommendation // autoscale: the last scale_down_window's
}

type recommendation struct {
	at sim.Time
	n  int
}

// buildBrokers creates the scenario's brokers and connects the services
// that publish to them.
func buildBrokers(e *env, svcs *services) (*brokers, error) {
	bs := &brokers{e: e}
	for i, bc := range e.sc.Topology.Brokers {
		b, err := broker.New(e.k, e.net, bc.Config)
		if err != nil {
			return nil, fmt.Errorf("topology.brokers[%d]: %w", i, err)
		}
		br := &brokerRun{k: e.k, b: b, cfg: &brokerSettings{name: bc.Name, downstream: bc.Downstream, autoscale: bc.Autoscale},
			completion: hdrhistogram.New(1, int64(24*time.Hour/time.Microsecond), 3)}
		b.OnComplete(func(produced, completed sim.Time, ok bool) {
			if ok {
				_ = br.completion.RecordValue(max(int64(completed.Sub(produced)/time.Microsecond), 1))
			}
		})
		bs.list = append(bs.list, br)
		br.name(e.nodes)
	}
	for _, s := range svcs.list {
		name := s.Config().Publish
		if name == "" {
			continue
		}
		br := bs.named(name)
		producers := br.b.Config().Producers
		s.SetPublisher(func(instance int) {
			br.keys++
			br.b.Producer(instance % producers).Produce(br.keys)
		})
	}
	return bs, nil
}

// name makes the broker's nodes nameable in links and faults: the broker
// itself, and its producers and consumers.
func (br *brokerRun) name(r *registry) {
	cfg := br.b.Config()
	r.add(br.cfg.name, br.b.Node())
	for i := range cfg.Producers {
		r.add(fmt.Sprintf("%s-producer-%d", br.cfg.name, i), br.b.Producer(i).Node())
	}
	for i := range cfg.Consumers {
		r.add(fmt.Sprintf("%s-consumer-%d", br.cfg.name, i), br.b.Consumer(i).Node())
	}
}

func (bs *brokers) named(name string) *brokerRun {
	for _, br := range bs.list {
		if br.cfg.name == name {
			return br
		}
	}
	return nil
}

// start starts every broker's group and producers until end, and the
// consumers' autoscaler where a group has one.
func (bs *brokers) start(end sim.Time) {
	k := bs.e.k
	for _, br := range bs.list {
		br.b.Start(end)
		if a := br.cfg.autoscale; a != nil {
			br := br
			var tick func()
			tick = func() {
				br.scaleConsumers()
				if next := k.Now().Add(a.Period); next < end {
					k.AfterFunc(a.Period, tick)
				}
			}
			k.AfterFunc(a.Period, tick)
		}
	}
}

// downstreamOutage tells the brokers that depend on service svc that it
// is down (up false) or back.
func (bs *brokers) downstreamOutage(svc string, up bool) {
	for _, br := range bs.list {
		if br.cfg.downstream == svc {
			br.b.SetDownstream(up)
		}
	}
}

// sample records each broker's consumer lag ("lag", suffixed with the
// broker's name when there are several).
func (bs *brokers) sample(at time.Duration) {
	for _, br := range bs.list {
		suffix := ""
		if len(bs.list) > 1 {
			suffix = "." + br.cfg.name
		}
		bs.e.rec.Set("lag"+suffix, "records", at, float64(br.b.TotalLag()))
		if br.cfg.autoscale != nil {
			bs.e.rec.Set("consumers"+suffix, "consumers", at, float64(br.b.Consumers()))
		}
	}
}

// report adds each broker's counts and completion times.
func (bs *brokers) report(run *results.Run) {
	for _, br := range bs.list {
		p := strings.ReplaceAll(br.cfg.name, "-", "_") + "_"
		m := br.b.Metrics()
		run.Metrics[p+"produced"] = float64(m.Produced)
		run.Metrics[p+"completed"] = float64(m.Completed)
		run.Metrics[p+"dead_lettered"] = float64(m.DeadLetteredRecords)
		run.Metrics[p+"unfinished"] = float64(m.Unfinished)
		run.Metrics[p+"duplicates"] = float64(m.Duplicates + m.ProducerDuplicates)
		if br.completion.TotalCount() > 0 {
			run.Metrics[p+"completion_p50_ms"] = float64(br.completion.ValueAtQuantile(50)) / 1000
			run.Metrics[p+"completion_p99_ms"] = float64(br.completion.ValueAtQuantile(99)) / 1000
			run.Metrics[p+"completion_max_ms"] = float64(br.completion.Max()) / 1000
		}
	}
}

// scaleConsumers sets the group's size from its lag: ceil(lag /
// lag_threshold) within the bounds and the partitions, scaling down only
// to the highest recommendation of the stabilisation window.
func (br *brokerRun) scaleConsumers() {
	a := br.cfg.autoscale
	t := br.k.Now()
	want := int(math.Ceil(float64(br.b.TotalLag()) / a.LagThreshold))
	want = min(max(want, a.MinConsumers), a.MaxConsumers, br.b.Partitions())
	br.cfg.recs = append(br.cfg.recs, recommendation{at: t, n: want})
	keep := br.cfg.recs[:0]
	for _, r := range br.cfg.recs {
		if t.Sub(r.at) <= a.ScaleDownWindow {
			keep = append(keep, r)
		}
	}
	br.cfg.recs = keep
	cur := br.b.Consumers()
	if want < cur {
		for _, r := range keep {
			want = max(want, r.n)
		}
		want = min(want, cur)
	}
	if want != cur {
		_ = br.b.SetConsumers(want) // within [1, partitions]
	}
}
