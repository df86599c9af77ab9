package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/field"
)

// FaultType names a kind of fault, as a scenario writes it in `type:`.
// Each one is a constant declared in its own file, fault_<type>.go, with
// the FaultSpec that documents and validates it; engines key their fault
// tables (FaultTable) by it.
type FaultType string

func (t FaultType) String() string { return string(t) }

// Spec returns the fault type's specification, or nil if no fault type of
// that name is registered.
func (t FaultType) Spec() *FaultSpec { return faultSpecs[t] }

// Fault is one timed fault, as written in a scenario. Which of the target
// and parameter fields a fault reads depends on its type (its
// FaultSpec.Fields); setting one it does not read is an error, so a
// misplaced parameter never passes silently.
type Fault struct {
	At   time.Duration `yaml:"at"`
	For  time.Duration `yaml:"for"`
	Type FaultType     `yaml:"type"`

	// Link targets (the link faults): messages from From to To; TwoWay
	// adds the reverse.
	From   string `yaml:"from"`
	To     string `yaml:"to"`
	TwoWay bool   `yaml:"two_way"`

	// Partition parameters.
	Groups  [][]string `yaml:"groups"`
	Isolate string     `yaml:"isolate"`
	OneWay  bool       `yaml:"one_way"`
	Mode    string     `yaml:"mode"`

	// Process target (crash, pause): a service or one instance.
	Target string `yaml:"target"`

	// Parameters of the link faults; each fault type's file says which it
	// reads, in what unit and range.
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

// FaultSpec documents and validates one fault type. Each lives in its own
// file (fault_<type>.go) and registers itself there; the fault-type
// section of docs/scenarios.md is generated from the specs, and every
// engine has a row for each type in its FaultTable.
type FaultSpec struct {
	Type FaultType
	// Targets are the fields that say where it acts, documented with the
	// fields every fault has: from, to and two_way for a link fault,
	// target for a process fault.
	Targets []string
	// Params are the fields of its own, documented with it.
	Params []FaultParam
	// Sim and Real say what the fault does in each engine.
	Sim, Real string
	// defaults fills its zero fields that have a default; nil if none do.
	defaults func(f *Fault)
	// check validates the fields it reads (beyond at/for and the node
	// selectors, which the scenario checks against its topology). Its
	// errors are *field.Error with the field's name as the path.
	check func(f *Fault) error
	// label describes one fault for the report, e.g. "latency +200ms api-1".
	label func(f *Fault) string
}

// FaultParam documents one parameter of a fault type for the reference.
type FaultParam struct {
	Name    string // the yaml field
	Meaning string
	Unit    string
	Default string
	Allowed string
}

// Fields returns the yaml names of every field the fault type reads:
// its targets, then its parameters.
func (s *FaultSpec) Fields() []string {
	out := slices.Clone(s.Targets)
	for _, p := range s.Params {
		out = append(out, p.Name)
	}
	return out
}

// faultSpecs is the registry, filled by each fault type's file at init and
// never changed after.
var faultSpecs = map[FaultType]*FaultSpec{}

func register(s *FaultSpec) {
	if _, dup := faultSpecs[s.Type]; dup {
		panic("scenarios: fault type registered twice: " + s.Type)
	}
	for _, name := range s.Fields() {
		if _, ok := faultFieldIndex[name]; !ok {
			panic(fmt.Sprintf("scenarios: fault type %s reads %s, which is not a field of Fault", s.Type, name))
		}
	}
	faultSpecs[s.Type] = s
}

// FaultTypes returns every registered fault type, sorted by name.
func FaultTypes() []FaultType {
	out := make([]FaultType, 0, len(faultSpecs))
	for t := range faultSpecs {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// FaultSpecs returns the specification of every fault type, sorted by
// name.
func FaultSpecs() []*FaultSpec {
	var out []*FaultSpec
	for _, t := range FaultTypes() {
		out = append(out, faultSpecs[t])
	}
	return out
}

func faultTypeNames() string {
	var names []string
	for _, t := range FaultTypes() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

func (f *Fault) setDefaults() {
	if s := f.Type.Spec(); s != nil && s.defaults != nil {
		s.defaults(f)
	}
}

// End returns when the fault stops.
func (f *Fault) End() time.Duration { return f.At + f.For }

// Label describes the fault for reports.
func (f *Fault) Label() string {
	if s := f.Type.Spec(); s != nil {
		return s.label(f)
	}
	return string(f.Type)
}

// faultFieldIndex maps the yaml name of every target and parameter field
// of Fault (all but at, for and type) to its index, and faultFieldNames
// lists them in the struct's order.
var faultFieldIndex, faultFieldNames = faultFields()

func faultFields() (map[string]int, []string) {
	index, names := map[string]int{}, []string(nil)
	t := reflect.TypeFor[Fault]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "at" || name == "for" || name == "type" {
			continue
		}
		index[name] = i
		names = append(names, name)
	}
	return index, names
}

// setFields lists the target and parameter fields that are set (not zero;
// an empty list counts as unset), in the struct's order.
func (f *Fault) setFields() []string {
	v := reflect.ValueOf(f).Elem()
	var out []string
	for _, name := range faultFieldNames {
		fv := v.Field(faultFieldIndex[name])
		if fv.Kind() == reflect.Slice && fv.Len() == 0 || fv.IsZero() {
			continue
		}
		out = append(out, name)
	}
	return out
}

// validate checks one fault against its type; the caller places the
// errors under the fault's path (faults[2]).
func (f *Fault) validate(duration time.Duration) error {
	s := f.Type.Spec()
	if s == nil {
		return field.Errorf("type", "must be one of %s, got %q", faultTypeNames(), f.Type)
	}
	switch {
	case f.At < 0:
		return field.Errorf("at", "must be >= 0, got %v", f.At)
	case f.For <= 0:
		return field.Errorf("for", "must be > 0 (every fault has a bounded duration), got %v", f.For)
	case f.End() > duration:
		return field.Errorf("for", "fault ends at %v, after the scenario's duration %v", f.End(), duration)
	}
	reads := s.Fields()
	for _, name := range f.setFields() {
		if !slices.Contains(reads, name) {
			return field.Errorf(name, "not read by fault type %s (it reads: %s)", s.Type, strings.Join(reads, ", "))
		}
	}
	return s.check(f)
}

// mustBe is a parameter's error: the field and the rule it breaks.
func mustBe(path, format string, args ...any) error {
	return &field.Error{Path: path, Msg: "must " + fmt.Sprintf(format, args...)}
}
