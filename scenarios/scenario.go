package scenarios

import (
	"time"

	"faultline/models/load"
	"faultline/models/service"
	"faultline/sim"
)

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

	// source is the file as written, for the report; file names it in
	// errors.
	source string
	file   string
}

// Topology is what runs: services and the links between nodes.
type Topology struct {
	Services []service.Config `yaml:"services"`
	Links    []Link           `yaml:"links"`
}

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
	for i := range s.Topology.Services {
		s.Topology.Services[i].SetDefaults()
	}
	for i := range s.Load {
		if s.Load[i].Name == "" {
			s.Load[i].Name = DefaultClient
			if i > 0 {
				s.Load[i].Name = DefaultClient + "-" + itoa(i)
			}
		}
		s.Load[i].Config.SetDefaults()
	}
	for i := range s.Faults {
		s.Faults[i].setDefaults()
	}
}

// Source returns the scenario file as written ("" for one built in Go).
func (s *Scenario) Source() string { return s.source }

// File returns the path or name the scenario was loaded from.
func (s *Scenario) File() string { return s.file }
