package search

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestInOrder: results come in index order whatever order the work ends
// in, jobs are prepared in index order, no more than parallel run at
// once, and nothing past the first accepted result is taken.
func TestInOrder(t *testing.T) {
	for _, parallel := range []int{0, 1, 2, 5} {
		var prepared, taken []int
		var running, most atomic.Int32
		inOrder(context.Background(), 20, parallel, func(i int) func(context.Context) int {
			prepared = append(prepared, i)
			return func(ctx context.Context) int {
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(time.Duration(7-i%7) * time.Millisecond) // later jobs end first
				running.Add(-1)
				return i
			}
		}, func(v int) bool {
			taken = append(taken, v)
			return v == 12
		})
		assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, taken, "parallel %d", parallel)
		assert.Equal(t, prepared[:13], taken, "parallel %d: prepared in order", parallel)
		assert.LessOrEqual(t, len(prepared), 12+max(parallel, 1), "parallel %d: at most parallel ahead", parallel)
		assert.LessOrEqual(t, int(most.Load()), max(parallel, 1), "parallel %d", parallel)
		assert.Zero(t, running.Load(), "parallel %d: every job ended before inOrder returned", parallel)
	}
}
