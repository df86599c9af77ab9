package sim

import "time"

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
// its position, kept up to date as entries move, so a timer is cancelled
// by removing its entry at once. The queue then holds only events that
// will run: a request that completes long before its timeout leaves
// nothing behind to sift past. (It used to hold cancelled entries until
// their time came, often tens of times more than the live ones.)
//
// Events scheduled for the current instant (a message handed on, a zero
// delay) skip the heap: they queue in now, first in first out, which is
// their (at, seq) order, and cost an append instead of a sift up to the
// root and back down.
//
// Timers due at or after the horizon wait outside the heap, unordered in
// far: a timeout that is almost always cancelled costs an append and a
// swap-remove, and the heap's depth is that of the events due soon. When
// the heap has nothing due before the horizon, the horizon moves on by
// farWindow past the earliest event and the far timers due before it join
// the heap. Because (at, seq) orders entries totally and the heap always
// holds the earliest entry when one is popped, neither removing an entry
// nor where it waited changes the order in which the others pop.
type eventQueue struct {
	items   []entry     // the heap
	now     []entry     // events due now, from now[head] on, in order of scheduling
	head    int         // the first of now not yet run
	far     []entry     // timers due at or after horizon, in no order
	horizon Time        // every entry in far is due at or after it
	window  Time        // farWindow; tests make it shorter
	timers  Slab[int32] // per armed timer: its index in items, or -1-index in far
}

// farWindow is how far past the earliest event the horizon is set: timers
// due later wait in far. Scanning far once per window is cheap beside the
// sifts it saves; a timeout shorter than the window goes to the heap.
const farWindow = Time(time.Second)

func (q *eventQueue) len() int { return len(q.items) + len(q.far) + len(q.now) - q.head }

// moved records that the entry of timer slot t (0: no timer) now sits at
// i. Callers pass the timer of the entry they copied from, not read it back
// from the copy just stored, which would wait for the store.
func (q *eventQueue) moved(t uint32, i int) {
	if t != 0 {
		*q.timers.At(int32(t - 1)) = int32(i)
	}
}

// next returns the earliest entry, and whether it is now's first (else it
// is the heap's root); nil when the queue is empty.
func (q *eventQueue) next() (*entry, bool) {
	if len(q.far) > 0 && (len(q.items) == 0 || q.items[0].at >= q.horizon) {
		q.advance()
	}
	if q.head < len(q.now) {
		if f := &q.now[q.head]; len(q.items) == 0 || f.before(&q.items[0]) {
			return f, true
		}
	}
	if len(q.items) == 0 {
		return nil, false
	}
	return &q.items[0], false
}

// takeNow moves now's first entry into dst.
func (q *eventQueue) takeNow(dst *entry) {
	*dst = q.now[q.head]
	switch q.head++; {
	case q.head == len(q.now):
		q.now, q.head = q.now[:0], 0
	case q.head >= 1024 && 2*q.head >= len(q.now): // a long burst at one instant
		q.now = q.now[:copy(q.now, q.now[q.head:])]
		q.head = 0
	}
}

// pushNow adds an event due at the current instant, which no other event
// scheduled from now on can precede.
func (q *eventQueue) pushNow(at Time, sh uint64, kind uint32, a, b int64) {
	q.now = append(q.now, entry{at: at, sh: sh, kind: kind, a: a, b: b})
}

// advance moves the horizon past the earliest entry of the heap and far,
// and the far timers due before it into the heap. far must not be empty.
func (q *eventQueue) advance() {
	var base Time
	if len(q.items) > 0 {
		base = q.items[0].at
	} else {
		base = q.far[0].at
		for i := range q.far {
			base = min(base, q.far[i].at)
		}
	}
	q.horizon = base + q.window
	for i := 0; i < len(q.far); {
		if e := &q.far[i]; e.at < q.horizon {
			q.push(e.at, e.sh, e.kind, e.a, e.b, e.timer)
			q.removeFar(i)
			continue
		}
		i++
	}
}

// removeFar deletes far[i], moving the last far timer into its place.
func (q *eventQueue) removeFar(i int) {
	n := len(q.far) - 1
	if i < n {
		q.far[i] = q.far[n]
		*q.timers.At(int32(q.far[i].timer - 1)) = int32(-1 - i)
	}
	q.far = q.far[:n]
}

// pushFar adds a timer due at or after the horizon to far.
func (q *eventQueue) pushFar(at Time, sh uint64, kind uint32, a, b int64, timer uint32) {
	q.far = append(q.far, entry{at: at, sh: sh, kind: kind, a: a, b: b, timer: timer})
	*q.timers.At(int32(timer - 1)) = int32(-len(q.far))
}

// entryAt returns the entry at pos, a timer's position.
func (q *eventQueue) entryAt(pos int32) *entry {
	if pos < 0 {
		return &q.far[-1-pos]
	}
	return &q.items[pos]
}

// removeAt deletes the entry at pos, a timer's position.
func (q *eventQueue) removeAt(pos int32) {
	if pos < 0 {
		q.removeFar(int(-1 - pos))
		return
	}
	q.remove(int(pos))
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
		q.moved(pe.timer, i)
		i = p
	}
	e := &items[i]
	e.at, e.sh, e.kind, e.a, e.b, e.timer = at, sh, kind, a, b, timer
	if timer != 0 {
		*q.timers.At(int32(timer - 1)) = int32(i)
	}
}

// popInto moves the heap's root into dst. The heap must not be empty.
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
		q.moved(items[m].timer, i)
		i = m
	}
	items[i] = *x
	q.moved(x.timer, i)
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
		q.moved(items[p].timer, i)
		i = p
	}
	items[i] = *x
	q.moved(x.timer, i)
}
