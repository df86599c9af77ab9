package service

// queue holds the requests waiting at an instance in a ring buffer that
// doubles when full, so a queue that has reached its working size never
// allocates again. It serves either end: the oldest (FIFO) or the newest
// (LIFO).
type queue struct {
	buf  []Request
	head int // index of the oldest
	n    int
}

func (q *queue) len() int { return q.n }

func (q *queue) push(r Request) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)%len(q.buf)] = r
	q.n++
}

// popOldest removes the oldest request; the caller checks len first.
func (q *queue) popOldest() Request {
	r := q.buf[q.head]
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return r
}

// popNewest removes the newest request; the caller checks len first.
func (q *queue) popNewest() Request {
	q.n--
	return q.buf[(q.head+q.n)%len(q.buf)]
}

// grow doubles the buffer (16 at first), unrolling the ring so the oldest
// is at index 0.
func (q *queue) grow() {
	buf := make([]Request, max(16, 2*len(q.buf)))
	if q.n > 0 {
		k := copy(buf, q.buf[q.head:])
		copy(buf[k:], q.buf[:q.head])
	}
	q.buf, q.head = buf, 0
}
