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

func (e *entry) seq() uint64 { return e.sh >> handlerBits }

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
type eventQueue struct {
	items []entry
}

func (q *eventQueue) len() int { return len(q.items) }

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
		items[i] = items[p]
		i = p
	}
	e := &items[i]
	e.at, e.sh, e.kind, e.a, e.b, e.timer = at, sh, kind, a, b, timer
}

// popInto moves the earliest entry into dst. The queue must not be empty.
func (q *eventQueue) popInto(dst *entry) {
	items := q.items
	*dst = items[0]
	n := len(items) - 1
	if n > 0 {
		q.siftLast(items, n)
	}
	q.items = items[:n]
}

// siftLast moves items[n] (the last entry, being removed from the end)
// into the hole at the root, moving smaller children up.
func (q *eventQueue) siftLast(items []entry, n int) {
	x := &items[n]
	i := 0
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
		i = m
	}
	items[i] = *x
}

// peek returns the earliest entry without removing it.
func (q *eventQueue) peek() *entry { return &q.items[0] }
