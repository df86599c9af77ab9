package check

import "github.com/faultline-sim/faultline/models/store"

// LostWrites counts the acknowledged writes that the converged store does
// not hold. final is each key's value after convergence (a missing key is
// 0, absent).
//
// For a key, the writes that should be final are its last acknowledged
// writes: those (puts, and CASes that swapped, with Outcome OK) such that no
// other acknowledged write to the key was invoked after they returned.
// Usually there is one; writes concurrent with each other may each be
// last. If final[key] is the value of none of them, nor of a write whose
// outcome is Unknown (which may have taken effect after all of them), every
// one of them is lost. keys lists the keys with lost writes, sorted.
func LostWrites(h store.History, final map[int]int64) (lost int, keys []int) {
	acked := map[int][]store.Record{}
	maybe := map[int]map[int64]bool{} // key -> values of Unknown writes
	for _, r := range h {
		switch {
		case isAckedWrite(r):
			acked[r.Key] = append(acked[r.Key], r)
		case r.Outcome == store.Unknown && r.Kind != store.Get:
			if maybe[r.Key] == nil {
				maybe[r.Key] = map[int64]bool{}
			}
			maybe[r.Key][r.Value] = true
		}
	}
	for _, key := range sortedKeys(acked) {
		if n := lostOf(last(acked[key]), final[key], maybe[key]); n > 0 {
			lost += n
			keys = append(keys, key)
		}
	}
	return lost, keys
}

// last returns the writes of ws that no other write of ws follows in real
// time (invoked after they returned).
func last(ws []store.Record) []store.Record {
	var latestInvoke int64
	for _, w := range ws {
		latestInvoke = max(latestInvoke, int64(w.Invoke))
	}
	var out []store.Record
	for _, w := range ws {
		if int64(w.Return) >= latestInvoke {
			out = append(out, w)
		}
	}
	return out
}

// lostOf returns how many of the last writes are lost given the key's
// final value and the values of its Unknown writes.
func lostOf(last []store.Record, final int64, maybe map[int64]bool) int {
	if maybe[final] {
		return 0
	}
	for _, w := range last {
		if w.Value == final {
			return 0
		}
	}
	return len(last)
}
