package world

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/service"
)

// services is the part that holds the scenario's services
// (topology.services), in the file's order, with their instances named
// in the registry. Every interval it records each service's queue depth,
// requests in service and live instances.
type services struct {
	e    *env
	list []*service.Service
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

// sample records each service's queue_depth, in_service and instances_up.
func (s *services) sample(at time.Duration) {
	for _, svc := range s.list {
		suffix := s.suffix(svc)
		s.e.rec.Set("queue_depth"+suffix, "requests", at, float64(svc.QueueDepth()))
		s.e.rec.Set("in_service"+suffix, "requests", at, float64(svc.InService()))
		s.e.rec.Set("instances_up"+suffix, "instances", at, float64(svc.Up()))
	}
}

// metricName is a name as metrics spell it: dashes become underscores.
func metricName(name string) string { return strings.ReplaceAll(name, "-", "_") }
