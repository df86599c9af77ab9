package world

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/scenarios"
)

// TestTracingDoesNotChangeTheRun: the cascade scenario gives the same
// trace hash and the same outcomes traced or not, and traced it carries
// its slowest requests, each a tree of spans under one root.
func TestTracingDoesNotChangeTheRun(t *testing.T) {
	sc, err := scenarios.Load("cascade")
	require.NoError(t, err)
	c, err := sc.Case("timeouts-retries")
	require.NoError(t, err)
	run := func(sample float64) (h string, ok int64, traces int) {
		c.Scenario.TraceSample = &sample
		r, err := Engine{}.Run(context.Background(), c, 1)
		require.NoError(t, err)
		all, _ := r.Phase("all")
		return r.TraceHash, all.OK, len(r.Traces)
	}
	h0, ok0, n0 := run(0)
	h1, ok1, n1 := run(0.05)
	assert.Equal(t, h0, h1)
	assert.Equal(t, ok0, ok1)
	assert.Zero(t, n0)
	assert.Equal(t, slowestTraces, n1)
}
