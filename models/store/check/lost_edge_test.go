package check

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/faultline-sim/faultline/models/store"
)

// TestLostWritesEqualTimesAreConcurrent: a write that returned at the
// very instant another was invoked did not precede it (porcupine, too,
// orders a call before a return at the same time), so either value may
// be the final one; only a final value that is neither loses both.
func TestLostWritesEqualTimesAreConcurrent(t *testing.T) {
	h := store.History{put(0, 1, 10, 0, 5), put(1, 1, 11, 5, 9)}
	for _, final := range []int64{10, 11} {
		lost, keys := LostWrites(h, map[int]int64{1: final})
		assert.Zero(t, lost, "final %d", final)
		assert.Empty(t, keys, "final %d", final)
	}
	lost, keys := LostWrites(h, map[int]int64{1: 7})
	assert.Equal(t, 2, lost)
	assert.Equal(t, []int{1}, keys)
	// One nanosecond later, the first write precedes the second, and only
	// the second may be final.
	h = store.History{put(0, 1, 10, 0, 5), put(1, 1, 11, 6, 9)}
	lost, _ = LostWrites(h, map[int]int64{1: 10})
	assert.Equal(t, 1, lost)
}
