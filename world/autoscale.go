package world

import (
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/models/autoscale"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/sim"
)

// KPA timing, as Knative's autoscaler runs it: pods' concurrency is
// scraped every second, and a decision is made every two seconds.
const (
	kpaScrapePeriod = time.Second
	kpaTickPeriod   = 2 * time.Second
)

// scalers is the part that runs the autoscaler of every service with an
// autoscale section (policy none included, for its series). Every
// interval it records each service's instances, desired instances and
// utilisation (and its cluster's and sizes' gauges); at the end of the
// load, the cost and oscillation metrics; after the run, the SLO's
// (autoscale_slo.go).
type scalers struct {
	e    *env
	list []*scaler
}

// scaler runs the autoscaler of one service on the kernel: it scrapes the
// instances' metrics at the autoscaler's period, hands them over after the
// metric lag, and applies the replica count that comes back.
type scaler struct {
	e      *env
	svc    *service.Service
	cfg    service.AutoscaleConfig
	hpa    *autoscale.HPA
	kpa    *autoscale.KPA
	vpa    *autoscale.Vertical
	resize *service.Resizer   // with vpa
	nodes  *autoscale.Cluster // unbounded unless configured
	scrape *service.Meter     // over each sync period (HPA) or second (KPA)
	gauge  *service.Meter     // over each report interval
	usage  []service.Usage
	prefix string // of series and metrics when several services scale

	desired int // the autoscaler's replica count, pending pods included

	lastDir int // the sign of the last change of replicas or size
	flips   int // changes of direction

	extraCost float64 // instance-seconds above one per instance, for sizes above the configured workers
	utilSum   float64 // mean utilisation of each sample, summed
	utilN     int
}

// buildScalers creates a scaler for every service with an autoscale
// section.
func buildScalers(e *env, svcs *services) (*scalers, error) {
	ss := &scalers{e: e}
	for i, svc := range svcs.list {
		cfg := svc.Config().Autoscale
		if cfg == nil {
			continue
		}
		s := &scaler{e: e, svc: svc, cfg: *cfg, desired: svc.Replicas()}
		var err error
		switch cfg.Policy {
		case service.PolicyHPA:
			s.hpa, err = autoscale.NewHPA(cfg.HPA)
		case service.PolicyKPA:
			s.kpa, err = autoscale.NewKPA(cfg.KPA)
		case service.PolicyVertical:
			s.vpa, err = autoscale.NewVertical(cfg.Vertical)
			s.resize = svc.NewResizer()
		}
		if err == nil {
			s.nodes, err = autoscale.NewCluster(cfg.Cluster)
		}
		if err != nil {
			return nil, fmt.Errorf("topology.services[%d].autoscale: %w", i, err)
		}
		ss.list = append(ss.list, s)
	}
	for _, s := range ss.list {
		if len(ss.list) > 1 {
			s.prefix = s.svc.Name() + "_"
		}
	}
	return ss, nil
}

// start schedules every scaler's first scrape and the end-of-load
// metrics.
func (ss *scalers) start(sim.Time) {
	if len(ss.list) == 0 {
		return
	}
	k := ss.e.k
	for _, s := range ss.list {
		s.scrape, s.gauge = s.svc.NewMeter(), s.svc.NewMeter()
		switch {
		case s.hpa != nil:
			k.AfterFunc(s.hpa.Config().SyncPeriod, s.syncHPA)
		case s.kpa != nil:
			k.AfterFunc(kpaScrapePeriod, s.scrapeKPA)
		case s.vpa != nil:
			k.AfterFunc(s.vpa.Config().SyncPeriod, s.syncVertical)
		}
	}
	k.AtFunc(sim.At(ss.e.sc.Duration), ss.metrics)
}

// every schedules fn after d if that is within the run.
func (s *scaler) every(d time.Duration, fn func()) {
	if next := s.e.k.Now().Add(d); time.Duration(next) <= s.e.sc.Duration {
		s.e.k.AtFunc(next, fn)
	}
}

// later runs fn after the metric lag (at once without one).
func (s *scaler) later(fn func()) {
	if s.cfg.MetricLag == 0 {
		fn()
		return
	}
	s.e.k.AfterFunc(s.cfg.MetricLag, fn)
}

// syncHPA is one sync of the HPA: each pod's cpu utilisation over the
// sync period that just ended, then Reconcile after the metric lag.
func (s *scaler) syncHPA() {
	period := s.hpa.Config().SyncPeriod
	s.every(period, s.syncHPA)
	metric := autoscale.MetricSample{Name: autoscale.CPU, Type: autoscale.Utilization,
		Target: s.cfg.TargetUtilization, Pods: s.pods(), Window: period}
	s.later(func() {
		desired, _ := s.hpa.Reconcile(s.e.k.Now(), s.desired, []autoscale.MetricSample{metric})
		s.apply(desired)
	})
}

// pods returns the HPA's view of the service's pods: every instance
// starting or ready (a draining pod is terminating and no longer counted),
// with its utilisation over the last scrape window in percent, then the
// pods that wait for room in the cluster (Pending, set aside).
func (s *scaler) pods() []autoscale.PodMetric {
	s.usage = s.scrape.Sample(s.usage[:0])
	var pods []autoscale.PodMetric
	for i, u := range s.usage {
		in := s.svc.Instance(i)
		if !in.Ready() && !in.Starting() {
			continue
		}
		changed := in.Started()
		if in.Ready() {
			changed = in.ReadySince()
		}
		pods = append(pods, autoscale.PodMetric{Value: 100 * u.Utilization, Ready: in.Ready(),
			Started: in.Started(), ReadyChanged: changed})
	}
	for range s.pending() {
		pods = append(pods, autoscale.PodMetric{Pending: true})
	}
	return pods
}

// scrapeKPA records the service's concurrency over the last second (the
// sum over its instances) and decides every kpaTickPeriod.
func (s *scaler) scrapeKPA() {
	s.every(kpaScrapePeriod, s.scrapeKPA)
	s.usage = s.scrape.Sample(s.usage[:0])
	var total float64
	for _, u := range s.usage {
		total += u.Concurrency
	}
	decide := time.Duration(s.e.k.Now())%kpaTickPeriod == 0
	s.later(func() {
		now := s.e.k.Now()
		s.kpa.Record(now, total)
		if decide {
			desired, _ := s.kpa.Desired(now, len(s.svc.Ready()))
			s.apply(desired)
		}
	})
}

// apply sets the replica count to desired (within [1, max_instances]),
// places the pods the cluster has room for, traces the decision and
// counts changes of direction.
func (s *scaler) apply(desired int) {
	from := s.desired
	s.desired = max(desired, 1)
	if m := s.svc.Config().MaxInstances; m > 0 {
		s.desired = min(s.desired, m)
	}
	s.place()
	s.e.k.Record(s.e.sampler, kindScale, int64(from), int64(s.desired))
	s.turn(from, s.desired)
}

// turn counts a change of direction from one change (of replicas or of
// size) to the next.
func (s *scaler) turn(from, to int) {
	if to == from {
		return
	}
	dir := 1
	if to < from {
		dir = -1
	}
	if s.lastDir != 0 && dir != s.lastDir {
		s.flips++
	}
	s.lastDir = dir
}

// kindScale is the sampler's trace record of a scaling decision: A the
// replicas before, B after.
const kindScale uint32 = 2

// sample records each scaler's gauges for the interval that just
// ended: ready instances, desired instances and the mean utilisation of
// the ready instances in percent.
func (ss *scalers) sample(at time.Duration) {
	for _, s := range ss.list {
		usage := s.gauge.Sample(nil)
		ready := s.svc.Ready()
		var sum float64
		for _, i := range ready {
			sum += usage[i].Utilization
		}
		name := func(n string) string { return n + s.seriesSuffix() }
		ss.e.rec.Set(name("instances"), "instances", at, float64(len(ready)))
		ss.e.rec.Set(name("desired_instances"), "instances", at, float64(s.desired))
		util := 100 * sum / float64(max(1, len(ready)))
		ss.e.rec.Set(name("utilization"), "%", at, util)
		s.utilSum, s.utilN = s.utilSum+util, s.utilN+1
		s.sampleCapacity(at, name)
	}
}

func (s *scaler) seriesSuffix() string {
	if s.prefix == "" {
		return ""
	}
	return "." + s.svc.Name()
}

// metrics records the per-run metrics at the end of the
// scenario's duration: instance_seconds (the cost: instances live, ready
// or not, over time, an instance of k times the configured workers
// counting k times), cost (money, if price_per_hour is set),
// mean_utilization (of the ready instances, in percent, over the
// samples), scaling_direction_changes (oscillation: of replicas, or of
// size for the vertical policy) and max_instances_seen (the most
// instances live at once).
func (ss *scalers) metrics() {
	for _, s := range ss.list {
		cost := s.svc.InstanceTime().Seconds() + s.extraCost
		ss.e.rec.Metric(s.prefix+"instance_seconds", cost)
		if s.cfg.PricePerHour > 0 {
			ss.e.rec.Metric(s.prefix+"cost", cost/3600*s.cfg.PricePerHour)
		}
		ss.e.rec.Metric(s.prefix+"mean_utilization", s.utilSum/float64(max(1, s.utilN)))
		ss.e.rec.Metric(s.prefix+"scaling_direction_changes", float64(s.flips))
		ss.e.rec.Metric(s.prefix+"max_instances_seen", float64(s.svc.MaxLive()))
	}
}
