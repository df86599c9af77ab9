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

// push adds e. The new entry is written once, into its final place: writing
// it at the end and reading it back to sift it costs a store-forwarding
// stall on every event.
func (q *eventQueue) push(e entry) {
	n := len(q.items)
	if n == cap(q.items) {
		q.items = append(q.items, entry{})
	} else {
		q.items = q.items[:n+1]
	}
	q.up(n, e)
}

// pop removes and returns the earliest entry. The queue must not be empty.
func (q *eventQueue) pop() entry {
	items := q.items
	top := items[0]
	last := len(items) - 1
	q.items = items[:last]
	if last > 0 {
		q.down(items[last])
	}
	return top
}

// peek returns the earliest entry without removing it.
func (q *eventQueue) peek() *entry { return &q.items[0] }

// up places e, which belongs in hole i, by moving parents down until e's
// place is found.
func (q *eventQueue) up(i int, e entry) {
	items := q.items
	for i > 0 {
		p := int(uint(i-1) >> 2)
		if !e.before(&items[p]) {
			break
		}
		items[i] = items[p]
		i = p
	}
	items[i] = e
}

// down places e, starting from the hole at the root, by moving the smallest
// child up until e's place is found.
func (q *eventQueue) down(e entry) {
	items := q.items
	n := len(items)
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
		if !items[m].before(&e) {
			break
		}
		items[i] = items[m]
		i = m
	}
	items[i] = e
}
