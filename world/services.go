package world

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
)

// services is the part that holds the scenario's services
// (topology.services), in the file's order, with their instances named
// in the registry. Every interval it records each service's queue depth,
// requests in service and live instances.
type services struct {
	e    *env
	list []*service.Service
	// At the last sample: when, and each service's RequestTime and
	// WorkTime, from which the interval's time averages are taken.
	lastAt         time.Duration
	lastReq, lastW []time.Duration
}

func buildServices(e *env) (*services, error) {
	s := &services{e: e}
	for i, cfg := range e.sc.Topology.Services {
		svc, err := service.New(e.k, e.net, cfg)
		if err != nil {
			return nil, fmt.Errorf("topology.services[%d]: %w", i, err)
		}
		s.list = append(s.list, svc)
		e.nodes.addGroup(cfg.Name, svc.Nodes())
	}
	return s, nil
}

// named returns the service called name, or nil.
func (s *services) named(name string) *service.Service {
	for _, svc := range s.list {
		if svc.Name() == name {
			return svc
		}
	}
	return nil
}

// instances returns the service a fault's target names and the indexes
// of the instances it names: every one for a service, one for
// <service>-<i>.
func (s *services) instances(target string) (*service.Service, []int, error) {
	if svc := s.named(target); svc != nil {
		idx := make([]int, svc.Len())
		for i := range idx {
			idx[i] = i
		}
		return svc, idx, nil
	}
	cut := strings.LastIndex(target, "-")
	if cut > 0 {
		if svc := s.named(target[:cut]); svc != nil {
			if i, err := strconv.Atoi(target[cut+1:]); err == nil && i >= 0 && i < svc.Len() {
				return svc, []int{i}, nil
			}
		}
	}
	return nil, nil, fmt.Errorf("target %q is not a service or instance", target)
}

// suffix tells svc's series apart when the world has several services.
func (s *services) suffix(svc *service.Service) string {
	if len(s.list) == 1 {
		return ""
	}
	return "." + svc.Name()
}

// prefix tells svc's metrics apart when the world has several services.
func (s *services) prefix(svc *service.Service) string {
	if len(s.list) == 1 {
		return ""
	}
	return metricName(svc.Name()) + "_"
}

// sample records each service's gauges for the interval that just ended:
// in_service, the time-average number of workers doing work, and
// queue_depth, the time-average number of the other requests present
// (waiting, or held by a paused worker), so that in_service + queue_depth
// is the time-average number in the system (L in Little's law); and
// instances_up at the interval's end.
func (s *services) sample(at time.Duration) {
	if s.lastReq == nil {
		s.lastReq, s.lastW = make([]time.Duration, len(s.list)), make([]time.Duration, len(s.list))
	}
	now := at + 1 // sample runs at the interval's end; at is inside it
	span := (now - s.lastAt).Seconds()
	for i, svc := range s.list {
		suffix := s.suffix(svc)
		req, work := svc.RequestTime(), svc.WorkTime()
		inSystem := (req - s.lastReq[i]).Seconds() / span
		inService := (work - s.lastW[i]).Seconds() / span
		s.lastReq[i], s.lastW[i] = req, work
		s.e.rec.Set("queue_depth"+suffix, "requests", at, max(inSystem-inService, 0))
		s.e.rec.Set("in_service"+suffix, "requests", at, inService)
		s.e.rec.Set("instances_up"+suffix, "instances", at, float64(svc.Up()))
	}
	s.lastAt = now
}

// report adds each service's time averages over the run (to the last
// sample): in_system_mean, in_service_mean and queue_depth_mean, the L of
// Little's law, which hypotheses may state.
func (s *services) report(run *results.Run) {
	if s.lastAt <= 0 || s.lastReq == nil {
		return
	}
	for i, svc := range s.list {
		p := s.prefix(svc)
		inSystem := s.lastReq[i].Seconds() / s.lastAt.Seconds()
		inService := s.lastW[i].Seconds() / s.lastAt.Seconds()
		run.Metrics[p+"in_system_mean"] = inSystem
		run.Metrics[p+"in_service_mean"] = inService
		run.Metrics[p+"queue_depth_mean"] = max(inSystem-inService, 0)
	}
}

// metricName is a name as metrics spell it: dashes become underscores.
func metricName(name string) string { return strings.ReplaceAll(name, "-", "_") }
