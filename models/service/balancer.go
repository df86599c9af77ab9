package service

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Balancer picks the instance for each request on the client side, like a
// gRPC or Envoy load-balancing policy. It sees only what the client sees:
// its own requests in flight, not the instances' queues or health.
type Balancer interface {
	// Pick returns the instance, in [0, n), for the next request.
	Pick() int
	// Done reports that a request sent to instance i has ended, whatever
	// its outcome. It must be called exactly once per Pick.
	Done(i int)
}

// DefaultPolicy is the balancing policy of an empty name.
const DefaultPolicy = "round_robin"

// policies lists the balancing policies in the order errors offer them.
var policies = []string{"round_robin", "random", "least_outstanding", "p2c"}

// Policies returns the names NewBalancer accepts.
func Policies() []string { return slices.Clone(policies) }

// CheckPolicy returns an error naming the allowed policies if NewBalancer
// would reject policy; "" is allowed and means DefaultPolicy.
func CheckPolicy(policy string) error {
	if policy == "" || slices.Contains(policies, policy) {
		return nil
	}
	return fmt.Errorf("must be one of %s, got %q", strings.Join(policies, ", "), policy)
}

// NewBalancer returns a balancer over n instances:
//
//   - round_robin (the default): 0, 1, ..., n-1, 0, ...
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
func NewBalancer(policy string, n int, r *rand.Rand) (Balancer, error) {
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
		return &randomBalancer{n: n, r: r}, nil
	case "least_outstanding":
		return &leastOutstanding{inFlight: inFlight(make([]int, n)), r: r}, nil
	case "p2c":
		return &powerOfTwo{inFlight: inFlight(make([]int, n)), r: r}, nil
	}
	return &roundRobin{n: n}, nil
}

type roundRobin struct{ n, next int }

func (b *roundRobin) Pick() int {
	i := b.next
	b.next = (b.next + 1) % b.n
	return i
}

func (b *roundRobin) Done(int) {}

type randomBalancer struct {
	n int
	r *rand.Rand
}

func (b *randomBalancer) Pick() int { return b.r.IntN(b.n) }
func (b *randomBalancer) Done(int)  {}

// inFlight counts a client's requests in flight per instance.
type inFlight []int

// Done implements Balancer.Done for the policies that count.
func (f inFlight) Done(i int) {
	if f[i] == 0 {
		panic(fmt.Sprintf("service: balancer Done(%d) without a request in flight", i))
	}
	f[i]--
}

type leastOutstanding struct {
	inFlight
	r *rand.Rand
}

// Pick scans once, keeping a uniformly random one of the minima
// (reservoir sampling: the k-th tie replaces the choice with probability
// 1/k), so it draws only when there is a tie.
func (b *leastOutstanding) Pick() int {
	best, ties := 0, 1
	for i := 1; i < len(b.inFlight); i++ {
		switch n := b.inFlight[i]; {
		case n < b.inFlight[best]:
			best, ties = i, 1
		case n == b.inFlight[best]:
			ties++
			if b.r.IntN(ties) == 0 {
				best = i
			}
		}
	}
	b.inFlight[best]++
	return best
}

type powerOfTwo struct {
	inFlight
	r *rand.Rand
}

func (b *powerOfTwo) Pick() int {
	n := len(b.inFlight)
	best := 0
	if n > 1 {
		i := b.r.IntN(n)
		j := b.r.IntN(n - 1)
		if j >= i {
			j++ // distinct from i, and uniform over the others
		}
		best = i
		if b.inFlight[j] < b.inFlight[i] {
			best = j
		}
	}
	b.inFlight[best]++
	return best
}
