package dynamo

import (
	"cmp"
	"slices"
)

// exchange starts an anti-entropy round with a random peer: it sends the
// keys both hold, the peer merges them and answers with its own.
func (r *replica) exchange() {
	reps := len(r.c.replicas)
	if reps > 1 {
		peer := r.rng.IntN(reps - 1)
		if peer >= r.i {
			peer++
		}
		r.c.send(r.i, peer, message{kind: msgSync, entries: r.shared(peer)})
	}
	r.entropy = r.c.k.AfterTimer(r.c.cfg.AntiEntropy, r.id, kindAntiEntropy, 0, 0)
}

// shared returns, sorted by key, the keys this replica holds that are in
// peer's preference list too.
func (r *replica) shared(peer int) []keyed {
	n, reps := r.c.cfg.N, len(r.c.replicas)
	var out []keyed
	for key, c := range r.data { // sorted below
		if inPreference(key, peer, n, reps) {
			out = append(out, keyed{key: key, cell: c})
		}
	}
	slices.SortFunc(out, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	return out
}

// merge keeps the newer of each shipped entry and its own.
func (r *replica) merge(entries []keyed) {
	for _, e := range entries {
		if r.apply(e.key, e.cell) {
			r.c.antiEntropyKeys++
		}
	}
}
