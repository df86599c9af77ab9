package search

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/world"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	"pgregory.net/rapid"
)

// long reports whether the long mode is on (FAULTLINE_SEARCH_LONG=1): ten
// times the cases per property and a larger search budget.
func long() bool { return os.Getenv("FAULTLINE_SEARCH_LONG") == "1" }

func TestMain(m *testing.M) {
	flag.Parse()
	if long() {
		if f := flag.Lookup("rapid.checks"); f != nil && f.Value.String() == "100" {
			_ = flag.Set("rapid.checks", "1000")
		}
	}
	os.Exit(m.Run())
}

// anyWorld draws a service world or a store world.
var anyWorld = rapid.OneOf(ServiceWorld(ServiceOptions{}), StoreWorld(StoreOptions{}))

// drawSeed draws the run's seed (never 0, which means "the scenario's").
func drawSeed(t *rapid.T) uint64 { return rapid.Uint64Range(1, 1<<40).Draw(t, "seed") }

// run runs sc on seed or fails the property with the replay recipe.
func run(t *rapid.T, sc *scenarios.Scenario, seed uint64) results.Run {
	r, err := Run(context.Background(), sc, seed)
	if err != nil {
		failf(t, sc, seed, "run: %v", err)
	}
	return r
}

// failf fails the property with the seed, the scenario as YAML, and the
// command that replays it: the scenario is also written to a file.
func failf(t interface{ Fatalf(string, ...any) }, sc *scenarios.Scenario, seed uint64, format string, args ...any) {
	sc.Seed, sc.Seeds = seed, 1
	b, err := yaml.Marshal(sc)
	if err != nil {
		t.Fatalf("%s (and the scenario does not encode: %v)", fmt.Sprintf(format, args...), err)
	}
	path := "counterexample.yaml"
	if f, err := os.CreateTemp("", "faultline-search-*.yaml"); err == nil {
		_, _ = f.Write(b)
		_ = f.Close()
		path = f.Name()
	}
	t.Fatalf("%s\n===== SEED %d =====\n%s===== replay: %s (the scenario above is in that file)",
		fmt.Sprintf(format, args...), seed, b, ReplayCommand(path))
}

func TestGeneratorsDrawValidScenarios(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := anyWorld.Draw(t, "scenario")
		require.NoError(t, sc.Validate())
		a, err := yaml.Marshal(sc)
		require.NoError(t, err)
		b, err := yaml.Marshal(clone(sc)) // through the parser, as a counterexample file goes
		require.NoError(t, err)
		require.Equal(t, string(a), string(b))
	})
}

// A case run twice on a seed gives the same trace; another seed gives
// another trace once the run has enough events to draw on randomness.
func TestDeterminism(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc, seed := anyWorld.Draw(t, "scenario"), drawSeed(t)
		a, b := run(t, sc, seed), run(t, sc, seed)
		if a.TraceHash != b.TraceHash || a.Events != b.Events {
			failf(t, sc, seed, "determinism: two runs on one seed differ: trace %s (%d events) then %s (%d events)", a.TraceHash, a.Events, b.TraceHash, b.Events)
		}
		if c := run(t, sc, seed+1); a.Events > 100 && c.TraceHash == a.TraceHash {
			failf(t, sc, seed, "determinism: seeds %d and %d give the same trace %s over %d events", seed, seed+1, a.TraceHash, a.Events)
		}
	})
}

// Every request ends exactly once, with one outcome, in one phase.
func TestConservation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc, seed := anyWorld.Draw(t, "scenario"), drawSeed(t)
		r := run(t, sc, seed)
		var parts int64
		for _, p := range r.Phases {
			if ends := p.OK + p.Errors + p.Timeouts + p.Rejected + p.Shed; p.Requests != ends {
				failf(t, sc, seed, "conservation: phase %s: %d requests but %d outcomes (ok %d, errors %d, timeouts %d, rejected %d, shed %d)",
					p.Phase, p.Requests, ends, p.OK, p.Errors, p.Timeouts, p.Rejected, p.Shed)
			}
			if p.Phase != results.All {
				parts += p.Requests
			}
		}
		if all, _ := r.Phase(results.All); all.Requests != parts {
			failf(t, sc, seed, "conservation: before+during+after = %d requests, all = %d", parts, all.Requests)
		}
	})
}

// With constant link latencies L and no jitter, no request can end before
// min(2L, its client's timeout): the request and its answer (or a refusal,
// which takes one round trip) each cross the link; a lost one ends at the
// deadline. Latency faults only add; the link faults drawn here have no
// timeout of their own. The bound is checked on the fastest request (the
// CDF's q=0) with the histogram's 0.1% resolution.
func TestLatencyAtLeastTheNetworkRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc, seed := ServiceWorld(ServiceOptions{Constant: true}).Draw(t, "scenario"), drawSeed(t)
		bound := math.Inf(1)
		for i, l := range sc.Load {
			link := sc.Topology.Links[i]
			bound = min(bound, 2*link.Latency.Value*1000, float64(l.Timeout.Milliseconds()))
		}
		r := run(t, sc, seed)
		all, _ := r.Phase(results.All)
		if all.Requests == 0 || len(r.CDF) == 0 {
			return
		}
		if fastest := r.CDF[0].Ms; fastest < bound*0.999 || all.Latency.P50 < bound*0.999 {
			failf(t, sc, seed, "latency: the fastest request took %.4g ms (p50 %.4g ms), below the network minimum %.4g ms", fastest, all.Latency.P50, bound)
		}
	})
}

// Raft with reads through the log stays linearizable and loses no
// acknowledged write whatever the partitions. A history porcupine gives up
// on (linearizable == -1) is counted, not failed.
func TestCPStoresStayLinearizable(t *testing.T) {
	var cases, gaveUp atomic.Int64
	rapid.Check(t, func(t *rapid.T) {
		sc := StoreWorld(StoreOptions{Design: scenarios.DesignRaft, ReadMode: "log"}).Draw(t, "scenario")
		seed := drawSeed(t)
		r := run(t, sc, seed)
		cases.Add(1)
		switch lin := r.Metrics["linearizable"]; {
		case lin < 0:
			gaveUp.Add(1)
		case lin == 0:
			failf(t, sc, seed, "CP: raft with read_mode log is not linearizable (%g keys)", r.Metrics["nonlinearizable_keys"])
		}
		if lost := r.Metrics["lost_writes"]; lost != 0 {
			failf(t, sc, seed, "CP: raft lost %g acknowledged writes", lost)
		}
	})
	t.Logf("%d cases, porcupine gave up on %d", cases.Load(), gaveUp.Load())
}

// AP stores that repair themselves (quorum with read repair and
// anti-entropy, or async followers) agree on every key once the settle
// time, at least 5 anti-entropy intervals, has passed.
func TestAPStoresConverge(t *testing.T) {
	ap := rapid.OneOf(
		StoreWorld(StoreOptions{Design: scenarios.DesignQuorum, AntiEntropy: true}),
		StoreWorld(StoreOptions{Design: scenarios.DesignAsync}),
	)
	rapid.Check(t, func(t *rapid.T) {
		sc, seed := ap.Draw(t, "scenario"), drawSeed(t)
		r := run(t, sc, seed)
		if d := r.Metrics["divergence_at_end"]; d != 0 {
			failf(t, sc, seed, "AP: %g keys still diverge after a settle time of %v (design %s)", d, sc.Topology.Stores[0].Settle, sc.Topology.Stores[0].Design)
		}
	})
}

// linearizable is the hypothesis the planted-bug searches violate; -1 (the
// checker gave up) is not a violation.
const linearizable = "linearizable != 0"

// searchBudget is how many cases the planted bug may take to be found.
func searchBudget() int {
	if long() {
		return 2000
	}
	return 200
}

// The weak Raft read mode (local: a deposed leader answers reads from its
// own state) is not linearizable; the search must find that within the
// budget and shrink it to a small case.
func TestFindsLocalReadsNotLinearizable(t *testing.T) {
	gen := rapid.Map(StoreWorld(StoreOptions{Design: scenarios.DesignRaft, ReadMode: "local"}), func(sc *scenarios.Scenario) *scenarios.Scenario {
		sc.Expect = []scenarios.Expectation{{Check: linearizable}}
		return sc
	})
	const seed = 1
	ce, err := Find(context.Background(), gen, searchBudget(), seed, 2)
	require.NoError(t, err)
	require.NotNil(t, ce, "no violation of %q in %d cases from seed %d with read_mode local: the search lost its power", linearizable, searchBudget(), seed)
	t.Logf("found: %v", ce)
	assert.LessOrEqual(t, len(ce.Scenario.Faults), 3, "the shrunk case should be small")
	assert.LessOrEqual(t, len(ce.Scenario.Load), 3)
	assertReplays(t, ce)
}

// localReads is a store whose replica kv-0 and its client are cut off
// from the rest: whenever kv-0 leads when the cut starts, its local reads
// go stale.
const localReads = `
name: local-reads
duration: 8s
seeds: 1
topology:
  stores:
    - name: kv
      replicas: 3
      settle: 1s
      raft: {heartbeat_timeout: 100ms, election_timeout: 100ms, leader_lease_timeout: 50ms, read_mode: local}
  links:
    - {from: kv, to: kv, latency: 1ms}
    - {from: client, to: kv, latency: 1ms}
    - {from: client-1, to: kv, latency: 1ms}
load:
  - {name: client, target: kv, via: kv-0, timeout: 500ms, open: {rps: 40}, ops: {read: 1, write: 1, keys: 5}}
  - {name: client-1, target: kv, via: kv-1, timeout: 500ms, open: {rps: 40}, ops: {read: 1, write: 1, keys: 5}}
faults:
  - {at: 2s, for: 3s, type: partition, groups: [[kv-0, client], [kv-1, kv-2, client-1]]}
expect:
  - linearizable != 0
`

// Search moves a scenario's faults and seeds until its own hypothesis
// fails, and the counterexample file replays the failure exactly.
func TestSearchFindsAndReplays(t *testing.T) {
	base, err := scenarios.Parse("local-reads.yaml", []byte(localReads))
	require.NoError(t, err)
	ce, err := Search(context.Background(), base, searchBudget(), 7, 2)
	require.NoError(t, err)
	require.NotNil(t, ce, "no violation in %d cases", searchBudget())
	t.Logf("found: %v", ce)
	assertReplays(t, ce)
}

func TestSearchNeedsHypotheses(t *testing.T) {
	sc := ServiceWorld(ServiceOptions{}).Example(1)
	_, err := Search(context.Background(), sc, 1, 1, 1)
	require.Error(t, err)
}

func TestSearchFindsNothingInAHealthyScenario(t *testing.T) {
	sc := StoreWorld(StoreOptions{Design: scenarios.DesignRaft, ReadMode: "log"}).Example(2)
	sc.Expect = []scenarios.Expectation{{Check: "lost_writes == 0"}}
	ce, err := Search(context.Background(), sc, 10, 1, 2)
	require.NoError(t, err)
	require.Nil(t, ce, "%v", ce)
}

// assertReplays writes the counterexample, loads it as the CLI does and
// runs it: the same hypothesis fails with the same trace.
func assertReplays(t *testing.T, ce *Counterexample) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "counterexample.yaml")
	require.NoError(t, ce.WriteFile(path))
	sc, err := scenarios.Load(path)
	require.NoError(t, err)
	require.Equal(t, ce.Seed, sc.Seed)
	require.Equal(t, 1, sc.Seeds)
	rep, err := scenarios.Execute(context.Background(), sc, world.Engine{}, scenarios.Options{})
	require.NoError(t, err)
	data, _ := os.ReadFile(path)
	require.False(t, rep.Passed(), "the written counterexample passes on replay:\n%s", data)
	require.Len(t, rep.Runs, 1)
	require.Equal(t, ce.TraceHash, rep.Runs[0].TraceHash, "replay: %s\n%s", ReplayCommand(path), data)
}

// Policies keep their promises on generated call graphs: a half-open
// breaker admits at most max_requests trials per half-open spell, and a
// bulkhead never holds more than max_concurrent calls (the caller counts
// any breach as it happens).
func TestPoliciesKeepTheirPromises(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc, seed := ServiceWorld(ServiceOptions{}).Draw(t, "scenario"), drawSeed(t)
		r := run(t, sc, seed)
		if v := r.Metrics["policy_violations"]; v != 0 {
			failf(t, sc, seed, "policies: %g violations (half-open trials beyond max_requests, bulkhead beyond max_concurrent)", v)
		}
	})
}

// A reduction that removes what a hypothesis measures (the second fault,
// a client) drops that hypothesis, so that the smaller case still loads
// as a file and the others are still judged.
func TestShrinkCandidatesLoad(t *testing.T) {
	sc, err := scenarios.Load("partition")
	require.NoError(t, err)
	cands := candidates(onlyVariant(sc, "cp"))
	require.NotEmpty(t, cands)
	for _, c := range cands {
		if c.SetDefaults(); c.Validate() == nil { // shrink skips the others
			assert.True(t, loadable(c), "a candidate does not load:\n%v", c.Expect)
		}
	}
	noFault2 := cands[1] // the first candidates delete each fault in turn
	require.Len(t, noFault2.Faults, 1)
	for _, e := range noFault2.Expect {
		assert.NotContains(t, e.Check, "fault2")
	}
	assert.Contains(t, fmt.Sprint(noFault2.Expect), "failover_ms_fault1")
}

// Scenarios of one variant run several cases at once: the counterexample,
// and its counts, are the serial search's.
func TestFindIsTheSameAtAnyParallel(t *testing.T) {
	var found []string
	for _, parallel := range []int{1, 3} {
		ce, err := Find(context.Background(), RetryWorld(false), plantedBudget(), 7, parallel)
		require.NoError(t, err)
		require.NotNil(t, ce)
		require.Greater(t, ce.Cases, 1, "the search must pass cases before it fails one")
		y, err := ce.YAML()
		require.NoError(t, err)
		found = append(found, ce.String()+"\n"+string(y))
	}
	assert.Equal(t, found[0], found[1])
	t.Log(found[0])
}
