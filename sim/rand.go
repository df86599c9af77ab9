package sim

import (
	"hash/fnv"
	"math/rand/v2"
)

type streamEntry struct {
	r *rand.Rand
}

// NewStream returns the random stream named name under the root seed: a
// PCG generator whose state is derived from both. Streams with different
// names are independent; a stream's draws depend on nothing but (seed,
// name), so adding a component never perturbs another's randomness.
func NewStream(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	key := h.Sum64()
	return rand.New(rand.NewPCG(splitmix(seed^key), splitmix(key+0x9e3779b97f4a7c15)))
}

// Stream returns the kernel's random stream with the given stable name
// (e.g. "service/checkout/instance-3"). Asking twice for one name returns
// the same stream.
func (k *Kernel) Stream(name string) *rand.Rand {
	if s, ok := k.streams[name]; ok {
		return s.r
	}
	r := NewStream(k.seed, name)
	k.streams[name] = &streamEntry{r: r}
	return r
}

// splitmix is the SplitMix64 finaliser: it spreads nearby seeds (0, 1, 2...)
// over the whole state space.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
