package sim

// timerTable tracks cancellable events by slot. A slot holds the sequence
// number of the event armed in it (0 when free); since sequence numbers are
// unique, a heap entry whose slot no longer holds its sequence was cancelled
// and is skipped when it surfaces. Cancel is O(1) and allocates nothing.
type timerTable struct {
	seqs      []uint64
	free      []uint32
	cancelled int // cancelled entries still sitting in the heap
}

// acquire returns a free slot (index+1) armed for the event with seq.
func (t *timerTable) acquire(seq uint64) uint32 {
	var i uint32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		t.seqs = append(t.seqs, 0)
		i = uint32(len(t.seqs) - 1)
	}
	t.seqs[i] = seq
	return i + 1
}

func (t *timerTable) release(i uint32) {
	t.seqs[i] = 0
	t.free = append(t.free, i)
}

func (t *timerTable) live(tm Timer) bool {
	if tm.slot == 0 || int(tm.slot) > len(t.seqs) {
		return false
	}
	return t.seqs[tm.slot-1] == tm.seq
}

// fire reports whether the entry (slot, seq) is still live, and retires it
// either way.
func (t *timerTable) fire(slot uint32, seq uint64) bool {
	i := slot - 1
	if t.seqs[i] != seq {
		t.cancelled--
		return false
	}
	t.release(i)
	return true
}

func (t *timerTable) cancel(tm Timer) bool {
	if !t.live(tm) {
		return false
	}
	t.release(tm.slot - 1)
	t.cancelled++
	return true
}

// funcTable holds closures scheduled with AtFunc until they run.
type funcTable struct {
	fns  []func()
	free []int
}

func (f *funcTable) put(fn func()) int {
	if n := len(f.free); n > 0 {
		i := f.free[n-1]
		f.free = f.free[:n-1]
		f.fns[i] = fn
		return i
	}
	f.fns = append(f.fns, fn)
	return len(f.fns) - 1
}

func (f *funcTable) take(i int) func() {
	fn := f.fns[i]
	f.fns[i] = nil
	f.free = append(f.free, i)
	return fn
}

// HandleEvent runs the closure stored in slot ev.A.
func (f *funcTable) HandleEvent(ev Event) {
	if fn := f.take(int(ev.A)); fn != nil {
		fn()
	}
}
