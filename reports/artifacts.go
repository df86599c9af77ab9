package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/faultline-sim/faultline/results"
)

// ArtifactWriter returns the one writer of runs' artifacts: for each
// artifact of a run it writes a file in dir (created if needed) and lists
// it in the run's Files, so that the report links it. Engines never write
// files themselves; pass the writer as scenarios.Options.Keep.
//
// An artifact's name is made safe before it becomes a file name: anything
// but letters, digits and ._@=,+- becomes '_', a leading dot is dropped,
// and a name already written gets a numeric suffix. No value of a scenario
// file (a variant's or sweep point's name) can therefore reach outside dir
// or overwrite another run's file. The writer is safe for concurrent use.
//
// Options choose which artifacts are kept; without any, all are.
func ArtifactWriter(dir string, opts ...ArtifactOption) func(run *results.Run) error {
	var keep artifactFilter
	for _, o := range opts {
		o(&keep)
	}
	var mu sync.Mutex
	used := map[string]bool{}
	claim := func(name string) string {
		mu.Lock()
		defer mu.Unlock()
		base, n := SafeFileName(name), 1
		name = base
		for used[name] {
			n++
			name = fmt.Sprintf("%s-%d", base, n)
		}
		used[name] = true
		return name
	}
	return func(run *results.Run) error {
		if len(run.Artifacts) == 0 {
			return nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for _, a := range run.Artifacts {
			if !keep.keeps(run, a) {
				continue
			}
			name := claim(a.Name)
			if err := writeArtifact(filepath.Join(dir, name), a); err != nil {
				return fmt.Errorf("writing %s: %w", name, err)
			}
			run.Files = append(run.Files, results.File{Label: a.Label, Path: name})
		}
		return nil
	}
}

// ArtifactOption chooses which artifacts an ArtifactWriter keeps.
type ArtifactOption func(*artifactFilter)

type artifactFilter struct {
	checks    bool
	firstSeed uint64
}

// KeepChecks keeps the view of a check (an artifact with a Check, such as
// porcupine's page of a history: megabytes each) only where it matters:
// when the check failed, and for the first seed of each variant, so that
// every design has one history to look at. Other artifacts are kept.
func KeepChecks(firstSeed uint64) ArtifactOption {
	return func(f *artifactFilter) { f.checks, f.firstSeed = true, firstSeed }
}

func (f artifactFilter) keeps(run *results.Run, a results.Artifact) bool {
	if !f.checks || a.Check == "" {
		return true
	}
	return a.Check == results.CheckFailed || run.Seed == f.firstSeed
}

func writeArtifact(path string, a results.Artifact) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	werr := a.Write(f)
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		os.Remove(path) // no half-written file is left behind
	}
	return werr
}

// SafeFileName keeps a file name within its folder: one path element of
// letters, digits and ._@=,+- only, not starting with a dot, at most 200
// bytes.
func SafeFileName(name string) string {
	b := []byte(name)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("._@=,+-", c) >= 0:
		default:
			b[i] = '_'
		}
	}
	s := strings.TrimLeft(string(b), ".")
	if len(s) > 200 {
		s = s[:200]
	}
	if s == "" {
		s = "artifact"
	}
	return s
}
