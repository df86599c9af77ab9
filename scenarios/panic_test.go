package scenarios

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/results"
)

// panicky panics on one seed and counts the runs it was asked for.
type panicky struct{ bad uint64 }

func (panicky) Name() string { return "panicky" }

func (p panicky) Run(_ context.Context, c Case, seed uint64) (results.Run, error) {
	if seed == p.bad {
		var m map[string]int
		m["boom"]++ // a nil-map write: a bug, as a user would meet it
	}
	return results.Run{}, nil
}

func TestAPanickingRunIsAPanicErrorNamingTheRun(t *testing.T) {
	sc, err := Load("balancer")
	require.NoError(t, err)
	for _, parallel := range []int{1, 2} {
		_, err = Execute(context.Background(), sc, panicky{bad: sc.Seed + 1}, Options{Seeds: 2, Parallel: parallel})
		var pe *PanicError
		require.True(t, errors.As(err, &pe), "parallel %d: %v", parallel, err)
		assert.Equal(t, sc.Seed+1, pe.Seed)
		assert.Contains(t, pe.Error(), "a bug in Faultline")
		assert.Contains(t, string(pe.Stack), "panic_test.go")
	}
}
