package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestOutFolderWithOthersFilesIsRefused(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644))
	code, _, errs := runCLI("-scenario", "balancer", "-seeds", "1", "-out", dir)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "holds files Faultline did not write (notes.txt)")
	assert.Contains(t, errs, "-force")
	assert.Equal(t, []string{"notes.txt"}, entries(t, dir))

	code, _, errs = runCLI("-scenario", "balancer", "-seeds", "1", "-out", "/")
	assert.Equal(t, exitUsage, code, errs)
}

func TestSecondRunLeavesNoStaleFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "partition")
	code, _, errs := runCLI("-scenario", "partition", "-seeds", "2", "-out", dir)
	require.Equal(t, exitOK, code, errs)
	require.FileExists(t, filepath.Join(dir, "porcupine-kv-cp-seed1.html"))
	assert.NoFileExists(t, filepath.Join(dir, "porcupine-kv-cp-seed2.html"), "a passing history's page is kept for the first seed only")
	code, _, errs = runCLI("-scenario", "partition", "-seed", "2", "-seeds", "1", "-out", dir)
	require.Equal(t, exitOK, code, errs)
	assert.NoFileExists(t, filepath.Join(dir, "porcupine-kv-cp-seed1.html"), "a file of the earlier run")
	assert.FileExists(t, filepath.Join(dir, "porcupine-kv-cp-seed2.html"))
	assert.Equal(t, []string{"partition"}, entries(t, filepath.Dir(dir)), "no temporary folder or lock left beside it")
}

func TestInterruptedRunWritesNothing(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "r")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	opt := options{scenario: "balancer", out: dir, parallel: 1, seeds: 1}
	code := simulate(ctx, opt, &out, &errb)
	assert.Equal(t, exitInterrupted, code, errb.String())
	assert.Contains(t, errb.String(), "interrupted")
	assert.Empty(t, entries(t, parent), "neither the report folder nor a temporary one")
}

func TestValidateFromStdin(t *testing.T) {
	src, err := os.ReadFile("../../scenarios/balancer.yaml")
	require.NoError(t, err)
	stdin = bytes.NewReader(src)
	defer func() { stdin = os.Stdin }()
	code, out, errs := runCLI("-validate", "-")
	assert.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "<stdin>: ok (4 variants, 2 faults,")

	stdin = strings.NewReader("name: x\nduration: 10s\nload: [{rps: nope}]\n")
	code, _, errs = runCLI("-validate", "-")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "<stdin>:")
}

func TestHugeScenarioFileIsRefusedUnread(t *testing.T) {
	file := filepath.Join(t.TempDir(), "huge.yaml")
	big := "name: huge\nexpect:\n" + strings.Repeat("  - check: availability >= 0.9 during\n", 40000)
	require.NoError(t, os.WriteFile(file, []byte(big), 0o644))
	code, _, errs := runCLI("-validate", file)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "a scenario file may hold at most 1048576 bytes")
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI("-version")
	assert.Equal(t, exitOK, code)
	assert.True(t, strings.HasPrefix(out, "faultline "), out)
}

func TestPanicIsAnInternalErrorNotBadInput(t *testing.T) {
	var errb bytes.Buffer
	code := internalError(&errb, []string{"-scenario", "x.yaml"}, "boom", []byte("stack"))
	assert.Equal(t, exitInternal, code)
	assert.NotEqual(t, exitUsage, code)
	assert.Contains(t, errb.String(), "a bug in Faultline")
	assert.Contains(t, errb.String(), "simulate -scenario x.yaml")
}
