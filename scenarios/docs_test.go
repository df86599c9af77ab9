package scenarios

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/field"
)

var update = flag.Bool("update", false, "rewrite the generated parts of docs/scenarios.md")

const docsPath = "../docs/scenarios.md"

// schemaPaths lists every field path of the scenario language, as the
// reference writes them: list elements as [].
func schemaPaths(t reflect.Type, prefix string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == distType || t == durationType || reflect.PointerTo(t).Implements(unmarshaler) {
		return
	}
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct || t.Elem().Kind() == reflect.Pointer {
			schemaPaths(t.Elem(), prefix+"[]", out)
		}
	case reflect.Struct:
		for name, ft := range yamlFields(t) {
			p := field.Join(prefix, name)
			*out = append(*out, p)
			schemaPaths(ft, p, out)
		}
	}
}

// docAliases are field prefixes of one type documented once under
// another path: an endpoint's calls are calls.
var docAliases = map[string]string{
	"topology.services[].endpoints[].calls[].": "topology.services[].calls[].",
}

// TestDocsCoverSchema fails when the scenario language has a field that
// docs/scenarios.md does not document.
func TestDocsCoverSchema(t *testing.T) {
	doc, err := os.ReadFile(docsPath)
	require.NoError(t, err)
	var paths []string
	schemaPaths(reflect.TypeOf(Scenario{}), "", &paths)
	sort.Strings(paths)
	require.Greater(t, len(paths), 40)
	for _, p := range paths {
		for alias, documented := range docAliases { // into a prefix: order does not matter
			if rest, ok := strings.CutPrefix(p, alias); ok {
				p = documented + rest
			}
		}
		assert.Contains(t, string(doc), "`"+p+"`", "docs/scenarios.md must document field %s (meaning, unit, default, allowed range)", p)
	}
	// Expectations are written as a string or {variant, check}.
	for _, p := range []string{"`expect[].variant`", "`expect[].check`"} {
		assert.Contains(t, string(doc), p)
	}
}

// TestDocsFaultTypes keeps the fault-type section of the reference equal
// to the registry, where each type's meaning is written once.
func TestDocsFaultTypes(t *testing.T) {
	doc, err := os.ReadFile(docsPath)
	require.NoError(t, err)
	const begin, end = "<!-- fault types: generated -->\n", "<!-- end of fault types -->"
	text := string(doc)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	require.True(t, i >= 0 && j > i, "docs/scenarios.md must keep the generated-section markers")
	want := faultTypesMarkdown()
	got := text[i+len(begin) : j]
	if *update {
		text = text[:i+len(begin)] + want + text[j:]
		require.NoError(t, os.WriteFile(docsPath, []byte(text), 0o644))
		return
	}
	assert.Equal(t, want, got, "docs/scenarios.md is stale: run go test ./scenarios -run TestDocs -update")
}

// TestDocsMetrics keeps the metric reference in docs/scenarios.md equal to
// the catalogue that validation uses.
func TestDocsMetrics(t *testing.T) {
	doc, err := os.ReadFile(docsPath)
	require.NoError(t, err)
	const begin, end = "<!-- metrics: generated -->\n", "<!-- end of metrics -->"
	text := string(doc)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	require.True(t, i >= 0 && j > i, "docs/scenarios.md must keep the generated-section markers")
	want := CatalogueMarkdown()
	if *update {
		text = text[:i+len(begin)] + want + text[j:]
		require.NoError(t, os.WriteFile(docsPath, []byte(text), 0o644))
		return
	}
	assert.Equal(t, want, text[i+len(begin):j], "docs/scenarios.md is stale: run go test ./scenarios -run TestDocs -update")
}

func faultTypesMarkdown() string {
	var b strings.Builder
	for _, s := range FaultSpecs() {
		fmt.Fprintf(&b, "### `%s`\n\n", s.Type)
		if fields := s.Fields(); len(fields) > 0 {
			fmt.Fprintf(&b, "Reads: `%s`.\n\n", strings.Join(fields, "`, `"))
		} else {
			b.WriteString("Reads no field but `at` and `for`.\n\n")
		}
		if len(s.Params) > 0 {
			b.WriteString("| field | meaning | unit | default | allowed |\n|---|---|---|---|---|\n")
			for _, p := range s.Params {
				row := fmt.Sprintf("| `faults[].%s` | %s | %s | %s | %s |\n", p.Name, p.Meaning, p.Unit, p.Default, p.Allowed)
				b.WriteString(strings.ReplaceAll(strings.ReplaceAll(row, "|  |", "| |"), "|  |", "| |"))
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "- **Simulator:** %s\n- **Real engine:** %s\n\n", s.Sim, s.Real)
	}
	return b.String()
}
