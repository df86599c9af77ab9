package world

import (
	"fmt"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"faultline/models/broker"
	"faultline/reports/results"
	"faultline/sim"
)

// brokerRun is one broker of the world and what the run measures of it.
type brokerRun struct {
	b          *broker.Broker
	cfg        *brokerSettings
	completion *hdrhistogram.Histogram // produce to processed, microseconds
	keys       uint64
}

type brokerSettings struct {
	name       string
	downstream string
}

// buildBrokers creates the scenario's brokers and connects the services
// that publish to them.
func (w *World) buildBrokers() error {
	for i, bc := range w.sc.Topology.Brokers {
		b, err := broker.New(w.k, w.net, bc.Config)
		if err != nil {
			return fmt.Errorf("topology.brokers[%d]: %w", i, err)
		}
		br := &brokerRun{b: b, cfg: &brokerSettings{name: bc.Name, downstream: bc.Downstream},
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
