package sim

// timerTable tracks cancellable events by slot. A slot holds the sequence
// number of the event armed in it; since sequence numbers are unique, a heap
// entry whose slot no longer holds its sequence was cancelled and is skipped
// when it surfaces. Cancel is O(1) and allocates nothing.
type timerTable struct {
	seqs      Slab[uint64]
	cancelled int // cancelled entries still sitting in the heap
}

// acquire returns a free slot (index+1) armed for the event with seq.
func (t *timerTable) acquire(seq uint64) uint32 {
	return uint32(t.seqs.Put(seq)) + 1
}

func (t *timerTable) live(tm Timer) bool {
	if tm.slot == 0 || int(tm.slot) > t.seqs.Len() {
		return false
	}
	return *t.seqs.At(int32(tm.slot - 1)) == tm.seq
}

// fire reports whether the entry (slot, seq) is still live, and retires it
// either way.
func (t *timerTable) fire(slot uint32, seq uint64) bool {
	i := int32(slot - 1)
	if *t.seqs.At(i) != seq {
		t.cancelled--
		return false
	}
	t.seqs.Free(i)
	return true
}

func (t *timerTable) cancel(tm Timer) bool {
	if !t.live(tm) {
		return false
	}
	t.seqs.Free(int32(tm.slot - 1))
	t.cancelled++
	return true
}

// funcTable holds closures scheduled with AtFunc until they run.
type funcTable struct {
	fns Slab[func()]
}

func (f *funcTable) put(fn func()) int { return int(f.fns.Put(fn)) }

func (f *funcTable) take(i int) func() { return f.fns.Take(int32(i)) }

// HandleEvent runs the closure stored in slot ev.A.
func (f *funcTable) HandleEvent(ev Event) {
	if fn := f.take(int(ev.A)); fn != nil {
		fn()
	}
}
