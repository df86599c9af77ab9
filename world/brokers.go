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
func (w *World) buildBrokers() error {
	for i, bc := range w.sc.Topology.Brokers {
		b, err := broker.New(w.k, w.net, bc.Config)
		if err != nil {
			return fmt.Errorf("topology.brokers[%d]: %w", i, err)
		}
		br := &brokerRun{k: w.k, b: b, cfg: &brokerSettings{name: bc.Name, downstream: bc.Downstream, autoscale: bc.Autoscale},
			completion: hdrhistogram.New(1, int64(24*time.Hour/time.Microsecond), 3)}
		b.OnComplete(func(produced, completed sim.Time, ok bool) {
			if ok {
				_ = br.completion.RecordValue(max(int64(completed.Sub(produced)/time.Microsecond), 1))
			}
		})
		w.brokers = append(w.brokers, br)
		w.addBrokerNodes(br, bc.Name)
	}
	for _, s := range w.services {
		name := s.Config().Publish
		if name == "" {
			continue
		}
		br := w.brokerNamed(name)
		producers := br.b.Config().Producers
		s.SetPublisher(func(instance int) {
			br.keys++
			br.b.Producer(instance % producers).Produce(br.keys)
		})
	}
	return nil
}

// addBrokerNodes makes the broker's nodes nameable in links and faults:
// the broker itself, and its producers and consumers.
func (w *World) addBrokerNodes(br *brokerRun, name string) {
	cfg := br.b.Config()
	node := br.b.Node()
	w.byName[name] = []sim.NodeID{node}
	w.nodes = append(w.nodes, node)
	for i := range cfg.Producers {
		n := br.b.Producer(i).Node()
		w.byName[fmt.Sprintf("%s-producer-%d", name, i)] = []sim.NodeID{n}
		w.nodes = append(w.nodes, n)
	}
	for i := range cfg.Consumers {
		n := br.b.Consumer(i).Node()
		w.byName[fmt.Sprintf("%s-consumer-%d", name, i)] = []sim.NodeID{n}
		w.nodes = append(w.nodes, n)
	}
}

func (w *World) brokerNamed(name string) *brokerRun {
	for _, br := range w.brokers {
		if br.cfg.name == name {
			return br
		}
	}
	return nil
}

// startBrokers starts every broker's group and producers until end.
func (w *World) startBrokers(end sim.Time) {
	for _, br := range w.brokers {
		br.b.Start(end)
		if a := br.cfg.autoscale; a != nil {
			br := br
			var tick func()
			tick = func() {
				br.scaleConsumers()
				if next := w.k.Now().Add(a.Period); next < end {
					w.k.AfterFunc(a.Period, tick)
				}
			}
			w.k.AfterFunc(a.Period, tick)
		}
	}
}

// downstreamOutage tells the brokers that depend on service svc that it
// is down (up false) or back.
func (w *World) downstreamOutage(svc string, up bool) {
	for _, br := range w.brokers {
		if br.cfg.downstream == svc {
			br.b.SetDownstream(up)
		}
	}
}

// sampleBrokers records each broker's consumer lag ("lag", suffixed with
// the broker's name when there are several).
func (w *World) sampleBrokers(at time.Duration) {
	for _, br := range w.brokers {
		suffix := ""
		if len(w.brokers) > 1 {
			suffix = "." + br.cfg.name
		}
		w.rec.Set("lag"+suffix, "records", at, float64(br.b.TotalLag()))
		if br.cfg.autoscale != nil {
			w.rec.Set("consumers"+suffix, "consumers", at, float64(br.b.Consumers()))
		}
	}
}

// brokerMetrics adds each broker's counts and completion times.
func (w *World) brokerMetrics(run *results.Run) {
	for _, br := range w.brokers {
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
