package scenarios

import (
	"strconv"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/broker"
	"github.com/faultline-sim/faultline/models/load"
	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/models/store/dynamo"
	"github.com/faultline-sim/faultline/models/store/raft"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// DefaultTraceSample is the share of service requests traced when a
// scenario does not say.
const DefaultTraceSample = 0.01

// Scenario is one experiment: an architecture, its load and faults, the
// variants to compare on the same seeds, and the hypotheses to check.
// docs/scenarios.md documents every field.
type Scenario struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Duration    time.Duration `yaml:"duration"`
	Seeds       int           `yaml:"seeds"`
	Seed        uint64        `yaml:"seed"`
	Interval    time.Duration `yaml:"interval"`
	Topology    Topology      `yaml:"topology"`
	Load        []Client      `yaml:"load"`
	Faults      []Fault       `yaml:"faults"`
	Variants    []Variant     `yaml:"variants"`
	Sweep       []SweepParam  `yaml:"sweep"`
	Expect      []Expectation `yaml:"expect"`
	Compare     []string      `yaml:"compare"`
	TraceSample *float64      `yaml:"trace_sample"`
	// Mesh puts a sidecar proxy beside every instance and client; nil has
	// no mesh.
	Mesh *service.MeshConfig `yaml:"mesh"`
	// Stop is the real engine's stop condition; nil never stops early.
	Stop *Stop `yaml:"stop"`

	// source is the file as written, for the report; file names it in
	// errors.
	source string
	file   string
}

// Topology is what runs: services, replicated stores and the links
// between nodes.
type Topology struct {
	Services []service.Config `yaml:"services"`
	Stores   []Store          `yaml:"stores"`
	Brokers  []Broker         `yaml:"brokers"`
	Links    []Link           `yaml:"links"`
}

// Broker is a Kafka-like message broker with one topic and one consumer
// group (see models/broker). Services publish to it (publish: <name>);
// its node is <name>, its producers <name>-producer-<i> and its
// consumers <name>-consumer-<i>.
type Broker struct {
	broker.Config `yaml:",inline"`
	// Downstream is a service the consumers' processing depends on: while
	// a crash fault has every instance of it down, processing stops (or
	// fails, with consumer.outage fail). "" depends on nothing.
	Downstream string `yaml:"downstream"`
	// Autoscale scales the consumer group on its lag; nil keeps the
	// consumers fixed.
	Autoscale *ConsumerAutoscale `yaml:"autoscale"`
}

// ConsumerAutoscale is a lag-based autoscaler of a consumer group, as
// KEDA's Kafka scaler drives a Deployment through the HPA: every Period
// the desired consumers are ceil(total lag / LagThreshold), within
// [MinConsumers, MaxConsumers] and never more than the partitions (idle
// consumers are useless); a scale-down goes only to the highest
// recommendation of the last ScaleDownWindow (the HPA's stabilisation).
type ConsumerAutoscale struct {
	// LagThreshold is the lag one consumer is expected to handle
	// (KEDA's lagThreshold). Default 10; must be > 0.
	LagThreshold float64 `yaml:"lag_threshold"`
	// MinConsumers; default 1, must be >= 1.
	MinConsumers int `yaml:"min_consumers"`
	// MaxConsumers; default the partitions, must be >= min_consumers.
	MaxConsumers int `yaml:"max_consumers"`
	// Period between decisions (KEDA's pollingInterval). Default 30s;
	// must be > 0.
	Period time.Duration `yaml:"period"`
	// ScaleDownWindow is the HPA's scale-down stabilisation. Default
	// 300s; must be >= 0.
	ScaleDownWindow time.Duration `yaml:"scale_down_window"`
}

// Store is a replicated key-value store of one design. Its replicas are
// nodes <name>-0, <name>-1, ...; only the settings of its design are read.
type Store struct {
	Name     string             `yaml:"name"`
	Replicas int                `yaml:"replicas"`
	Design   string             `yaml:"design"`
	Raft     raft.Config        `yaml:"raft"`
	Quorum   dynamo.Config      `yaml:"quorum"`
	Async    dynamo.AsyncConfig `yaml:"async"`
	// Settle is how long the run goes on after the load stops, with no
	// faults, so replicas can converge before the final checks.
	Settle time.Duration `yaml:"settle"`
	// FirstLeader is, for a Raft store, the replica (e.g. kv-3) that
	// leads when the run starts; "" draws it from the seed. The real
	// engine transfers leadership to it before its load starts. Other
	// designs ignore it, as they do the raft settings.
	FirstLeader string `yaml:"first_leader"`
}

// FirstLeaderIndex returns the replica index FirstLeader names, or -1
// for none.
func (st *Store) FirstLeaderIndex() int {
	if st.FirstLeader == "" {
		return -1
	}
	i, err := strconv.Atoi(strings.TrimPrefix(st.FirstLeader, st.Name+"-"))
	if err != nil || !strings.HasPrefix(st.FirstLeader, st.Name+"-") || i < 0 || i >= st.Replicas {
		return -1
	}
	return i
}

// Store designs.
const (
	DesignRaft   = "raft"
	DesignQuorum = "quorum"
	DesignAsync  = "async"
)

// Link configures the network between two sets of nodes. From and To are
// node selectors: a service name (all its instances), an instance
// (api-2), a load generator's name (client), or * for every node.
type Link struct {
	From      string        `yaml:"from"`
	To        string        `yaml:"to"`
	Latency   sim.DistSpec  `yaml:"latency"`
	Jitter    time.Duration `yaml:"jitter"`
	Loss      float64       `yaml:"loss"`
	Bandwidth float64       `yaml:"bytes_per_s"`
	OneWay    bool          `yaml:"one_way"`
}

// Client is one load generator: a client node with a name that calls a
// service.
type Client struct {
	Name        string `yaml:"name"`
	load.Config `yaml:",inline"`
	// Via is, for a client of a store, the replica it sends every
	// operation to (e.g. kv-3); default: replica i mod replicas for the
	// i-th store client.
	Via string `yaml:"via"`
	// Ops is, for a client of a store, the operation mix and keys.
	Ops *store.Mix `yaml:"ops"`
}

// Variant is a named set of overrides applied to the scenario before it
// runs; every variant runs on the same seeds and the same load.
type Variant struct {
	Name        string    `yaml:"name"`
	Description string    `yaml:"description"`
	Set         Overrides `yaml:"set"`
}

// SweepParam is one swept parameter: a path (as in a variant's set) and the
// values it takes. Two params make a grid.
type SweepParam struct {
	Param  string   `yaml:"param"`
	Values []string `yaml:"values"`
}

// Defaults that apply when a field is zero.
const (
	DefaultSeeds    = 3
	DefaultInterval = time.Second
	DefaultClient   = "client"
)

// SetDefaults fills every zero field that has a default.
func (s *Scenario) SetDefaults() {
	if s.Seeds == 0 {
		s.Seeds = DefaultSeeds
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	}
	if s.Mesh != nil {
		s.Mesh.SetDefaults()
	}
	if s.Stop != nil {
		s.Stop.setDefaults()
	}
	if s.TraceSample == nil {
		v := DefaultTraceSample
		s.TraceSample = &v
	}
	for i := range s.Topology.Services {
		s.Topology.Services[i].SetDefaults()
	}
	for i := range s.Topology.Stores {
		s.Topology.Stores[i].setDefaults()
	}
	for i := range s.Topology.Brokers {
		b := &s.Topology.Brokers[i]
		b.Config.SetDefaults()
		if a := b.Autoscale; a != nil {
			if a.LagThreshold == 0 {
				a.LagThreshold = 10
			}
			if a.MinConsumers == 0 {
				a.MinConsumers = 1
			}
			if a.MaxConsumers == 0 {
				a.MaxConsumers = b.Partitions
			}
			if a.Period == 0 {
				a.Period = 30 * time.Second
			}
			if a.ScaleDownWindow == 0 {
				a.ScaleDownWindow = 300 * time.Second
			}
		}
	}
	for i := range s.Load {
		if s.Load[i].Name == "" {
			s.Load[i].Name = DefaultClient
			if i > 0 {
				s.Load[i].Name = DefaultClient + "-" + strconv.Itoa(i)
			}
		}
		s.Load[i].Config.SetDefaults()
		if s.Load[i].Ops != nil {
			s.Load[i].Ops.SetDefaults()
		}
	}
	for i := range s.Faults {
		s.Faults[i].setDefaults()
	}
}

// Source returns the scenario file as written ("" for one built in Go).
func (s *Scenario) Source() string { return s.source }

// File returns the path or name the scenario was loaded from.
func (s *Scenario) File() string { return s.file }

// PhaseWindows returns the run's phases (results.PhasesOf): the load lasts
// the whole duration, and During spans the faults, window markers
// included, from the first start to the last end.
func (s *Scenario) PhaseWindows() results.PhaseWindows {
	faults := make([]results.Window, len(s.Faults))
	for i := range s.Faults {
		faults[i] = results.Window{Start: s.Faults[i].At, End: s.Faults[i].End()}
	}
	return results.PhasesOf(s.Duration, faults)
}
