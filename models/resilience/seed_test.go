package resilience

import (
	"flag"
	"testing"
	"time"
)

var seedFlag = flag.Uint64("seed", 0, "replay the randomised tests with this seed (0: draw one from the clock)")

// testSeed returns the seed of a randomised test, and on failure prints it
// with the command that replays the run.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("===== SEED %d =====\nreplay: go test ./models/resilience -run '^%s$' -seed=%d", seed, t.Name(), seed)
		}
	})
	return seed
}
