package search

import (
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/models/store/dynamo"
	"github.com/faultline-sim/faultline/models/store/raft"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/sim"

	"pgregory.net/rapid"
)

// Generated scenarios are short (5 to 20 s simulated) so that each runs in
// milliseconds and a property can check a hundred of them in seconds.
const (
	minDuration = 5
	maxDuration = 20
	// Store histories are checked for linearizability, which is
	// exponential in the operations in flight on a key: store worlds run
	// shorter, with light load spread over more keys.
	maxStoreDuration = 10
)

// serviceNames name the services of a generated service world, in order.
var serviceNames = []string{"api", "auth", "cart", "dash", "edge", "feed", "geo", "hub"}

// ServiceOptions narrow the service worlds ServiceWorld draws.
type ServiceOptions struct {
	// Constant draws only constant link latencies and service times with
	// no jitter, and link faults whose own timeout is 0, so that a
	// request's latency has a lower bound known in advance.
	Constant bool
	// NoRetry draws no client retries.
	NoRetry bool
	// NoCalls draws services that call no other service.
	NoCalls bool
}

// ServiceWorld draws valid scenarios of 1 to 8 services, each called by its
// own open-loop load generator (client, client-1, ...), with 0 to 4 faults
// inside the run.
func ServiceWorld(opt ServiceOptions) *rapid.Generator[*scenarios.Scenario] {
	return rapid.Custom(func(t *rapid.T) *scenarios.Scenario {
		sc := &scenarios.Scenario{
			Name:     "gen-services",
			Duration: time.Duration(rapid.IntRange(minDuration, maxDuration).Draw(t, "duration_s")) * time.Second,
			Seeds:    1,
		}
		n := rapid.IntRange(1, len(serviceNames)).Draw(t, "services")
		for i := range n {
			svc := drawService(t, serviceNames[i], opt)
			sc.Topology.Services = append(sc.Topology.Services, svc)
			cl := drawServiceClient(t, i, svc, sc.Duration, opt)
			sc.Load = append(sc.Load, cl)
			sc.Topology.Links = append(sc.Topology.Links, drawLink(t, clientName(i), svc.Name, opt.Constant))
		}
		if !opt.NoCalls {
			drawCallGraph(t, sc.Topology.Services)
		}
		for i := range rapid.IntRange(0, 4).Draw(t, "faults") {
			sc.Faults = append(sc.Faults, drawServiceFault(t, i, sc, opt))
		}
		drawEndpoints(t, sc.Topology.Services, opt)
		return finish(t, sc)
	})
}

// drawCallGraph lets each service call some of the services after it in
// the list, so the calls form a graph without cycles, each call with its
// own draw of policies.
func drawCallGraph(t *rapid.T, svcs []service.Config) {
	for i := range svcs {
		for j := i + 1; j < len(svcs); j++ {
			label := svcs[i].Name + ".calls." + svcs[j].Name
			if rapid.IntRange(0, 2).Draw(t, label+"?") != 0 {
				continue
			}
			svcs[i].Calls = append(svcs[i].Calls, drawCall(t, label, svcs[j].Name))
		}
		if len(svcs[i].Calls) > 1 && rapid.Bool().Draw(t, svcs[i].Name+".parallel") {
			svcs[i].CallMode = service.Parallel
			svcs[i].CallQuorum = rapid.IntRange(0, len(svcs[i].Calls)).Draw(t, svcs[i].Name+".call_quorum")
		}
		svcs[i].HonorDeadlines = rapid.Bool().Draw(t, svcs[i].Name+".honor_deadlines")
	}
}

// drawEndpoints gives some services endpoints, each with its own service
// time and weight and the service's calls, none, or its own copy of them
// (in reverse order, with policies of their own); then some calls name an
// endpoint of their callee. It draws after everything else, so that the
// worlds drawn before endpoints existed keep their other settings.
func drawEndpoints(t *rapid.T, svcs []service.Config, opt ServiceOptions) {
	for i := range svcs {
		s := &svcs[i]
		for e := range rapid.IntRange(0, 3).Draw(t, s.Name+".endpoints") {
			label := fmt.Sprintf("%s.endpoints[%d]", s.Name, e)
			w := float64(rapid.IntRange(0, 3).Draw(t, label+".weight"))
			if e == 0 {
				w = max(w, 1) // some endpoint gets requests
			}
			ep := service.Endpoint{Name: fmt.Sprintf("ep%d", e), Weight: &w,
				ServiceTime: drawDist(t, 1, 20, label+".service_time", opt.Constant)}
			switch rapid.IntRange(0, 2).Draw(t, label+".calls") {
			case 1:
				ep.Calls = []service.Call{}
			case 2:
				for j := len(s.Calls) - 1; j >= 0; j-- {
					ep.Calls = append(ep.Calls, s.Calls[j])
				}
			}
			s.Endpoints = append(s.Endpoints, ep)
		}
	}
	for i := range svcs {
		for j := range svcs[i].Calls {
			c := &svcs[i].Calls[j]
			callee := svcs[indexOf(svcs, c.Service)]
			if n := len(callee.Endpoints); n > 0 {
				if e := rapid.IntRange(-1, n-1).Draw(t, svcs[i].Name+".calls."+c.Service+".endpoint"); e >= 0 {
					c.Endpoint = callee.Endpoints[e].Name
				}
			}
		}
	}
}

func indexOf(svcs []service.Config, name string) int {
	for i, s := range svcs {
		if s.Name == name {
			return i
		}
	}
	panic("search: a call to no service: " + name)
}

// drawCall draws a call to target with any mix of policies.
func drawCall(t *rapid.T, label, target string) service.Call {
	c := service.Call{Service: target, Timeout: ms(t, 20, 1000, label+".timeout"), Fallback: rapid.Bool().Draw(t, label+".fallback")}
	if rapid.Bool().Draw(t, label+".retry?") {
		c.Retry = &resilience.RetryConfig{MaxAttempts: rapid.IntRange(2, 4).Draw(t, label+".retry.max_attempts")}
		if rapid.Bool().Draw(t, label+".retry.budget?") {
			c.Retry.Budget = &resilience.BudgetConfig{}
		}
	}
	if rapid.Bool().Draw(t, label+".breaker?") {
		c.Breaker = &resilience.BreakerConfig{Timeout: ms(t, 100, 5000, label+".breaker.timeout"),
			ConsecutiveFailures: uint32(rapid.IntRange(1, 10).Draw(t, label+".breaker.consecutive_failures"))}
	}
	if rapid.IntRange(0, 3).Draw(t, label+".window_breaker?") == 0 {
		c.WindowBreaker = &resilience.WindowBreakerConfig{SlidingWindowSize: rapid.IntRange(5, 50).Draw(t, label+".window_breaker.size"),
			MinimumNumberOfCalls: 5, WaitDurationInOpenState: ms(t, 100, 5000, label+".window_breaker.wait")}
	}
	if rapid.IntRange(0, 3).Draw(t, label+".bulkhead?") == 0 {
		c.Bulkhead = &resilience.BulkheadConfig{MaxConcurrent: rapid.IntRange(1, 5).Draw(t, label+".bulkhead.max_concurrent"),
			MaxWaiting: rapid.IntRange(0, 5).Draw(t, label+".bulkhead.max_waiting")}
	}
	if rapid.IntRange(0, 3).Draw(t, label+".rate_limit?") == 0 {
		c.RateLimit = &resilience.RateLimitConfig{Rate: float64(rapid.IntRange(1, 200).Draw(t, label+".rate_limit.rate")),
			Burst: rapid.IntRange(1, 20).Draw(t, label+".rate_limit.burst")}
	}
	if rapid.IntRange(0, 3).Draw(t, label+".outlier_detection?") == 0 {
		c.OutlierDetection = drawOutlier(t, label)
	}
	return c
}

// drawOutlier draws outlier detection with short times, so that
// ejections and returns happen within a generated run.
func drawOutlier(t *rapid.T, label string) *balance.OutlierConfig {
	base := ms(t, 10, 2000, label+".outlier_detection.base_ejection_time")
	return &balance.OutlierConfig{
		ConsecutiveErrors:  rapid.IntRange(1, 5).Draw(t, label+".outlier_detection.consecutive_errors"),
		Interval:           ms(t, 10, 2000, label+".outlier_detection.interval"),
		BaseEjectionTime:   base,
		MaxEjectionTime:    base * time.Duration(rapid.IntRange(1, 10).Draw(t, label+".outlier_detection.max_factor")),
		MaxEjectionPercent: float64(rapid.IntRange(1, 100).Draw(t, label+".outlier_detection.max_ejection_percent")),
	}
}

func clientName(i int) string {
	if i == 0 {
		return scenarios.DefaultClient
	}
	return fmt.Sprintf("%s-%d", scenarios.DefaultClient, i)
}

func finish(t *rapid.T, sc *scenarios.Scenario) *scenarios.Scenario {
	sc.SetDefaults()
	if err := sc.Validate(); err != nil {
		t.Fatalf("generator bug: drew an invalid scenario: %v", err)
	}
	return sc
}

func ms(t *rapid.T, lo, hi int, label string) time.Duration {
	return time.Duration(rapid.IntRange(lo, hi).Draw(t, label)) * time.Millisecond
}

func drawService(t *rapid.T, name string, opt ServiceOptions) service.Config {
	return service.Config{
		Name:        name,
		Instances:   rapid.IntRange(1, 4).Draw(t, name+".instances"),
		Workers:     rapid.IntRange(1, 3).Draw(t, name+".workers"),
		QueueLimit:  rapid.SampledFrom([]int{0, 1, 5, 50}).Draw(t, name+".queue_limit"),
		Discipline:  rapid.SampledFrom([]string{"fifo", "lifo"}).Draw(t, name+".discipline"),
		ServiceTime: drawDist(t, 1, 20, name+".service_time", opt.Constant),
	}
}

// drawDist draws a time distribution with a mean in [lo, hi] ms.
func drawDist(t *rapid.T, lo, hi int, label string, constant bool) sim.DistSpec {
	mean := ms(t, lo, hi, label+".mean").Seconds()
	kind := "constant"
	if !constant && mean > 0 {
		kind = rapid.SampledFrom([]string{"constant", "exponential", "uniform"}).Draw(t, label+".kind")
	}
	switch kind {
	case "exponential":
		return sim.DistSpec{Kind: kind, Mean: mean}
	case "uniform":
		return sim.DistSpec{Kind: kind, Min: mean / 2, Max: mean * 1.5}
	}
	return sim.DistSpec{Kind: "constant", Value: mean}
}

func drawLink(t *rapid.T, from, to string, constant bool) scenarios.Link {
	l := scenarios.Link{From: from, To: to, Latency: drawDist(t, 0, 5, from+".link", constant)}
	if !constant && rapid.Bool().Draw(t, from+".link.jitter?") {
		l.Jitter = ms(t, 1, 3, from+".link.jitter")
	}
	if rapid.IntRange(0, 3).Draw(t, from+".link.loss?") == 0 {
		l.Loss = rapid.SampledFrom([]float64{0.001, 0.01, 0.05}).Draw(t, from+".link.loss")
	}
	return l
}

func drawServiceClient(t *rapid.T, i int, svc service.Config, dur time.Duration, opt ServiceOptions) scenarios.Client {
	name := clientName(i)
	c := scenarios.Client{Name: name, Config: load.Config{
		Target:   svc.Name,
		Balancer: rapid.SampledFrom([]string{"round_robin", "random", "least_outstanding", "p2c"}).Draw(t, name+".balancer"),
		Timeout:  ms(t, 50, 2000, name+".timeout"),
		Open:     drawSchedule(t, name, dur),
	}}
	if !opt.NoRetry && rapid.IntRange(0, 3).Draw(t, name+".retry?") == 0 {
		c.Retry = &resilience.RetryConfig{MaxAttempts: rapid.IntRange(2, 4).Draw(t, name+".retry.max_attempts")}
	}
	if rapid.IntRange(0, 3).Draw(t, name+".outlier_detection?") == 0 {
		c.OutlierDetection = drawOutlier(t, name)
	}
	return c
}

func drawSchedule(t *rapid.T, name string, dur time.Duration) *load.Schedule {
	rps := float64(rapid.IntRange(5, 200).Draw(t, name+".rps"))
	at := ms(t, 0, int(dur/time.Millisecond)-1, name+".open.at")
	over := ms(t, 1, 5000, name+".open.over")
	switch rapid.SampledFrom([]string{"constant", "step", "ramp", "spike", "diurnal"}).Draw(t, name+".shape") {
	case "step":
		return &load.Schedule{Shape: "step", RPS: rps, To: rps * 2, At: at}
	case "ramp":
		return &load.Schedule{Shape: "ramp", RPS: rps, To: rps / 2, At: at, Over: over}
	case "spike":
		return &load.Schedule{Shape: "spike", RPS: rps, Peak: rps * 3, At: at, Over: over}
	case "diurnal":
		return &load.Schedule{Shape: "diurnal", RPS: rps, Period: dur, Amplitude: 0.5}
	}
	return &load.Schedule{Shape: "constant", RPS: rps}
}

// drawWindow draws a fault's start and length inside a run of dur.
func drawWindow(t *rapid.T, label string, dur time.Duration) (at, length time.Duration) {
	total := int(dur / time.Millisecond)
	at = ms(t, 0, total-100, label+".at")
	length = ms(t, 100, total-int(at/time.Millisecond), label+".for")
	return at, length
}

// instanceOrService is a service name or one of its instances.
func instanceOrService(t *rapid.T, svc service.Config, label string) string {
	i := rapid.IntRange(-1, svc.Instances-1).Draw(t, label)
	if i < 0 {
		return svc.Name
	}
	return fmt.Sprintf("%s-%d", svc.Name, i)
}

// faultDrawer draws the type-specific fields of a service world's fault
// f, which acts on target, the k-th service or one of its instances.
type faultDrawer func(t *rapid.T, f *scenarios.Fault, d faultDraw)

// faultDraw is where a fault is drawn: its label in the draw, its target
// and the options.
type faultDraw struct {
	label, target string
	k             int
	opt           ServiceOptions
}

// serviceFaults is the search's row for every fault type: how ServiceWorld
// draws one, or why it draws none. The rows' order is the draw's, which
// every generated world (and every replayed case) depends on: add a drawn
// type at the end.
var serviceFaults = scenarios.FaultTable[faultDrawer]{
	{Type: scenarios.FaultPartition, Do: drawPartition},
	{Type: scenarios.FaultLatency, Do: onLink(func(t *rapid.T, f *scenarios.Fault, d faultDraw) {
		f.Latency = ms(t, 1, 500, d.label+".latency")
	})},
	{Type: scenarios.FaultLoss, Do: onLink(func(t *rapid.T, f *scenarios.Fault, d faultDraw) {
		f.Probability = rapid.SampledFrom([]float64{0.1, 0.5, 1}).Draw(t, d.label+".probability")
	})},
	{Type: scenarios.FaultBandwidth, None: "not drawn: a type added to the draw changes every world drawn after it; bandwidth is tested on its own in sim and world"},
	{Type: scenarios.FaultTimeout, Do: onLink(drawLinkTimeout)},
	{Type: scenarios.FaultResetPeer, Do: onLink(drawLinkTimeout)},
	{Type: scenarios.FaultSlowClose, None: "no effect on simulated requests, so it can break no property"},
	{Type: scenarios.FaultSlicer, Do: onLink(func(t *rapid.T, f *scenarios.Fault, d faultDraw) {
		f.AverageSize = rapid.IntRange(16, 1024).Draw(t, d.label+".average_size")
		f.Delay = ms(t, 0, 20, d.label+".delay")
	})},
	{Type: scenarios.FaultLimitData, Do: onLink(func(t *rapid.T, f *scenarios.Fault, d faultDraw) {
		f.Bytes = int64(rapid.IntRange(100, 100000).Draw(t, d.label+".bytes"))
	})},
	{Type: scenarios.FaultCrash, Do: onProcess},
	{Type: scenarios.FaultPause, Do: onProcess},
	{Type: scenarios.FaultWindow, None: "not a fault: it marks a phase and acts on nothing"},
}

// drawnFaultTypes are the types ServiceWorld draws, in the table's order.
var drawnFaultTypes = func() []scenarios.FaultType {
	var out []scenarios.FaultType
	for _, r := range serviceFaults {
		if r.Implemented() {
			out = append(out, r.Type)
		}
	}
	return out
}()

func drawServiceFault(t *rapid.T, i int, sc *scenarios.Scenario, opt ServiceOptions) scenarios.Fault {
	label := fmt.Sprintf("faults[%d]", i)
	f := scenarios.Fault{}
	f.At, f.For = drawWindow(t, label, sc.Duration)
	k := rapid.IntRange(0, len(sc.Topology.Services)-1).Draw(t, label+".service")
	svc := sc.Topology.Services[k]
	target := instanceOrService(t, svc, label+".target")
	f.Type = rapid.SampledFrom(drawnFaultTypes).Draw(t, label+".type")
	row, _ := serviceFaults.Lookup(f.Type)
	row.Do(t, &f, faultDraw{label: label, target: target, k: k, opt: opt})
	return f
}

// drawPartition isolates the target or cuts it from its own client.
func drawPartition(t *rapid.T, f *scenarios.Fault, d faultDraw) {
	f.Mode = rapid.SampledFrom([]string{scenarios.PartitionBlackHole, scenarios.PartitionRefuse}).Draw(t, d.label+".mode")
	if rapid.Bool().Draw(t, d.label+".isolate?") {
		f.Isolate = d.target
	} else {
		f.Groups = [][]string{{d.target}, {clientName(d.k)}}
		f.OneWay = rapid.Bool().Draw(t, d.label+".one_way")
	}
}

// onLink draws a link fault on the links to the target (and back), then
// its parameters.
func onLink(params faultDrawer) faultDrawer {
	return func(t *rapid.T, f *scenarios.Fault, d faultDraw) {
		f.To, f.TwoWay = d.target, rapid.Bool().Draw(t, d.label+".two_way")
		params(t, f, d)
	}
}

// drawLinkTimeout draws when a timeout or reset_peer fault's send fails;
// 0 with Constant.
func drawLinkTimeout(t *rapid.T, f *scenarios.Fault, d faultDraw) {
	if !d.opt.Constant {
		f.Timeout = ms(t, 0, 500, d.label+".timeout")
	}
}

// onProcess crashes or pauses the target.
func onProcess(_ *rapid.T, f *scenarios.Fault, d faultDraw) { f.Target = d.target }

// StoreOptions narrow the store worlds StoreWorld draws; zero values draw
// anything.
type StoreOptions struct {
	// Design is raft, quorum or async; "" draws one.
	Design string
	// ReadMode is the Raft read mode (log, lease, local); "" draws one.
	ReadMode string
	// AntiEntropy draws quorum stores with read repair and anti-entropy
	// on, and a settle time of at least 5 anti-entropy intervals.
	AntiEntropy bool
}

// StoreWorld draws valid scenarios of one replicated store "kv" (3 or 5
// replicas) with 1 to 3 clients and 0 to 3 partition faults, including
// isolating kv.leader.
func StoreWorld(opt StoreOptions) *rapid.Generator[*scenarios.Scenario] {
	return rapid.Custom(func(t *rapid.T) *scenarios.Scenario {
		sc := &scenarios.Scenario{
			Name:     "gen-store",
			Duration: time.Duration(rapid.IntRange(minDuration, maxStoreDuration).Draw(t, "duration_s")) * time.Second,
			Seeds:    1,
		}
		st := drawStore(t, opt)
		sc.Topology.Stores = []scenarios.Store{st}
		sc.Topology.Links = []scenarios.Link{{From: st.Name, To: st.Name, Latency: drawDist(t, 0, 5, "kv.link", false)}}
		for i := range rapid.IntRange(1, 3).Draw(t, "clients") {
			sc.Load = append(sc.Load, drawStoreClient(t, i, st))
			sc.Topology.Links = append(sc.Topology.Links, scenarios.Link{From: clientName(i), To: st.Name, Latency: drawDist(t, 0, 2, clientName(i)+".link", false)})
		}
		for i := range rapid.IntRange(0, 3).Draw(t, "faults") {
			sc.Faults = append(sc.Faults, drawStoreFault(t, i, sc))
		}
		return finish(t, sc)
	})
}

func drawStore(t *rapid.T, opt StoreOptions) scenarios.Store {
	st := scenarios.Store{Name: "kv", Replicas: rapid.SampledFrom([]int{3, 5}).Draw(t, "kv.replicas"), Design: opt.Design}
	if st.Design == "" {
		st.Design = rapid.SampledFrom([]string{scenarios.DesignRaft, scenarios.DesignQuorum, scenarios.DesignAsync}).Draw(t, "kv.design")
	}
	st.Settle = ms(t, 1000, 5000, "kv.settle")
	switch st.Design {
	case scenarios.DesignRaft:
		st.Raft = drawRaft(t, opt.ReadMode)
	case scenarios.DesignQuorum:
		st.Quorum = drawQuorum(t, opt.AntiEntropy)
		if ae := st.Quorum.AntiEntropy; opt.AntiEntropy {
			st.Settle = max(st.Settle, 5*ae)
		}
	case scenarios.DesignAsync:
		st.Async = dynamo.AsyncConfig{
			ReplicationDelay: ms(t, 0, 50, "kv.async.replication_delay"),
			ReadFrom:         rapid.SampledFrom([]string{"any", "primary"}).Draw(t, "kv.async.read_from"),
		}
	}
	return st
}

func drawRaft(t *rapid.T, mode string) raft.Config {
	hb := ms(t, 50, 300, "kv.raft.heartbeat_timeout")
	if mode == "" {
		mode = rapid.SampledFrom([]string{raft.ReadLog, raft.ReadLease, raft.ReadLocal}).Draw(t, "kv.raft.read_mode")
	}
	return raft.Config{
		HeartbeatTimeout:   hb,
		ElectionTimeout:    ms(t, 50, 300, "kv.raft.election_timeout"),
		LeaderLeaseTimeout: ms(t, 1, int(hb/time.Millisecond), "kv.raft.leader_lease_timeout"),
		ReadMode:           mode,
		ApplyTimeout:       ms(t, 200, 2000, "kv.raft.apply_timeout"),
	}
}

func drawQuorum(t *rapid.T, antiEntropy bool) dynamo.Config {
	c := dynamo.Config{N: 3}
	c.R = rapid.IntRange(1, 3).Draw(t, "kv.quorum.r")
	c.W = rapid.IntRange(1, 3).Draw(t, "kv.quorum.w")
	c.Sloppy = rapid.Bool().Draw(t, "kv.quorum.sloppy")
	// A sloppy write without hinted handoff stays on its stand-in, where
	// anti-entropy (which ships a replica's own data, not the hints it
	// holds) never takes it home: such a store need not converge, so the
	// repairing stores the convergence property draws hand hints off.
	c.HintedHandoff = c.Sloppy && (antiEntropy || rapid.Bool().Draw(t, "kv.quorum.hinted_handoff"))
	repair := antiEntropy || rapid.Bool().Draw(t, "kv.quorum.read_repair")
	c.ReadRepair = &repair
	if antiEntropy || rapid.Bool().Draw(t, "kv.quorum.anti_entropy?") {
		c.AntiEntropy = ms(t, 100, 1000, "kv.quorum.anti_entropy")
	}
	c.RequestTimeout = ms(t, 50, 500, "kv.quorum.request_timeout")
	return c
}

func drawStoreClient(t *rapid.T, i int, st scenarios.Store) scenarios.Client {
	name := clientName(i)
	return scenarios.Client{
		Name: name,
		Config: load.Config{
			Target:  st.Name,
			Timeout: ms(t, 100, 1000, name+".timeout"),
			Open:    &load.Schedule{Shape: "constant", RPS: float64(rapid.IntRange(5, 40).Draw(t, name+".rps"))},
		},
		Via: fmt.Sprintf("%s-%d", st.Name, rapid.IntRange(0, st.Replicas-1).Draw(t, name+".via")),
		Ops: &store.Mix{
			Read:  float64(rapid.IntRange(0, 10).Draw(t, name+".ops.read")),
			Write: float64(rapid.IntRange(1, 10).Draw(t, name+".ops.write")),
			CAS:   float64(rapid.IntRange(0, 3).Draw(t, name+".ops.cas")),
			Keys:  rapid.IntRange(3, 20).Draw(t, name+".ops.keys"),
		},
	}
}

func drawStoreFault(t *rapid.T, i int, sc *scenarios.Scenario) scenarios.Fault {
	label := fmt.Sprintf("faults[%d]", i)
	st := sc.Topology.Stores[0]
	f := scenarios.Fault{Type: scenarios.FaultPartition}
	f.At, f.For = drawWindow(t, label, sc.Duration)
	f.Mode = rapid.SampledFrom([]string{scenarios.PartitionBlackHole, scenarios.PartitionRefuse}).Draw(t, label+".mode")
	switch rapid.IntRange(0, 2).Draw(t, label+".kind") {
	case 0:
		f.Isolate = st.Name + scenarios.LeaderSuffix
	case 1:
		f.Isolate = fmt.Sprintf("%s-%d", st.Name, rapid.IntRange(0, st.Replicas-1).Draw(t, label+".isolate"))
	default:
		f.Groups = drawGroups(t, label, st, len(sc.Load))
		f.OneWay = rapid.IntRange(0, 3).Draw(t, label+".one_way") == 0
	}
	return f
}

// drawGroups splits replicas and clients into two non-empty sides.
func drawGroups(t *rapid.T, label string, st scenarios.Store, clients int) [][]string {
	var nodes []string
	for r := range st.Replicas {
		nodes = append(nodes, fmt.Sprintf("%s-%d", st.Name, r))
	}
	for c := range clients {
		nodes = append(nodes, clientName(c))
	}
	nodes = rapid.Permutation(nodes).Draw(t, label+".order")
	cut := rapid.IntRange(1, len(nodes)-1).Draw(t, label+".cut")
	return [][]string{nodes[:cut], nodes[cut:]}
}
