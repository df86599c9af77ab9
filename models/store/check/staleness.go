package check

import (
	"cmp"
	"slices"
	"sort"
	"time"

	"github.com/faultline-sim/faultline/models/store"
)

// Staleness measures how far behind the acknowledged writes successful
// reads were, by the definition linearizability implies: a read is stale
// only if it returned a value that some acknowledged write had certainly
// overwritten before the read began.
//
// For a read r of key x invoked at t_r that returned v, let A be the writes
// to x (puts, and CASes that swapped) acknowledged (Outcome OK) with
// Return < t_r, and let w_v be the acknowledged write of v. A write w in A
// certainly overwrote v if it was invoked after w_v returned
// (w.Invoke > w_v.Return): real time orders it after w_v in every
// linearization. Writes concurrent with w_v may be ordered either way, so
// returning v after them is legitimate. The read is stale with k > 0
// equal to the number of writes in A that certainly overwrote v (all of A
// when v = 0, absent). It is fresh (k = 0) if there is none, or if v was
// written by a write not in A (concurrent with the read or later, or one
// whose outcome is Unknown or Failed), or by no write at all: whether it
// may legitimately have seen that is the linearizability check's
// business. A stale read's t-visibility is t_r minus the Return of the
// last write that overwrote v: how long the newest missed write had been
// acknowledged when the read began.
//
// A linearizable history therefore never has a stale read (a property
// test checks it on generated concurrent histories); ordering writes by
// their acknowledgement alone would call a read stale that returned the
// later of two overlapping writes, as real Raft histories show.
type Staleness struct {
	Reads           int           // successful gets checked (a CAS is not a read here)
	StaleReads      int           // reads with k > 0
	MaxK            int           // largest k seen
	KHist           []int         // KHist[k] = reads k versions behind (k = 0: fresh), k up to MaxK
	MaxTVisibility  time.Duration // largest t-visibility of a stale read
	MeanTVisibility time.Duration // mean t-visibility over stale reads
}

// ackedWrites is one key's acknowledged writes, ordered by Return.
type ackedWrites struct {
	returns []int64       // Return of each write, ascending
	invokes []int64       // Invoke of each write, in the same order
	pos     map[int64]int // value -> index in returns
}

// Stale measures the staleness of h's successful reads.
func Stale(h store.History) Staleness {
	writes := acknowledged(h)
	s := Staleness{KHist: []int{0}}
	var sumVis time.Duration
	for _, r := range h {
		if r.Kind != store.Get || r.Outcome != store.OK {
			continue
		}
		k, vis := staleness(writes[r.Key], r)
		s.add(k)
		if k > 0 {
			s.MaxTVisibility = max(s.MaxTVisibility, vis)
			sumVis += vis
		}
	}
	if s.StaleReads > 0 {
		s.MeanTVisibility = sumVis / time.Duration(s.StaleReads)
	}
	return s
}

func (s *Staleness) add(k int) {
	s.Reads++
	for len(s.KHist) <= k {
		s.KHist = append(s.KHist, 0)
	}
	s.KHist[k]++
	s.MaxK = max(s.MaxK, k)
	if k > 0 {
		s.StaleReads++
	}
}

// staleness returns read r's k and t-visibility against its key's writes w.
func staleness(w ackedWrites, r store.Record) (k int, vis time.Duration) {
	t := int64(r.Invoke)
	n := sort.Search(len(w.returns), func(i int) bool { return w.returns[i] >= t }) // |A|
	if n == 0 {
		return 0, 0
	}
	after := int64(-1 << 63) // v = 0: every write in A overwrote it
	if r.Out != 0 {
		i, acked := w.pos[r.Out]
		if !acked || i >= n {
			return 0, 0
		}
		after = w.returns[i]
	}
	last := int64(0)
	for j := range n {
		if w.invokes[j] > after {
			k++
			last = w.returns[j] // returns ascend: the newest so far
		}
	}
	if k == 0 {
		return 0, 0
	}
	return k, time.Duration(t - last)
}

// acknowledged returns each key's acknowledged writes.
func acknowledged(h store.History) map[int]ackedWrites {
	byKey := map[int][]store.Record{}
	for _, r := range h {
		if isAckedWrite(r) {
			byKey[r.Key] = append(byKey[r.Key], r)
		}
	}
	out := make(map[int]ackedWrites, len(byKey))
	for _, key := range sortedKeys(byKey) {
		ws := byKey[key]
		slices.SortStableFunc(ws, func(a, b store.Record) int { return cmp.Compare(a.Return, b.Return) })
		aw := ackedWrites{returns: make([]int64, len(ws)), invokes: make([]int64, len(ws)), pos: make(map[int64]int, len(ws))}
		for i, w := range ws {
			aw.returns[i] = int64(w.Return)
			aw.invokes[i] = int64(w.Invoke)
			aw.pos[w.Value] = i
		}
		out[key] = aw
	}
	return out
}

// isAckedWrite reports whether r is a write the store acknowledged: a put,
// or a CAS that swapped, with Outcome OK.
func isAckedWrite(r store.Record) bool {
	return r.Outcome == store.OK && (r.Kind == store.Put || (r.Kind == store.CAS && r.Out == 1))
}
