package dynamo

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
)

// binom is C(n, k).
func binom(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	r := 1.0
	for i := range k {
		r = r * float64(n-i) / float64(i+1)
	}
	return r
}

// pbsMiss measures, over trials, how often a read that follows k writes
// to a fresh key sees none of them, with writes reaching exactly W and
// reads asking exactly R replicas of the preference list, both drawn
// uniformly (QuorumOnly), and nothing propagating afterwards. It also
// returns how often the read misses the last write.
func pbsMiss(t *testing.T, seed uint64, n, r, w, k, trials int) (missAll, missLast float64) {
	cfg := Config{N: n, R: r, W: w, ReadRepair: Bool(false), QuorumOnly: true}
	e, _ := newQuorum(t, seed, constant(t, time.Millisecond), n, cfg)
	cl := e.newClient("client")
	all, last := 0, 0
	for trial := range trials {
		key := trial
		for v := 1; v <= k; v++ {
			op := cl.do(trial%n, put(key, int64(v)), time.Second)
			require.Equal(t, store.StatusOK, op.Status, "seed %d trial %d", seed, trial)
		}
		op := cl.do(trial%n, get(key), time.Second)
		require.Equal(t, store.StatusOK, op.Status, "seed %d trial %d", seed, trial)
		if op.Out == 0 {
			all++
		}
		if op.Out != int64(k) {
			last++
		}
	}
	return float64(all) / float64(trials), float64(last) / float64(trials)
}

// TestPBS checks the staleness of partial quorums against Bailis et al.,
// "Probabilistically Bounded Staleness": a read misses a write with
// probability C(N-W, R) / C(N, R), and all of k independently placed
// writes with that to the k-th power; never when R + W > N.
func TestPBS(t *testing.T) {
	const seed, trials = 7, 20000
	cases := []struct{ n, r, w, k int }{
		{3, 1, 1, 1}, {3, 1, 1, 2}, {3, 1, 1, 3},
		{3, 2, 1, 1}, {5, 2, 2, 1}, {5, 2, 2, 2},
		{3, 2, 2, 2}, {3, 1, 3, 1},
	}
	for _, tc := range cases {
		want := math.Pow(binom(tc.n-tc.w, tc.r)/binom(tc.n, tc.r), float64(tc.k))
		got, last := pbsMiss(t, seed, tc.n, tc.r, tc.w, tc.k, trials)
		se := math.Sqrt(max(want*(1-want), 1e-12) / trials)
		t.Logf("N=%d R=%d W=%d k=%d: P(miss all k) measured %.4f, formula %.4f (4 SE = %.4f); P(miss last) %.4f",
			tc.n, tc.r, tc.w, tc.k, got, want, 4*se, last)
		require.InDelta(t, want, got, 4*se, "seed %d: N=%d R=%d W=%d k=%d", seed, tc.n, tc.r, tc.w, tc.k)
		if tc.r+tc.w > tc.n {
			require.Zero(t, last, "seed %d: R+W>N read missed the last write", seed)
		}
	}
}
