package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-sim/faultline/results"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestListShowsBuiltins(t *testing.T) {
	code, out, _ := runCLI("-list")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "balancer")
	assert.Contains(t, out, "Load balancing under a slow instance")
}

func TestRunWritesReportAndExitsZero(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI("-scenario", "balancer", "-seeds", "1", "-out", dir)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "least-outstanding")
	assert.Contains(t, out, "PASS")
	assert.Contains(t, out, "report: "+filepath.Join(dir, "index.html"))
	for _, f := range []string{"index.html", "summary.json", "timeseries.png", "runs.csv"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
}

func TestJSONOnStdout(t *testing.T) {
	code, out, errs := runCLI("-scenario", "balancer", "-seeds", "1", "-out", t.TempDir(), "-json")
	require.Equal(t, 0, code, errs)
	var rep results.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, "balancer", rep.Scenario)
	assert.Len(t, rep.Variants, 4)
}

func TestFailedHypothesisExitsOneAndPrintsReplay(t *testing.T) {
	src, err := os.ReadFile("../../scenarios/balancer.yaml")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "strict.yaml")
	text := strings.Replace(string(src), "p99 < 300ms before", "p99 < 1ms before", 1)
	require.NoError(t, os.WriteFile(file, []byte(text), 0o644))
	code, out, errs := runCLI("-scenario", file, "-seeds", "1", "-seed", "5", "-out", t.TempDir())
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "FAIL")
	assert.Contains(t, errs, "replay with: simulate -scenario "+file+" -seed 5 -seeds 1")
}

func TestBadInputExitsTwoWithAMessage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: x\nduration: 10\n"), 0o644))
	cases := []struct {
		args []string
		want string
	}{
		{nil, "simulate: -scenario is required (try -list for the built-in scenarios)"},
		{[]string{"-scenario", "nosuch"}, `simulate: scenario "nosuch": no built-in scenario has that name (built-in: async, autoscale, balancer`},
		{[]string{"-scenario", "balancer", "-seeds", "-1"}, "simulate: -seeds must be in [0, 1000] (0 = the scenario's), got -1"},
		{[]string{"-scenario", "balancer", "-parallel", "0"}, "simulate: -parallel must be in [1, 256], got 0"},
		{[]string{"-scenario", bad}, `simulate: bad.yaml:2: duration: must be a duration with a unit, like 250ms or 1m30s (units: ns, us, ms, s, m, h), got "10"`},
		{[]string{"-validate", bad}, `bad.yaml:2: duration: must be a duration with a unit`},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-scenario", "balancer", "extra"}, "simulate: unexpected arguments after the flags"},
		{[]string{"-scenario", "partition", "-dry-run"}, "simulate: -dry-run goes with -real"},
		{[]string{"-scenario", "partition", "-real", "-real-seeds", "0"}, "simulate: -real-seeds must be in [1, 20], got 0"},
	}
	for _, c := range cases {
		code, _, errs := runCLI(c.args...)
		assert.Equal(t, 2, code, "%v: %s", c.args, errs)
		assert.Contains(t, errs, c.want, "%v", c.args)
	}
}

// TestDryRunPrintsThePlanAndStartsNothing: -real -dry-run prints each
// variant's real plan (or why it has none) at the time scale, and writes
// no report.
func TestDryRunPrintsThePlanAndStartsNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report")
	code, stdout, errs := runCLI("-scenario", "partition", "-real", "-dry-run", "-out", out)
	require.Equal(t, 0, code, errs)
	for _, want := range []string{
		"nothing is started",
		"cp: real run at time scale 0.2, seed 1",
		"5 hashicorp/raft nodes kv-0 .. kv-4",
		"leadership moved to kv-4 before the load starts",
		"proxies: 42 in Toxiproxy",
		"toxiproxy: embedded in this process",
		"faults[0] 4s .. 10s: partition",
		"faults[1] 12s .. 14s: isolate kv.leader",
		"quorum: no real run: design quorum has no real counterpart",
		"lasts: start-up (a few seconds) + load 18s + its last requests (at most 500ms) + settle 2s",
	} {
		assert.Contains(t, stdout, want)
	}
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "a dry run writes no report")
	code, stdout, errs = runCLI("-scenario", "cascade", "-real", "-dry-run", "-time-scale", "0.1")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, stdout, "service tier3: 2 process(es)")
	assert.Contains(t, stdout, "faults[0] 6s .. 12s: latency +1s *->tier3: Toxiproxy latency toxic")
	assert.Contains(t, stdout, "2 proxy changes (tier2_tier3-0 upstream, tier2_tier3-1 upstream)")
	assert.Contains(t, stdout, "faults[1] 12s .. 18s: crash tier3: SIGKILL")
}

func TestValidateAcceptsAGoodFile(t *testing.T) {
	code, out, errs := runCLI("-validate", "../../scenarios/balancer.yaml")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "../../scenarios/balancer.yaml: ok (4 variants, 2 faults, 5 expectations)\n", out)
}

func TestHelpShowsExamples(t *testing.T) {
	code, _, errs := runCLI("-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, errs, "Examples:")
	assert.Contains(t, errs, "-scenario")
}

func TestSearchWritesAReplayableCounterexample(t *testing.T) {
	src, err := os.ReadFile("../../scenarios/balancer.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	file := filepath.Join(dir, "strict.yaml")
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(string(src), "p99 < 300ms before", "p99 < 1ms before", 1)), 0o644))
	code, out, errs := runCLI("-scenario", file, "-search", "-budget", "5", "-out", filepath.Join(dir, "search"))
	require.Equal(t, 1, code, errs)
	ce := filepath.Join(dir, "search", "counterexample.yaml")
	assert.Contains(t, out, "replay: go run ./cmd/simulate -scenario "+ce)
	code, _, _ = runCLI("-scenario", ce, "-out", t.TempDir())
	assert.Equal(t, 1, code, "the counterexample fails again when replayed")
}

// TestSearchIsTheSameAtAnyParallel: -search runs cases and shrinking
// candidates -parallel at a time, and finds the same counterexample, with
// the same counts, as one at a time.
func TestSearchIsTheSameAtAnyParallel(t *testing.T) {
	src, err := os.ReadFile("../../scenarios/balancer.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	file := filepath.Join(dir, "strict.yaml")
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(string(src), "p99 < 300ms before", "p99 < 1ms before", 1)), 0o644))
	var found []string
	for _, parallel := range []string{"1", "2"} {
		out := filepath.Join(dir, "search-"+parallel)
		code, stdout, errs := runCLI("-scenario", file, "-search", "-budget", "5", "-parallel", parallel, "-out", out)
		require.Equal(t, 1, code, errs)
		ce, err := os.ReadFile(filepath.Join(out, "counterexample.yaml"))
		require.NoError(t, err)
		summary, _, _ := strings.Cut(stdout, "\n") // seed, hypotheses, cases and shrink tries
		found = append(found, summary+"\n"+string(ce))
	}
	assert.Equal(t, found[0], found[1])
}

// TestMeantToFailExitsOne runs the fixture whose hypotheses sit on exact
// values, some meant to fail: the CLI prints PASS and FAIL for exactly
// those, counts the failures and exits 1.
func TestMeantToFailExitsOne(t *testing.T) {
	file := "../../scenarios/testdata/meant-to-fail.yaml"
	code, out, errs := runCLI("-scenario", file, "-out", t.TempDir())
	require.Equal(t, 1, code, errs)
	for _, line := range []string{
		"PASS  base                 availability >= 1  ",
		"PASS  base                 availability <= 1  ",
		"PASS  base                 errors == 0  ",
		"FAIL  base                 availability > 1  ",
		"FAIL  base                 availability < 1  ",
		"FAIL  base                 errors != 0  ",
		"FAIL  base                 errors >= 1  ",
		"FAIL  base                 availability >= 1 after                  no requests started in phase after, so it cannot be judged",
	} {
		assert.Contains(t, out, line)
	}
	assert.Equal(t, 5, strings.Count(out, "\nFAIL "), out)
	assert.Contains(t, errs, "simulate: 5 hypothesis checks failed; replay with: simulate -scenario "+file+" -seed 1 -seeds 2")
}
