package balance

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Balancer picks the instance for each request on the client side, like a
// gRPC or Envoy load-balancing policy. It sees only what the client sees:
// its own requests in flight, not the instances' queues or health.
//
// The set of instances may change between picks (instances start, become
// ready and drain as a service scales), so every Pick is given the
// instances that are ready now; a balancer keeps its per-instance state
// by instance index, which stays valid for the life of the service.
type Balancer interface {
	// Pick returns the instance for the next request, one of ready: the
	// indices of the instances ready to take traffic, in increasing
	// order, never empty.
	Pick(ready []int) int
	// Done reports that a request sent to instance i has ended, whatever
	// its outcome. It must be called exactly once per Pick.
	Done(i int)
}

// DefaultPolicy is the balancing policy of an empty name.
const DefaultPolicy = "round_robin"

// policies lists the balancing policies in the order errors offer them.
var policies = []string{"round_robin", "random", "least_outstanding", "p2c"}

// Policies returns the names New accepts.
func Policies() []string { return slices.Clone(policies) }

// CheckPolicy returns an error naming the allowed policies if New
// would reject policy; "" is allowed and means DefaultPolicy.
func CheckPolicy(policy string) error {
	if policy == "" || slices.Contains(policies, policy) {
		return nil
	}
	return fmt.Errorf("must be one of %s, got %q", strings.Join(policies, ", "), policy)
}

// New returns a balancer for a service of n instances at first (a
// sizing hint: the policies grow with the service):
//
//   - round_robin (the default): through the ready instances in order,
//     0, 1, ..., n-1, 0, ... while all n are ready.
//   - random: uniformly at random.
//   - least_outstanding: the instance with the fewest of this client's
//     requests in flight (join the shortest queue, as far as the client
//     knows); ties are broken at random so that clients do not herd onto
//     the lowest index.
//   - p2c: the power of two choices: the less loaded (by requests in
//     flight) of two distinct instances drawn at random; a tie goes to the
//     first drawn.
//
// r is the balancer's random stream; round_robin does not use it and may
// get nil.
func New(policy string, n int, r *rand.Rand) (Balancer, error) {
	if n < 1 {
		return nil, fmt.Errorf("balancer: need at least 1 instance, got %d", n)
	}
	if err := CheckPolicy(policy); err != nil {
		return nil, fmt.Errorf("balancer: %w", err)
	}
	if policy != "round_robin" && policy != "" && r == nil {
		return nil, fmt.Errorf("balancer %s: needs a random stream, got nil", policy)
	}
	switch policy {
	case "random":
		return &randomBalancer{r: r}, nil
	case "least_outstanding":
		return &leastOutstanding{inFlight: inFlight{n: make([]int, n)}, r: r}, nil
	case "p2c":
		return &powerOfTwo{inFlight: inFlight{n: make([]int, n)}, r: r}, nil
	}
	return &roundRobin{}, nil
}

// roundRobin walks a cursor over the ready list; when the list changes
// the cursor wraps into the new one.
type roundRobin struct{ next int }

func (b *roundRobin) Pick(ready []int) int {
	if b.next >= len(ready) {
		b.next = 0
	}
	i := ready[b.next]
	b.next++
	return i
}

func (b *roundRobin) Done(int) {}

type randomBalancer struct {
	r *rand.Rand
}

func (b *randomBalancer) Pick(ready []int) int { return ready[b.r.IntN(len(ready))] }
func (b *randomBalancer) Done(int)             {}

// inFlight counts a client's requests in flight per instance index; it
// grows when a picked instance is beyond it.
type inFlight struct{ n []int }

func (f *inFlight) of(i int) int {
	if i >= len(f.n) {
		return 0
	}
	return f.n[i]
}

func (f *inFlight) add(i int) {
	for i >= len(f.n) {
		f.n = append(f.n, 0)
	}
	f.n[i]++
}

// Done implements Balancer.Done for the policies that count.
func (f *inFlight) Done(i int) {
	if f.of(i) == 0 {
		panic(fmt.Sprintf("balance: Done(%d) without a request in flight", i))
	}
	f.n[i]--
}

type leastOutstanding struct {
	inFlight
	r *rand.Rand
}

// Pick scans once, keeping a uniformly random one of the minima
// (reservoir sampling: the k-th tie replaces the choice with probability
// 1/k), so it draws only when there is a tie.
func (b *leastOutstanding) Pick(ready []int) int {
	best, ties := ready[0], 1
	for _, i := range ready[1:] {
		switch n := b.of(i); {
		case n < b.of(best):
			best, ties = i, 1
		case n == b.of(best):
			ties++
			if b.r.IntN(ties) == 0 {
				best = i
			}
		}
	}
	b.add(best)
	return best
}

type powerOfTwo struct {
	inFlight
	r *rand.Rand
}

func (b *powerOfTwo) Pick(ready []int) int {
	n := len(ready)
	best := ready[0]
	if n > 1 {
		i := b.r.IntN(n)
		j := b.r.IntN(n - 1)
		if j >= i {
			j++ // distinct from i, and uniform over the others
		}
		best = ready[i]
		if b.of(ready[j]) < b.of(best) {
			best = ready[j]
		}
	}
	b.add(best)
	return best
}
