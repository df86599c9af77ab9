package sim

// entry is one scheduled event as stored in the heap: plain values, so the
// heap never boxes or allocates once its backing array has grown.
//
// It is 40 bytes: the insertion sequence and the handler share one word
// (seq<<handlerBits | handler), which keeps the tie-break a single compare.
type entry struct {
	at    Time
	sh    uint64 // seq<<handlerBits | handler
	a, b  int64
	kind  uint32
	timer uint32 // timer slot+1, or 0 when the event cannot be cancelled
}

const (
	handlerBits = 20 // up to ~1M handlers; leaves 44 bits (1.7e13 events) of sequence
	handlerMask = 1<<handlerBits - 1
	maxHandlers = handlerMask
)

func (e *entry) handler() HandlerID { return HandlerID(e.sh & handlerMask) }

// before reports whether e must run before f: earlier time first, then the
// order of scheduling, which makes simultaneous events deterministic.
func (e *entry) before(f *entry) bool {
	if e.at != f.at {
		return e.at < f.at
	}
	return e.sh < f.sh
}

// eventQueue is a 4-ary min-heap of entries. A 4-ary heap is shallower than
// a binary one and keeps siblings in one or two cache lines, which is what
// matters when the heap holds thousands of events.
//
// It is indexed: every cancellable entry has a slot in timers that holds
// its position in the heap, kept up to date as entries move, so a timer is
// cancelled by removing its entry at once (O(log n)). The heap then holds
// only events that will run: a request that completes long before its
// timeout leaves nothing behind to sift past. (It used to hold cancelled
// entries until their time came, often tens of times more than the live
// ones.) Because (at, seq) orders entries totally, removing one never
// changes the order in which the others pop.
type eventQueue struct {
	items  []entry
	timers Slab[int32] // per armed timer: its entry's index in items
}

func (q *eventQueue) len() int { return len(q.items) }

// moved records that the entry at items[i] now sits at i, if it is a timer.
func (q *eventQueue) moved(items []entry, i int) {
	if t := items[i].timer; t != 0 {
		*q.timers.At(int32(t - 1)) = int32(i)
	}
}

// push adds an event. Entries are never passed by value between
// functions: a struct spilled field by field and then copied as a whole
// stalls store forwarding, which cost more than the rest of the kernel.
// Fields go straight into the entry's final slot.
func (q *eventQueue) push(at Time, sh uint64, kind uint32, a, b int64, timer uint32) {
	n := len(q.items)
	if n == cap(q.items) {
		q.items = append(q.items, entry{})
	} else {
		q.items = q.items[:n+1]
	}
	items := q.items
	i := n
	for i > 0 {
		p := int(uint(i-1) >> 2)
		pe := &items[p]
		if at > pe.at || (at == pe.at && sh > pe.sh) {
			break
		}
		items[i] = *pe
		q.moved(items, i)
		i = p
	}
	e := &items[i]
	e.at, e.sh, e.kind, e.a, e.b, e.timer = at, sh, kind, a, b, timer
	if timer != 0 {
		*q.timers.At(int32(timer - 1)) = int32(i)
	}
}

// popInto moves the earliest entry into dst. The queue must not be empty.
func (q *eventQueue) popInto(dst *entry) {
	items := q.items
	*dst = items[0]
	n := len(items) - 1
	if n > 0 {
		q.siftDown(items, 0, n)
	}
	q.items = items[:n]
}

// remove deletes the entry at index i.
func (q *eventQueue) remove(i int) {
	items := q.items
	n := len(items) - 1
	if i < n {
		if p := int(uint(i-1) >> 2); i > 0 && items[n].before(&items[p]) {
			q.siftUp(items, i, n)
		} else {
			q.siftDown(items, i, n)
		}
	}
	q.items = items[:n]
}

// siftDown moves items[n] (the last entry, being removed from the end)
// into the hole at i, moving smaller children up.
func (q *eventQueue) siftDown(items []entry, i, n int) {
	x := &items[n]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		end := min(c+4, n)
		for j := c + 1; j < end; j++ {
			if items[j].before(&items[m]) {
				m = j
			}
		}
		if !items[m].before(x) {
			break
		}
		items[i] = items[m]
		q.moved(items, i)
		i = m
	}
	items[i] = *x
	q.moved(items, i)
}

// siftUp moves items[n] (the last entry, being removed from the end) into
// the hole at i, moving larger parents down.
func (q *eventQueue) siftUp(items []entry, i, n int) {
	x := &items[n]
	for i > 0 {
		p := int(uint(i-1) >> 2)
		if !x.before(&items[p]) {
			break
		}
		items[i] = items[p]
		q.moved(items, i)
		i = p
	}
	items[i] = *x
	q.moved(items, i)
}

// peek returns the earliest entry without removing it.
func (q *eventQueue) peek() *entry { return &q.items[0] }
