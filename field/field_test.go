package field_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/sim"
)

var errSentinel = errors.New("invalid test config")

// TestUnderBuildsThePathAsItBubblesUp: each caller puts its own part of the
// path in front, with a dot between names and none before an index, and
// the sentinel the innermost error wrapped survives every level.
func TestUnderBuildsThePathAsItBubblesUp(t *testing.T) {
	err := error(&field.Error{Path: "base", Msg: "must be > 0, got 0s", Err: errSentinel})
	err = field.Under("backoff", err)
	err = field.Under("retry", err)
	err = field.Under(field.Index("calls", 0), err)
	err = field.Under(field.Index("topology.services", 2), err)
	assert.EqualError(t, err, "topology.services[2].calls[0].retry.backoff.base: must be > 0, got 0s")
	var fe *field.Error
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, "topology.services[2].calls[0].retry.backoff.base", fe.Path)
	assert.Equal(t, "must be > 0, got 0s", fe.Msg)
	assert.ErrorIs(t, err, errSentinel)
	assert.Nil(t, field.Under("x", nil))
}

func TestUnderAnIndexOrTheRoot(t *testing.T) {
	assert.EqualError(t, field.Under("groups", field.Errorf("[1][0]", "must name a node")), "groups[1][0]: must name a node")
	assert.EqualError(t, field.Under("", field.Errorf("workers", "must be >= 1, got 0")), "workers: must be >= 1, got 0")
	assert.EqualError(t, field.Under("mesh", field.Errorf("", "must be set")), "mesh: must be set")
	assert.EqualError(t, field.Errorf("", "a scenario must be a mapping"), "a scenario must be a mapping")
}

// TestUnderAPlainError: an error that names no field is placed at the
// prefix whole, and is still reachable.
func TestUnderAPlainError(t *testing.T) {
	plain := fmt.Errorf("no such file")
	err := field.Under("source", plain)
	assert.EqualError(t, err, "source: no such file")
	assert.ErrorIs(t, err, plain)
}

// TestUnderAKernelError: the kernel's distribution errors name their field
// (Fielder), so a bad parameter deep in a mixture gets its full path, and
// errors.Is still sees sim.ErrParam.
func TestUnderAKernelError(t *testing.T) {
	spec := sim.DistSpec{Kind: "mixture", Of: []sim.DistSpec{{Kind: "constant", Value: 1}, {Kind: "exponential", Mean: -1}}, Weights: []float64{1, 1}}
	_, err := spec.Build()
	require.Error(t, err)
	err = field.Under("service_time", err)
	assert.EqualError(t, err, "service_time.of[1].mean: must be in (0, +Inf), got -1")
	assert.ErrorIs(t, err, sim.ErrParam)
}

func TestPaths(t *testing.T) {
	assert.Equal(t, "a.b", field.Join("a", "b"))
	assert.Equal(t, "a[3]", field.Join("a", "[3]"))
	assert.Equal(t, "b", field.Join("", "b"))
	assert.Equal(t, "a", field.Join("a", ""))
	assert.Equal(t, "calls[2]", field.Index("calls", 2))
	for path, want := range map[string]string{"calls[2].retry.base": "calls[2].retry", "calls[2]": "calls", "calls": "", "": "", "groups[1][0]": "groups[1]"} {
		assert.Equal(t, want, field.Parent(path), path)
	}
}

// TestUnderAs: a package's sentinel is added to a part's error once, and
// the part's own sentinel (or the kernel's ErrParam) still matches.
func TestUnderAs(t *testing.T) {
	mine := errors.New("invalid outer config")
	inner := &field.Error{Path: "base", Msg: "must be > 0", Err: errSentinel}
	err := field.UnderAs(mine, "retry", inner)
	assert.EqualError(t, err, "retry.base: must be > 0")
	assert.ErrorIs(t, err, mine)
	assert.ErrorIs(t, err, errSentinel)
	again := field.UnderAs(mine, "calls[0]", err)
	assert.EqualError(t, again, "calls[0].retry.base: must be > 0")
	assert.Same(t, err.(*field.Error).Err, again.(*field.Error).Err, "the sentinel is not added twice")
	_, distErr := sim.DistSpec{Kind: "exponential"}.Build()
	err = field.UnderAs(mine, "service_time", distErr)
	assert.EqualError(t, err, "service_time.mean: must be in (0, +Inf), got 0")
	assert.ErrorIs(t, err, mine)
	assert.ErrorIs(t, err, sim.ErrParam)
	assert.Nil(t, field.UnderAs(mine, "x", nil))
}
