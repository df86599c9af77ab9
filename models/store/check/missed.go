package check

import (
	"math"
	"sort"

	"github.com/anishathalye/porcupine"

	"github.com/faultline-sim/faultline/models/store"
)

// missedWrite reports whether one key's ops (as operations returns them)
// contain a read that no linearization can explain, found without a
// search: a successful get, or a compare-and-swap that swapped, which
// observed a value v that
//
//   - nothing writes (v is not 0, the initial value, and no put or CAS
//     among the ops writes it);
//   - only a write invoked after the read returned writes;
//   - only one write w1 writes (or, for v = 0, nothing does: the initial
//     value, as if written before everything), w1 completed (outcome OK),
//     and another write w2 that completed began after w1 returned and
//     returned before the read began. Every linearization orders w1, w2,
//     then the read, and the read must see w2 or a later value.
//
// A write here is a put or a CAS; it completed if its outcome is OK (and,
// for a CAS, it swapped). Times compare strictly, as porcupine's closed
// intervals do. Each case is a proof that the key is not linearizable, so
// the answer agrees with porcupine's given unlimited time; it spares the
// search on keys with stale reads, which can take it millions of steps.
func missedWrite(ops []porcupine.Operation) bool {
	writers := map[int64][]int{} // value -> ops that may write it
	type span struct{ call, ret int64 }
	var done []span // completed writes, by call
	for i, op := range ops {
		in, out := op.Input.(regInput), op.Output.(regOutput)
		if in.Kind == store.Get || (!out.Unknown && in.Kind == store.CAS && !out.Swapped) {
			continue // a get, or a CAS known not to have written
		}
		writers[in.Value] = append(writers[in.Value], i)
		if !out.Unknown {
			done = append(done, span{op.Call, op.Return})
		}
	}
	sort.Slice(done, func(i, j int) bool { return done[i].call < done[j].call })
	// firstReturn[i] is the earliest return of done[i:].
	firstReturn := make([]int64, len(done)+1)
	firstReturn[len(done)] = math.MaxInt64
	for i := len(done) - 1; i >= 0; i-- {
		firstReturn[i] = min(firstReturn[i+1], done[i].ret)
	}
	// completedBetween: a completed write began after t and returned
	// before u.
	completedBetween := func(t, u int64) bool {
		i := sort.Search(len(done), func(i int) bool { return done[i].call > t })
		return firstReturn[i] < u
	}
	for i, r := range ops {
		v, ok := observed(r)
		if !ok {
			continue
		}
		ws := writers[v]
		switch {
		case len(ws) == 0 && v != 0:
			return true
		case len(ws) == 0: // the initial value
			if completedBetween(math.MinInt64, r.Call) {
				return true
			}
		case len(ws) == 1 && ws[0] != i && v != 0:
			w := ops[ws[0]]
			if w.Call > r.Return {
				return true
			}
			if !w.Output.(regOutput).Unknown && completedBetween(w.Return, r.Call) {
				return true
			}
		}
	}
	return false
}

// observed returns the value a completed read saw: a get's result, or the
// expected value of a CAS that swapped.
func observed(op porcupine.Operation) (int64, bool) {
	in, out := op.Input.(regInput), op.Output.(regOutput)
	switch {
	case out.Unknown:
		return 0, false
	case in.Kind == store.Get:
		return out.Value, true
	case in.Kind == store.CAS && out.Swapped:
		return in.Expect, true
	}
	return 0, false
}
