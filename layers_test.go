package faultline_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/faultline-sim/faultline"

// layer says which of the project's packages a package may import. Rules
// match the first entry whose prefix names the package (longest first), so
// a new package falls under its family's rule, and one outside every family
// fails the test until its place is decided here.
type layer struct {
	pkg   string   // a package path relative to the module, or a prefix ending in "/"
	may   []string // what it may import, in the same notation
	about string
}

var layers = []layer{
	{"field", nil, "the field error is the ground floor every layer that validates imports"},
	{"sim", nil, "the kernel imports nothing of the project"},
	{"sim/stat", []string{"sim"}, "statistics over the kernel's output"},
	{"sim/station", []string{"sim", "sim/stat"}, "the queueing station that validates the kernel against the formulas"},
	{"results", []string{"field", "sim", "sim/stat"}, "the result schema is the ground floor above the kernel"},
	{"models/", []string{"field", "sim", "sim/stat", "results", "models/"}, "models import the kernel, the schema and other models"},
	{"scenarios", []string{"field", "sim", "sim/stat", "results", "models/"}, "the language imports models' settings, never an engine"},
	{"world", []string{"field", "sim", "sim/stat", "results", "models/", "scenarios"}, "the simulated engine"},
	{"search", []string{"field", "sim", "sim/stat", "results", "models/", "scenarios", "world"}, "the search runs the simulated engine"},
	{"chaos/", []string{"field", "sim", "sim/stat", "results", "models/", "scenarios", "chaos/"}, "the real engine and its systems"},
	{"chaos", []string{"field", "sim", "sim/stat", "results", "models/", "scenarios", "chaos/"}, "the real engine's timeline"},
	{"reports", []string{"sim/stat", "results", "scenarios"}, "the report reads results and the language's types, never an engine or a model"},
	{"cmd/", []string{""}, "the CLI wires everything"},
	{"tools/", nil, "development tools (the mutation runner) import nothing of the project"},
	{"", nil, "the module's root holds no code"},
}

// ruleFor returns the most specific rule for pkg (relative to the module).
func ruleFor(pkg string) (layer, bool) {
	best, found := layer{}, false
	for _, l := range layers {
		if !matches(l.pkg, pkg) {
			continue
		}
		if !found || len(l.pkg) > len(best.pkg) {
			best, found = l, true
		}
	}
	return best, found
}

// matches reports whether pattern names pkg: a pattern ending in "/" is a
// family (every package below it), any other names one package exactly;
// the empty pattern "" in a may-list allows everything.
func matches(pattern, pkg string) bool {
	if strings.HasSuffix(pattern, "/") {
		return strings.HasPrefix(pkg, pattern)
	}
	return pattern == pkg
}

func allowed(l layer, imp string) bool {
	for _, m := range l.may {
		if m == "" || matches(m, imp) {
			return true
		}
	}
	return false
}

// TestLayers fails on any import that breaks the layering written in doc.go
// and in the README's layout section. Test files are free to import across
// layers (an engine's test may load a scenario), so only the packages'
// own files are read.
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	pkgs := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := rel(fields[0])
		l, ok := ruleFor(pkg)
		if !ok {
			t.Errorf("%s: no layer rule; add one to layers_test.go and doc.go", pkg)
			continue
		}
		pkgs++
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if r := rel(imp); !allowed(l, r) {
				t.Errorf("%s imports %s: %s (may import %s)", show(pkg), show(r), l.about, strings.Join(l.may, ", "))
			}
		}
	}
	if pkgs < 20 {
		t.Fatalf("read %d packages; go list output:\n%s", pkgs, out)
	}
}

func rel(path string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
}

func show(pkg string) string {
	if pkg == "" {
		return "the root"
	}
	return pkg
}

// TestLayerRules checks the rule table itself on known cases, so that a
// mistake in matching cannot make TestLayers pass vacuously.
func TestLayerRules(t *testing.T) {
	cases := []struct {
		pkg, imp string
		ok       bool
	}{
		{"sim", "results", false},
		{"sim", "field", false},
		{"models/service", "field", true},
		{"scenarios", "field", true},
		{"reports", "field", false},
		{"sim/stat", "sim", true},
		{"results", "models/service", false},
		{"models/service", "models/resilience", true},
		{"models/store/raft", "scenarios", false},
		{"models/load", "world", false},
		{"scenarios", "world", false},
		{"scenarios", "models/store/raft", true},
		{"world", "chaos", false},
		{"chaos/chain", "world", false},
		{"chaos", "chaos/proxy", true},
		{"chaos/kv", "reports", false},
		{"search", "world", true},
		{"reports", "world", false},
		{"reports", "models/service", false},
		{"reports", "results", true},
		{"cmd/simulate", "chaos", true},
		{"tools/mutate", "sim", false},
	}
	for _, c := range cases {
		l, found := ruleFor(c.pkg)
		if !found {
			t.Errorf("%s: no rule", c.pkg)
			continue
		}
		if got := allowed(l, c.imp); got != c.ok {
			t.Errorf("%s importing %s: allowed=%v, want %v", c.pkg, c.imp, got, c.ok)
		}
	}
}
