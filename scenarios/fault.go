package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Fault is one timed fault. Which of the target and parameter fields a
// fault reads depends on its type; setting one it does not read is an
// error, so a misplaced parameter never passes silently.
type Fault struct {
	At   time.Duration `yaml:"at"`
	For  time.Duration `yaml:"for"`
	Type string        `yaml:"type"`

	// Link targets (latency, loss, bandwidth, timeout, reset_peer,
	// slow_close, slicer, limit_data): messages from From to To; TwoWay
	// adds the reverse.
	From   string `yaml:"from"`
	To     string `yaml:"to"`
	TwoWay bool   `yaml:"two_way"`

	// Partition targets.
	Groups  [][]string `yaml:"groups"`
	Isolate string     `yaml:"isolate"`
	OneWay  bool       `yaml:"one_way"`
	Mode    string     `yaml:"mode"`

	// Process targets (crash, pause): a service or one instance.
	Target string `yaml:"target"`

	// Parameters.
	Latency     time.Duration `yaml:"latency"`
	Jitter      time.Duration `yaml:"jitter"`
	Probability float64       `yaml:"probability"`
	Bandwidth   float64       `yaml:"bytes_per_s"`
	Timeout     time.Duration `yaml:"timeout"`
	Delay       time.Duration `yaml:"delay"`
	// Slicer: the average slice and its variation, in bytes.
	AverageSize   int `yaml:"average_size"`
	SizeVariation int `yaml:"size_variation"`
	// Limit_data: the bytes a connection may carry.
	Bytes int64 `yaml:"bytes"`
}

// FaultType documents and validates one kind of fault. Each lives in its
// own file (fault_<name>.go) and registers itself in faultTypes; engines
// implement what it means for them, as documented here and in
// docs/scenarios.md.
type FaultType struct {
	Name string
	// Fields are the yaml names of the target and parameter fields it reads.
	Fields []string
	// Sim and Real say what the fault does in each engine.
	Sim, Real string
	// check validates the fields it reads (beyond at/for and targets).
	check func(f *Fault) error
	// label describes one fault for the report, e.g. "latency +200ms to api-1".
	label func(f *Fault) string
}

var faultTypes = map[string]*FaultType{}

func register(t *FaultType) { faultTypes[t.Name] = t }

// FaultTypes returns every fault type, sorted by name.
func FaultTypes() []*FaultType {
	out := make([]*FaultType, 0, len(faultTypes))
	for _, t := range faultTypes {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func faultTypeNames() string {
	var names []string
	for _, t := range FaultTypes() {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

// LookupFaultType returns the fault type with that name.
func LookupFaultType(name string) (*FaultType, bool) {
	t, ok := faultTypes[name]
	return t, ok
}

func (f *Fault) setDefaults() {
	if f.Type == "partition" && f.Mode == "" {
		f.Mode = "black-hole"
	}
}

// End returns when the fault stops.
func (f *Fault) End() time.Duration { return f.At + f.For }

// Label describes the fault for reports.
func (f *Fault) Label() string {
	if t, ok := faultTypes[f.Type]; ok {
		return t.label(f)
	}
	return f.Type
}

// setFields lists the target and parameter fields that are not zero.
func (f *Fault) setFields() []string {
	var out []string
	add := func(name string, set bool) {
		if set {
			out = append(out, name)
		}
	}
	add("from", f.From != "")
	add("to", f.To != "")
	add("two_way", f.TwoWay)
	add("groups", len(f.Groups) > 0)
	add("isolate", f.Isolate != "")
	add("one_way", f.OneWay)
	add("mode", f.Mode != "")
	add("target", f.Target != "")
	add("latency", f.Latency != 0)
	add("jitter", f.Jitter != 0)
	add("probability", f.Probability != 0)
	add("bytes_per_s", f.Bandwidth != 0)
	add("timeout", f.Timeout != 0)
	add("delay", f.Delay != 0)
	add("average_size", f.AverageSize != 0)
	add("size_variation", f.SizeVariation != 0)
	add("bytes", f.Bytes != 0)
	return out
}

// validate checks one fault; path is its place in the file (faults[2]).
func (f *Fault) validate(duration time.Duration) error {
	t, ok := faultTypes[f.Type]
	if !ok {
		return fmt.Errorf("type: must be one of %s, got %q", faultTypeNames(), f.Type)
	}
	switch {
	case f.At < 0:
		return fmt.Errorf("at: must be >= 0, got %v", f.At)
	case f.For <= 0:
		return fmt.Errorf("for: must be > 0 (every fault has a bounded duration), got %v", f.For)
	case f.End() > duration:
		return fmt.Errorf("for: fault ends at %v, after the scenario's duration %v", f.End(), duration)
	}
	for _, name := range f.setFields() {
		if !contains(t.Fields, name) {
			return fmt.Errorf("%s: not read by fault type %s (it reads: %s)", name, t.Name, strings.Join(t.Fields, ", "))
		}
	}
	return t.check(f)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// linkLabel describes the links a link fault targets.
func linkLabel(f *Fault) string {
	from, to := or(f.From, "*"), or(f.To, "*")
	arrow := "->"
	if f.TwoWay {
		arrow = "<->"
	}
	return from + arrow + to
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func checkLinkTargets(f *Fault) error {
	if f.From == "" && f.To == "" {
		return fmt.Errorf("to: a link fault needs from and/or to (node selectors; * for any)")
	}
	return nil
}
