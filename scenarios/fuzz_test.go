package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-sim/faultline/scenarios"
)

// FuzzParse feeds the parser every built-in scenario and broken variations
// of them: it must never panic, and every error must name the file and say
// what is wrong ("file:line: path: rule").
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2]) // cut mid-file
	}
	for _, broken := range []string{
		"", "- a list", "name: x\nduration: 5", "name: x\nduration: 5s\nload: 3",
		"name: x\nduration: 5s\ntopology: {services: [{name: api, service_time: {kind: mixture}}]}\nload: {target: api, open: {rps: 1}}",
		"name: x\nduration: 5s\nfaults: [{type: partition, for: 1s}]",
		"{{{", "name: [", "\t:", "duration: !!binary x",
	} {
		f.Add([]byte(broken))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz.yaml"
		_, err := scenarios.Parse(file, data)
		if err == nil {
			return
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, file) || !strings.Contains(msg, ": ") {
			t.Fatalf("error is not located (want %q first, then \": \"): %q\ninput:\n%s", file, msg, data)
		}
	})
}
