package search

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/faultline-sim/faultline/scenarios"
)

// plantedBudget is how many cases a planted bug may take to be found, and
// how many its fixed counterpart must pass.
func plantedBudget() int {
	if long() {
		return 500
	}
	return 60
}

// findPlanted runs the search on a planted bug's generator and checks that
// it finds a small, replayable counterexample.
func findPlanted(t *testing.T, gen *rapid.Generator[*scenarios.Scenario], what string) {
	t.Helper()
	const seed = 1
	ce, err := Find(context.Background(), gen, plantedBudget(), seed, 2)
	require.NoError(t, err)
	require.NotNil(t, ce, "%s: no violation of %q in %d cases from seed %d: the search lost its power", what, Recovers, plantedBudget(), seed)
	t.Logf("%s: found %v", what, ce)
	assert.LessOrEqual(t, len(ce.Scenario.Faults), 3, "the shrunk case should have at most 3 faults")
	assert.LessOrEqual(t, len(ce.Scenario.Topology.Services), 3, "and at most 3 services")
	assertReplays(t, ce)
}

// nothingToFind checks that the fixed counterpart of a planted bug passes
// the same number of cases: the search finds the bug, not noise.
func nothingToFind(t *testing.T, gen *rapid.Generator[*scenarios.Scenario], what string) {
	t.Helper()
	ce, err := Find(context.Background(), gen, plantedBudget(), 1, 2)
	require.NoError(t, err)
	require.Nil(t, ce, "%s: the fixed variant violates %q: %v", what, Recovers, ce)
}

// Naive retries (3 attempts, no budget) turn a short slowdown into a retry
// storm that outlives it; the search must find one.
func TestFindsRetriesWithoutBudget(t *testing.T) {
	findPlanted(t, RetryWorld(false), "retries without a budget")
}

// The same retries under gRPC retry throttling always recover.
func TestThrottledRetriesRecover(t *testing.T) {
	nothingToFind(t, RetryWorld(true), "throttled retries")
}

// A breaker that never half-opens stays open after the back end is back:
// the search must find a fault that trips it.
func TestFindsBreakerThatNeverHalfOpens(t *testing.T) {
	findPlanted(t, BreakerWorld(true), "a breaker that never half-opens")
}

// A breaker with a half-open state closes again once the back end is back.
func TestHalfOpeningBreakerRecovers(t *testing.T) {
	nothingToFind(t, BreakerWorld(false), "a breaker that half-opens")
}
