package balance

import (
	"slices"
	"testing"

	"github.com/faultline-sim/faultline/sim"
)

const balancerSeed = 7

func newBalancer(t *testing.T, policy string, n int) Balancer {
	t.Helper()
	b, err := New(policy, n, sim.NewStream(balancerSeed, "balancer"))
	if err != nil {
		t.Fatalf("New(%q, %d): %v", policy, n, err)
	}
	return b
}

func TestNewErrors(t *testing.T) {
	r := sim.NewStream(1, "b")
	cases := []struct {
		policy string
		n      int
		nilR   bool
		want   string
	}{
		{"fastest", 3, false, `balancer: must be one of round_robin, random, least_outstanding, p2c, got "fastest"`},
		{"random", 0, false, "balancer: need at least 1 instance, got 0"},
		{"p2c", 2, true, "balancer p2c: needs a random stream, got nil"},
	}
	for _, c := range cases {
		rr := r
		if c.nilR {
			rr = nil
		}
		_, err := New(c.policy, c.n, rr)
		if err == nil || err.Error() != c.want {
			t.Errorf("New(%q, %d): got %v, want %q", c.policy, c.n, err, c.want)
		}
	}
	if _, err := New("round_robin", 2, nil); err != nil {
		t.Errorf("round_robin without a stream: %v", err)
	}
	if got := Policies(); !slices.Equal(got, []string{"round_robin", "random", "least_outstanding", "p2c"}) {
		t.Errorf("Policies() = %v", got)
	}
}

// upTo returns the ready list of n instances that are all ready.
func upTo(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = i
	}
	return r
}

func TestRoundRobinCycles(t *testing.T) {
	for _, policy := range []string{"", "round_robin"} {
		b := newBalancer(t, policy, 3)
		var got []int
		for range 7 {
			i := b.Pick(upTo(3))
			got = append(got, i)
			b.Done(i)
		}
		if want := []int{0, 1, 2, 0, 1, 2, 0}; !slices.Equal(got, want) {
			t.Errorf("policy %q: picks %v, want %v", policy, got, want)
		}
	}
}

// chiSquare fails the test if counts are not uniform at the 0.1% level.
// crit is the 99.9% quantile of chi-square with len(counts)-1 degrees of
// freedom.
func chiSquare(t *testing.T, name string, counts []int, crit float64) {
	t.Helper()
	total := 0
	for _, c := range counts {
		total += c
	}
	exp := float64(total) / float64(len(counts))
	var x2 float64
	for _, c := range counts {
		x2 += (float64(c) - exp) * (float64(c) - exp) / exp
	}
	t.Logf("%s: counts %v, chi-square %.2f (critical %.2f)", name, counts, x2, crit)
	if x2 > crit {
		t.Errorf("seed=%d: %s: counts %v are not uniform: chi-square %.2f > %.2f", balancerSeed, name, counts, x2, crit)
	}
}

const chi2df3 = 16.27 // 99.9% quantile, 3 degrees of freedom

// TestRandomPoliciesAreUniform: random picks uniformly, and so do
// least_outstanding and p2c when every instance is idle (ties are broken
// at random, so no instance is favoured).
func TestRandomPoliciesAreUniform(t *testing.T) {
	for _, policy := range []string{"random", "least_outstanding", "p2c"} {
		b := newBalancer(t, policy, 4)
		counts := make([]int, 4)
		for range 40000 {
			i := b.Pick(upTo(4))
			counts[i]++
			b.Done(i)
		}
		chiSquare(t, policy, counts, chi2df3)
	}
}

// TestLeastOutstandingPicksAMinimum drives the balancer with random
// completions and checks each pick against the in-flight counts kept by
// the test.
func TestLeastOutstandingPicksAMinimum(t *testing.T) {
	const n = 5
	b := newBalancer(t, "least_outstanding", n)
	r := sim.NewStream(balancerSeed, "driver")
	inflight := make([]int, n)
	var open []int
	for step := range 20000 {
		if len(open) > 0 && r.IntN(3) == 0 {
			k := r.IntN(len(open))
			i := open[k]
			open = slices.Delete(open, k, k+1)
			inflight[i]--
			b.Done(i)
			continue
		}
		i := b.Pick(upTo(n))
		if inflight[i] != slices.Min(inflight) {
			t.Fatalf("seed=%d step %d: picked %d with %d in flight, counts %v", balancerSeed, step, i, inflight[i], inflight)
		}
		inflight[i]++
		open = append(open, i)
	}
}

// TestP2CAvoidsTheMostLoaded: of two distinct instances, the less loaded
// wins, so the single most loaded instance is never picked and with two
// instances the less loaded always is.
func TestP2CAvoidsTheMostLoaded(t *testing.T) {
	b := newBalancer(t, "p2c", 4)
	for range 3 {
		b.(*powerOfTwo).add(2)
	}
	b.(*powerOfTwo).add(0)
	for range 1000 {
		if i := b.Pick(upTo(4)); i == 2 {
			t.Fatalf("seed=%d: p2c picked the most loaded instance, counts %v", balancerSeed, b.(*powerOfTwo).inFlight)
		} else {
			b.Done(i)
		}
	}
	two := newBalancer(t, "p2c", 2)
	first := two.Pick(upTo(2))
	for range 100 {
		if i := two.Pick(upTo(2)); i == first {
			t.Fatalf("seed=%d: with 2 instances p2c picked the loaded one", balancerSeed)
		} else {
			two.Done(i)
		}
	}
	one := newBalancer(t, "p2c", 1)
	if i := one.Pick(upTo(1)); i != 0 {
		t.Errorf("p2c over 1 instance picked %d", i)
	}
}

func TestDoneWithoutPickPanics(t *testing.T) {
	for _, policy := range []string{"least_outstanding", "p2c"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Done without Pick did not panic", policy)
				}
			}()
			newBalancer(t, policy, 2).Done(1)
		}()
	}
}

// TestPicksOnlyReadyInstances: whatever the policy, a pick is one of the
// ready instances, as the ready set shrinks, grows beyond the first size
// and changes again; the counting policies keep their counts by index.
func TestPicksOnlyReadyInstances(t *testing.T) {
	sets := [][]int{{0, 1, 2}, {1}, {0, 2, 3, 4, 5}, {5, 7}, {0, 1, 2}}
	for _, policy := range Policies() {
		b := newBalancer(t, policy, 3)
		var open []int
		for _, ready := range sets {
			for range 50 {
				i := b.Pick(ready)
				if !slices.Contains(ready, i) {
					t.Fatalf("seed=%d: %s picked %d, not in the ready set %v", balancerSeed, policy, i, ready)
				}
				open = append(open, i)
			}
		}
		for _, i := range open {
			b.Done(i)
		}
	}
}
