package scenarios

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/sim"

	"go.yaml.in/yaml/v3"
)

//go:embed *.yaml
var builtin embed.FS

// Info names a built-in scenario.
type Info struct {
	Name        string
	Description string
}

// Builtin lists the built-in scenarios, sorted by name.
func Builtin() []Info {
	entries, _ := builtin.ReadDir(".")
	var out []Info
	for _, e := range entries {
		data, _ := builtin.ReadFile(e.Name())
		sc, err := Parse(e.Name(), data)
		if err != nil {
			out = append(out, Info{Name: strings.TrimSuffix(e.Name(), ".yaml"), Description: "(invalid: " + err.Error() + ")"})
			continue
		}
		out = append(out, Info{Name: sc.Name, Description: firstLine(sc.Description)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ".\n"); i >= 0 {
		return s[:i+1]
	}
	return s
}

// Load returns the built-in scenario with that name, or else the scenario
// in the file at that path.
func Load(nameOrPath string) (*Scenario, error) {
	if data, err := builtin.ReadFile(nameOrPath + ".yaml"); err == nil && !strings.ContainsAny(nameOrPath, "/\\") {
		return Parse(nameOrPath+".yaml", data)
	}
	data, err := readFile(nameOrPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			var names []string
			for _, b := range Builtin() {
				names = append(names, b.Name)
			}
			return nil, fmt.Errorf("scenario %q: no built-in scenario has that name (built-in: %s) and no file exists at that path", nameOrPath, strings.Join(names, ", "))
		}
		return nil, err
	}
	return Parse(filepath.Base(nameOrPath), data)
}

// MaxFileSize bounds a scenario file: the largest built-in is a few
// kilobytes, and a file of many megabytes is a mistake that would
// otherwise cost minutes and gigabytes before it failed.
const MaxFileSize = 1 << 20

// readFile reads at most one byte more than MaxFileSize, so that a huge
// file is refused without being read whole.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

// Parse decodes, defaults and validates a scenario file. Errors name the
// file, the line and the field path: "partition.yaml:14: faults[1].for:
// must be > 0, got 0s".
func Parse(file string, data []byte) (*Scenario, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes; a scenario file may hold at most %d bytes (1 MiB)", file, len(data), MaxFileSize)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty scenario file", file)
		}
		return nil, fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: a scenario must be a mapping (name: ..., duration: ..., ...)", file, doc.Line)
	}
	root := doc.Content[0]
	sc, err := decode(file, root, true)
	if err != nil {
		return nil, err
	}
	sc.source = string(data)
	return sc, nil
}

// decode turns a (possibly patched) document into a validated scenario.
// For a file as written (top), the hypotheses are also checked against
// the metrics its variants and sweep points can have.
func decode(file string, root *yaml.Node, top bool) (*Scenario, error) {
	w := &walker{file: file, lines: map[string]int{}}
	if err := w.walk(root, reflect.TypeOf(Scenario{}), ""); err != nil {
		return nil, err
	}
	if _, ok := w.lines["duration"]; !ok && top {
		return nil, fmt.Errorf("%s: %w", file, field.Errorf("duration", "required (how long the scenario runs, e.g. duration: 5m)"))
	}
	var sc Scenario
	if err := root.Decode(&sc); err != nil {
		// The walk has checked every field's type, so this is not the
		// user's mistake that a field can be named for.
		return nil, fmt.Errorf("%s: %w", w.file, err)
	}
	sc.file = file
	sc.SetDefaults()
	if err := sc.Validate(); err != nil {
		return nil, w.locate(err)
	}
	if top {
		if err := sc.checkHypotheses(); err != nil {
			return nil, w.locate(err)
		}
	}
	return &sc, nil
}

// walker checks a document against the Go types before decoding: unknown
// fields and integers where a duration is expected are errors with a line,
// time distributions may be written with units ("20ms") or as a bare
// duration (shorthand for a constant), and every field's line is indexed
// by its path so later validation errors can point at the line.
type walker struct {
	file  string
	lines map[string]int
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	distType     = reflect.TypeOf(sim.DistSpec{})
	unmarshaler  = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

// errorf returns the error of the field at path, written at n: a
// *field.Error behind the file and line, "file:line: path: message".
func (w *walker) errorf(n *yaml.Node, path, format string, args ...any) error {
	return fmt.Errorf("%s: %w", w.at(n.Line), field.Errorf(path, format, args...))
}

// at is "file:line", or "file" when the line is unknown (nodes built in Go).
func (w *walker) at(line int) string {
	if line <= 0 {
		return w.file
	}
	return w.file + ":" + strconv.Itoa(line)
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) error {
	w.lines[path] = n.Line
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		// A mapping for a struct is checked field by field first, so that an
		// unknown key is named with its own line.
		if t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode && len(yamlFields(t)) > 0 {
			if err := w.structure(n, t, path); err != nil {
				return err
			}
		}
		// Decode it here too, so that its error names the field; its
		// errors say what is wrong with the value, not where it is.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			return w.errorf(n, path, "%v", err)
		}
		return nil
	}
	switch {
	case t == durationType:
		return w.duration(n, path)
	case t == distType:
		return w.dist(n, path)
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if err := w.integer(n, path); err != nil {
			return err
		}
		return w.scalar(n, t, path)
	case reflect.Float32, reflect.Float64:
		if err := w.scalar(n, t, path); err != nil {
			return err
		}
		return w.float(n, path)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Bool, reflect.String:
		return w.scalar(n, t, path)
	case reflect.Struct:
		return w.structure(n, t, path)
	case reflect.Slice:
		if t.Elem() == reflect.TypeOf(Client{}) && n.Kind == yaml.MappingNode {
			wrapInSequence(n) // load: may be one generator or a list
		}
		if n.Kind != yaml.SequenceNode {
			if n.Tag == "!!null" {
				return nil
			}
			if t.Elem() == reflect.TypeOf(Client{}) {
				return w.errorf(n, path, "must be a load generator (a mapping) or a list of them, got %s", describe(n))
			}
			return w.errorf(n, path, "must be a list, got %s", describe(n))
		}
		for i, el := range n.Content {
			if err := w.walk(el, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Every count in a scenario is a whole number of at most MaxCount (seeds,
// unsigned, may take any 64-bit value), and
// every other number is finite and of magnitude at most MaxNumber: a
// field's own range (docs/scenarios.md) may be narrower. These bounds keep
// a typo such as instances: 1e9 from hanging or exhausting the machine
// before the field's own check can speak.
const (
	MaxCount  = 1_000_000
	MaxNumber = 1e12
)

// atLeastOne are the count fields whose zero value means "not given" (the
// default, 1, applies): written out as 0 they are an error, not a 1.
var atLeastOne = map[string]bool{"instances": true, "workers": true}

// integer checks a whole-number field: "2.5" or "1e18" for a count is an
// error, never silently truncated or wrapped.
func (w *walker) integer(n *yaml.Node, path string) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return nil // the decoder names what is wrong with a non-scalar
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil {
		return nil // not a number: the decoder's type error says so
	}
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0) || v != math.Trunc(v):
		return w.errorf(n, path, "must be a whole number, got %s", n.Value)
	case math.Abs(v) > MaxCount:
		return w.errorf(n, path, "must be at most %d, got %s", MaxCount, n.Value)
	case v == 0 && atLeastOne[path[strings.LastIndexByte(path, '.')+1:]]:
		return w.errorf(n, path, "must be >= 1, got 0 (leave it out for the default, 1)")
	}
	if _, err := strconv.ParseInt(n.Value, 0, 64); err != nil {
		n.Value = strconv.FormatInt(int64(v), 10) // 1e3 written for 1000
		n.Tag = "!!int"
	}
	return nil
}

// scalarKinds says what a field of each kind must be written as.
var scalarKinds = map[reflect.Kind]string{
	reflect.Bool: "true or false", reflect.String: "a string",
	reflect.Int: "a whole number", reflect.Int8: "a whole number", reflect.Int16: "a whole number",
	reflect.Int32: "a whole number", reflect.Int64: "a whole number",
	reflect.Uint: "a whole number >= 0", reflect.Uint8: "a whole number >= 0", reflect.Uint16: "a whole number >= 0",
	reflect.Uint32: "a whole number >= 0", reflect.Uint64: "a whole number >= 0",
	reflect.Float32: "a number", reflect.Float64: "a number",
}

// scalar checks that a single-valued field holds a value of its Go type
// (t's kind is in scalarKinds), so that decoding the document cannot fail
// on it later with a message that does not name the field.
func (w *walker) scalar(n *yaml.Node, t reflect.Type, path string) error {
	if n.Tag == "!!null" {
		return nil
	}
	want := scalarKinds[t.Kind()]
	if n.Kind != yaml.ScalarNode {
		return w.errorf(n, path, "must be %s, got %s", want, describe(n))
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		return w.errorf(n, path, "must be %s, got %q", want, n.Value)
	}
	return nil
}

// float checks a number field: finite, and not absurdly large.
func (w *walker) float(n *yaml.Node, path string) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return nil
	}
	var v float64
	if err := n.Decode(&v); err != nil {
		return nil // the decoder's type error says what is wrong
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > MaxNumber {
		return w.errorf(n, path, "must be a finite number of magnitude at most %g, got %s", MaxNumber, n.Value)
	}
	return nil
}

func wrapInSequence(n *yaml.Node) {
	inner := *n
	*n = yaml.Node{Kind: yaml.SequenceNode, Line: inner.Line, Column: inner.Column, Content: []*yaml.Node{&inner}}
}

func (w *walker) structure(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			return nil
		}
		return w.errorf(n, path, "must be a mapping, got %s", describe(n))
	}
	fields := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		ft, ok := fields[key.Value]
		if !ok {
			return w.errorf(key, field.Join(path, key.Value), "unknown field (known: %s)", strings.Join(sortedKeys(fields), ", "))
		}
		if err := w.walk(val, ft, field.Join(path, key.Value)); err != nil {
			return err
		}
	}
	return nil
}

// yamlFields maps the yaml names of t's fields (inline structs flattened)
// to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return fmt.Sprintf("%q", n.Value)
}

func (w *walker) duration(n *yaml.Node, path string) error {
	if n.Kind != yaml.ScalarNode {
		return w.errorf(n, path, "must be a duration like 250ms or 1m30s, got %s", describe(n))
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		return w.errorf(n, path, "must be a duration with a unit, like 250ms or 1m30s (units: ns, us, ms, s, m, h), got %q", n.Value)
	}
	if d > MaxDuration || d < -MaxDuration {
		return w.errorf(n, path, "must be at most %s (a year), got %s", MaxDuration, n.Value)
	}
	n.Tag = "!!str"
	return nil
}

// timeFields are the DistSpec fields that hold times, in seconds: they also
// accept durations with units.
var timeFields = map[string]bool{"value": true, "min": true, "max": true, "mean": true, "stddev": true, "scale": true, "samples": true, "edges": true}

// dist normalises a time distribution: "20ms" becomes {kind: constant,
// value: 0.02}, and durations inside a spec become seconds.
func (w *walker) dist(n *yaml.Node, path string) error {
	if n.Kind == yaml.ScalarNode {
		// A fixed time is a duration with a unit: a bare number here is
		// an error (500 ms or 500 s?), as for every other duration. Plain
		// seconds are accepted only inside {kind: ...}, where the docs
		// say so.
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil && v != 0 {
			return w.errorf(n, path, "a fixed time needs a unit, like %sms or %ss (or a distribution {kind: exponential, mean: 20ms}), got the bare number %s", n.Value, n.Value, n.Value)
		}
		secs, err := seconds(n.Value)
		if err != nil {
			return w.errorf(n, path, "must be a distribution ({kind: exponential, mean: 20ms}) or a fixed duration like 20ms, got %q", n.Value)
		}
		if err := w.timeBound(n, path, secs); err != nil {
			return err
		}
		line, col := n.Line, n.Column
		*n = yaml.Node{Kind: yaml.MappingNode, Line: line, Column: col, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "kind", Line: line}, {Kind: yaml.ScalarNode, Value: "constant", Line: line},
			{Kind: yaml.ScalarNode, Value: "value", Line: line}, {Kind: yaml.ScalarNode, Tag: "!!float", Value: secs, Line: line},
		}}
		return nil
	}
	// Times become seconds first, so that the walk of the spec's fields
	// (which also normalises the components in of) sees numbers.
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		if key, val := n.Content[i].Value, n.Content[i+1]; timeFields[key] {
			if err := w.timeValues(val, field.Join(path, key)); err != nil {
				return err
			}
		}
	}
	if err := w.structure(n, distType, path); err != nil {
		return err
	}
	return nil
}

func (w *walker) timeValues(n *yaml.Node, path string) error {
	if n.Kind == yaml.SequenceNode {
		for i, el := range n.Content {
			if err := w.timeValues(el, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return nil
	}
	secs, err := seconds(n.Value)
	if err != nil {
		return w.errorf(n, path, "must be a time: seconds (0.02) or a duration (20ms), got %q", n.Value)
	}
	if err := w.timeBound(n, path, secs); err != nil {
		return err
	}
	n.Value, n.Tag = secs, "!!float"
	return nil
}

// MaxDuration bounds every duration field: a year of simulated time.
const MaxDuration = 365 * 24 * time.Hour

// MaxTime bounds every time a distribution can be given (a service time,
// a latency, a spread): beyond 30 days it is a typo, and the simulator's
// clock (int64 nanoseconds) would overflow long before a draw of 1e300 s.
const MaxTime = 30 * 24 * time.Hour

func (w *walker) timeBound(n *yaml.Node, path, secs string) error {
	v, _ := strconv.ParseFloat(secs, 64)
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > MaxTime.Seconds() {
		return w.errorf(n, path, "must be a time of at most 30 days (720h, %g s), got %s", MaxTime.Seconds(), n.Value)
	}
	return nil
}

// seconds reads a time given as a duration with a unit or as plain seconds.
func seconds(s string) (string, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return strconv.FormatFloat(d.Seconds(), 'g', -1, 64), nil
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return "", err
	}
	return s, nil
}

// locate prefixes a validation error with the file and the line of its
// field path (or of the nearest parent the file has).
func (w *walker) locate(err error) error {
	var fe *field.Error
	if !errors.As(err, &fe) {
		return fmt.Errorf("%s: %w", w.file, err)
	}
	for p := fe.Path; p != ""; p = field.Parent(p) {
		if line, ok := w.lines[p]; ok && line > 0 {
			return fmt.Errorf("%s: %w", w.at(line), err)
		}
	}
	return fmt.Errorf("%s: %w", w.file, err)
}
