package sim

// Slab is a table of values that live for a while (a message on the wire,
// a request in flight, an armed timer) with a free list, so that a run
// allocates only while the table grows and events carry an integer instead
// of a pointer.
//
// A value is addressed by its index, which is enough when exactly one
// event owns it (a message body taken when the message arrives), or by a
// Handle, which also carries the slot's generation: a handle kept after its
// value was freed, or after Reissue, no longer finds it. That is how an
// answer that arrives after its request timed out is told from an answer
// to the slot's next request.
//
// Freed slots are reused last in, first out, so the indices a run hands
// out, and with them the events that carry them, depend only on the order
// of Put and Free calls.
type Slab[T any] struct {
	slots []slabSlot[T]
	free  []int32
}

type slabSlot[T any] struct {
	v    T
	gen  uint32
	live bool
}

// Handle names a slab slot in one generation: gen<<32 | index. Generations
// start at 1, so the zero Handle never names a value.
type Handle int64

// Index returns the slot index a handle names.
func (h Handle) Index() int32 { return int32(uint32(h)) }

func (h Handle) gen() uint32 { return uint32(uint64(h) >> 32) }

// Alloc takes a free slot, holding the zero value, and returns its index.
func (s *Slab[T]) Alloc() int32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		s.slots[i].live = true
		return i
	}
	s.slots = append(s.slots, slabSlot[T]{gen: 1, live: true})
	return int32(len(s.slots) - 1)
}

// Put stores v in a free slot and returns its index.
func (s *Slab[T]) Put(v T) int32 {
	i := s.Alloc()
	s.slots[i].v = v
	return i
}

// At returns the value in slot i, which must be allocated.
func (s *Slab[T]) At(i int32) *T { return &s.slots[i].v }

// Free zeroes slot i and returns it to the free list; handles to it go
// stale. Freeing a free slot is a broken invariant and panics.
func (s *Slab[T]) Free(i int32) {
	sl := &s.slots[i]
	if !sl.live {
		panic("sim: Slab.Free of a free slot")
	}
	*sl = slabSlot[T]{gen: sl.gen + 1}
	s.free = append(s.free, i)
}

// Take returns the value in slot i and frees the slot.
func (s *Slab[T]) Take(i int32) T {
	v := s.slots[i].v
	s.Free(i)
	return v
}

// Handle returns the handle of allocated slot i in its current generation.
func (s *Slab[T]) Handle(i int32) Handle {
	return Handle(uint64(s.slots[i].gen)<<32 | uint64(uint32(i)))
}

// Reissue moves allocated slot i to a new generation, keeping its value,
// and returns its new handle: handles given out before no longer find it
// (e.g. the answers to an attempt that a retry replaced).
func (s *Slab[T]) Reissue(i int32) Handle {
	s.slots[i].gen++
	return s.Handle(i)
}

// Lookup returns the index h names if that slot is allocated and still in
// h's generation.
func (s *Slab[T]) Lookup(h Handle) (int32, bool) {
	i := h.Index()
	if i < 0 || int(i) >= len(s.slots) {
		return 0, false
	}
	sl := &s.slots[i]
	return i, sl.live && sl.gen == h.gen()
}

// Len returns the number of slots, allocated or free.
func (s *Slab[T]) Len() int { return len(s.slots) }

// Live returns the number of allocated slots.
func (s *Slab[T]) Live() int { return len(s.slots) - len(s.free) }
