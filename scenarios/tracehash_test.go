package scenarios_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/world"
)

var rewriteHashes = flag.Bool("rewrite-hashes", false, "rewrite testdata/trace_hashes.golden")

// TestTraceHashesUnchanged pins the trace hash of every variant of some
// built-in scenarios at seed 1: a change to the models that should leave
// existing scenarios alone (a new optional setting) must keep their traces
// byte for byte. Regenerate with -rewrite-hashes only when a change of
// behaviour is intended.
func TestTraceHashesUnchanged(t *testing.T) {
	var b strings.Builder
	for _, name := range []string{"cascade", "retry-storm", "saga", "strangler", "endpoints"} {
		sc, err := scenarios.Load(name)
		require.NoError(t, err)
		cases, err := sc.Cases()
		require.NoError(t, err)
		for _, c := range cases {
			r, err := world.Engine{}.Run(context.Background(), c, 1)
			require.NoError(t, err)
			fmt.Fprintf(&b, "%s %s %s\n", name, c.Name, r.TraceHash)
		}
	}
	golden := filepath.Join("testdata", "trace_hashes.golden")
	if *rewriteHashes {
		require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String(), "seed=1: traces changed (replay: go test ./scenarios -run TestTraceHashesUnchanged)")
}
