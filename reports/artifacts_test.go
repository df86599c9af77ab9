package reports

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/results"
)

func content(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestArtifactWriterKeepsFilesInsideItsFolder(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "report")
	keep := ArtifactWriter(dir)
	hostile := []string{
		"/../../../../elsewhere/evil", "../evil", "..", ".hidden", "a/b\\c", "x\x00y", "",
		"traces-base@instances=2,rps=100-seed1.otlp.json",
	}
	run := results.Run{}
	for _, name := range hostile {
		run.Artifacts = append(run.Artifacts, results.Artifact{Name: name, Label: "l", Write: content(name)})
	}
	require.NoError(t, keep(&run))
	require.Len(t, run.Files, len(hostile))

	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	require.Len(t, entries, 1, "nothing is written beside the report folder")
	written, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, written, len(hostile), "one file per artifact, none overwritten")
	for i, f := range run.Files {
		assert.Equal(t, filepath.Base(f.Path), f.Path, "a bare file name")
		b, err := os.ReadFile(filepath.Join(dir, f.Path))
		require.NoError(t, err)
		assert.Equal(t, hostile[i], string(b))
	}
	assert.Equal(t, "traces-base@instances=2,rps=100-seed1.otlp.json", run.Files[len(hostile)-1].Path,
		"a safe name is kept as it is")
	assert.Equal(t, "_.._.._.._.._elsewhere_evil", run.Files[0].Path)
}

func TestArtifactWriterUniqueUnderConcurrency(t *testing.T) {
	dir := t.TempDir()
	keep := ArtifactWriter(dir)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run := results.Run{Artifacts: []results.Artifact{{Name: "same.html", Write: content("x")}}}
			assert.NoError(t, keep(&run))
		}()
	}
	wg.Wait()
	written, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, written, 8)
}

func TestArtifactWriterRemovesAFailedFile(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("boom")
	run := results.Run{Artifacts: []results.Artifact{{Name: "a.html", Write: func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	}}}}
	err := ArtifactWriter(dir)(&run)
	require.ErrorIs(t, err, boom)
	written, _ := os.ReadDir(dir)
	assert.Empty(t, written)
	assert.Empty(t, run.Files)
}

func TestKeepChecksKeepsFailuresAndTheFirstSeed(t *testing.T) {
	dir := t.TempDir()
	keep := ArtifactWriter(dir, KeepChecks(7))
	arts := func(seed uint64) []results.Artifact {
		return []results.Artifact{
			{Name: "pass-" + string(rune('0'+seed)), Check: results.CheckPassed, Write: content("p")},
			{Name: "fail-" + string(rune('0'+seed)), Check: results.CheckFailed, Write: content("f")},
			{Name: "plain-" + string(rune('0'+seed)), Write: content("x")},
		}
	}
	var names []string
	for _, seed := range []uint64{7, 8} {
		run := results.Run{Seed: seed, Artifacts: arts(seed)}
		require.NoError(t, keep(&run))
		for _, f := range run.Files {
			names = append(names, f.Path)
		}
	}
	assert.Equal(t, []string{"pass-7", "fail-7", "plain-7", "fail-8", "plain-8"}, names,
		"a passing check's view only for the first seed; failures and plain files always")
	_, err := os.Stat(filepath.Join(dir, "pass-8"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "a view left out is not written")

	all := ArtifactWriter(t.TempDir())
	run := results.Run{Seed: 8, Artifacts: arts(8)}
	require.NoError(t, all(&run))
	assert.Len(t, run.Files, 3, "without the option every artifact is kept")
}
