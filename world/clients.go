package world

import (
	"fmt"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// clients is the part that holds the scenario's load generators (load),
// in the file's order, each on a node of its own named in the registry: a
// service's clients here, a store's workloads in its store. It starts the
// service clients; every interval it records the retries they started; at
// the end, their retry amplification, denied retries and ejections.
type clients struct {
	e       *env
	list    []*load.Client // the service clients
	retries []int64        // per client, retries counted at the last sample
}

// buildClients creates every load generator: a store's workload through
// stores, a service's client with the services' deadline table (nil for
// none), traced by tr, its outcomes counted per client and per endpoint
// by outcomes.
func buildClients(e *env, svcs *services, stores *stores, deadlines *service.Deadlines, tr *tracing, outcomes *outcomes) (*clients, error) {
	cs := &clients{e: e}
	several := serviceClients(e, stores) > 1
	for i, l := range e.sc.Load {
		node := e.net.AddNode(l.Name)
		e.nodes.add(l.Name, node)
		if st := stores.named(l.Target); st != nil {
			if err := stores.addClient(i, node, st); err != nil {
				return nil, fmt.Errorf("load[%d]: %w", i, err)
			}
			continue
		}
		observe := e.observe
		if several {
			observe = outcomes.perClient(l.Name, observe)
		}
		target := svcs.named(l.Target)
		c, err := load.NewClient(e.k, e.net, node, l.Name, l.Config, target, observe)
		if err != nil {
			return nil, fmt.Errorf("load[%d]: %w", i, err)
		}
		c.UseDeadlines(deadlines)
		outcomes.perEndpoint(c, target)
		tr.trace(c)
		cs.list = append(cs.list, c)
	}
	return cs, nil
}

// serviceClients counts the load generators that call services (not
// stores).
func serviceClients(e *env, stores *stores) int {
	n := 0
	for _, l := range e.sc.Load {
		if stores.named(l.Target) == nil {
			n++
		}
	}
	return n
}

// start starts every service client until end.
func (cs *clients) start(end sim.Time) {
	for _, c := range cs.list {
		c.Start(end)
	}
}

// maxTimeout is the longest timeout of the load generators: how long a
// request started before the end of the load may still be open.
func (cs *clients) maxTimeout() time.Duration {
	var m time.Duration
	for _, l := range cs.e.sc.Load {
		m = max(m, l.Timeout)
	}
	return m
}

// prefix names a service client's metrics when there are several.
func (cs *clients) prefix(i int) string {
	if len(cs.list) == 1 {
		return ""
	}
	return strings.ReplaceAll(cs.list[i].Name(), "-", "_") + "_"
}

// sample records the retries each client started in the interval that
// just ended ("retries", summed over clients).
func (cs *clients) sample(at time.Duration) {
	if len(cs.retries) < len(cs.list) {
		cs.retries = make([]int64, len(cs.list))
	}
	for i, c := range cs.list {
		if c.Retries() == 0 && cs.retries[i] == 0 {
			continue
		}
		cs.e.rec.Add("retries", "retries/s", at, float64(c.Retries()-cs.retries[i])/cs.e.sc.Interval.Seconds())
		cs.retries[i] = c.Retries()
	}
}

// report adds each client's retry amplification and denied retries, if
// it made attempts, and its ejections, if it detects outliers.
func (cs *clients) report(run *results.Run) {
	for i, c := range cs.list {
		if c.Attempts() > 0 {
			run.Metrics[cs.prefix(i)+"retry_amplification"] = c.Amplification()
			run.Metrics[cs.prefix(i)+"retries_denied"] = float64(c.RetriesDenied())
		}
		if c.Config().OutlierDetection != nil {
			run.Metrics[cs.prefix(i)+"ejections"] = float64(c.Ejections())
		}
	}
}
