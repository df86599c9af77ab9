package sim

import (
	"fmt"
	"time"
)

// HandlerID names a registered Handler. The zero HandlerID is never
// registered, so a zero Target means "no event".
type HandlerID uint32

const (
	noHandler   HandlerID = 0
	funcHandler HandlerID = 1 // runs closures scheduled with AtFunc/AfterFunc
)

// Event is what a Handler receives: the time it fires (always the kernel's
// Now), and the kind and arguments it was scheduled with. Their meaning is
// the handler's own; typically Kind is a small enum and A, B index the
// handler's tables.
type Event struct {
	At   Time
	Kind uint32
	A, B int64
}

// Handler reacts to events. Models register one handler each and keep a
// pointer to the kernel to schedule what happens next.
type Handler interface {
	HandleEvent(ev Event)
}

// KindNamer is optionally implemented by a Handler to name its event kinds
// in the JSON trace.
type KindNamer interface {
	KindName(kind uint32) string
}

// Target is an event to schedule later, e.g. the delivery of a message.
// The zero Target means none.
type Target struct {
	H    HandlerID
	Kind uint32
	A, B int64
}

// Valid reports whether t names a handler.
func (t Target) Valid() bool { return t.H != noHandler }

// Timer identifies a cancellable scheduled event. The zero Timer is never
// pending.
type Timer struct {
	h Handle // its slot in the queue's timer table, in the generation armed
}

// Kernel is the discrete-event simulator. It is not safe for concurrent use:
// a run is one goroutine; parallelism comes from running many kernels.
type Kernel struct {
	now     Time
	seq     uint64
	q       eventQueue
	cur     entry // the event being dispatched (kept off the stack, see push)
	stopped bool

	handlers []Handler // by HandlerID; apart from names, so the table dispatch reads stays small
	names    []string
	funcs    funcTable

	seed    uint64
	streams map[string]*streamEntry

	hash       uint64
	dispatched uint64
	trace      *traceWriter
}

// New returns a kernel at time 0 whose random streams derive from seed.
func New(seed uint64) *Kernel {
	k := &Kernel{seed: seed, hash: hashInit, streams: map[string]*streamEntry{}}
	k.handlers, k.names = []Handler{nil, &k.funcs}, []string{"none", "func"}
	k.q.items = make([]entry, 0, 64)
	k.q.window = farWindow
	return k
}

// Seed returns the root seed the kernel was created with.
func (k *Kernel) Seed() uint64 { return k.seed }

// Now returns the current virtual time.
func (k *Kernel) Now() Time { return k.now }

// Register adds a handler and returns its ID. Names appear in traces; they
// should be stable (e.g. "service/checkout/instance-3").
func (k *Kernel) Register(name string, h Handler) HandlerID {
	if h == nil {
		panic("sim: Register with nil handler")
	}
	if len(k.handlers) > maxHandlers {
		panic("sim: too many handlers")
	}
	k.handlers, k.names = append(k.handlers, h), append(k.names, name)
	return HandlerID(len(k.handlers) - 1)
}

// HandlerName returns the name a handler was registered with.
func (k *Kernel) HandlerName(id HandlerID) string {
	if int(id) >= len(k.handlers) {
		return fmt.Sprintf("handler#%d", id)
	}
	return k.names[id]
}

// Schedule arranges for handler h to receive an event at time at. Scheduling
// in the past is a broken invariant and panics.
func (k *Kernel) Schedule(at Time, h HandlerID, kind uint32, a, b int64) {
	k.push(at, h, kind, a, b)
}

// After is Schedule at Now()+d.
func (k *Kernel) After(d time.Duration, h HandlerID, kind uint32, a, b int64) {
	k.push(k.now.Add(d), h, kind, a, b)
}

// ScheduleTarget schedules a Target at time at; an invalid Target is ignored.
func (k *Kernel) ScheduleTarget(at Time, t Target) {
	if t.Valid() {
		k.push(at, t.H, t.Kind, t.A, t.B)
	}
}

// ScheduleTimer is Schedule, returning a Timer that Cancel can revoke.
func (k *Kernel) ScheduleTimer(at Time, h HandlerID, kind uint32, a, b int64) Timer {
	k.check(at, h)
	slot := k.q.timers.Alloc()
	k.seq++
	if at >= k.q.horizon {
		k.q.pushFar(at, k.seq<<handlerBits|uint64(h), kind, a, b, uint32(slot)+1)
	} else {
		k.q.push(at, k.seq<<handlerBits|uint64(h), kind, a, b, uint32(slot)+1)
	}
	return Timer{h: k.q.timers.Handle(slot)}
}

// AfterTimer is ScheduleTimer at Now()+d.
func (k *Kernel) AfterTimer(d time.Duration, h HandlerID, kind uint32, a, b int64) Timer {
	return k.ScheduleTimer(k.now.Add(d), h, kind, a, b)
}

// AtFunc runs fn at time at. Closures allocate; prefer handlers on hot paths.
func (k *Kernel) AtFunc(at Time, fn func()) Timer {
	return k.ScheduleTimer(at, funcHandler, 0, int64(k.funcs.put(fn)), 0)
}

// AfterFunc runs fn after d.
func (k *Kernel) AfterFunc(d time.Duration, fn func()) Timer {
	return k.AtFunc(k.now.Add(d), fn)
}

// Cancel revokes a pending timer, removing its event from the queue. It
// reports whether the timer was still pending; cancelling a fired or
// already cancelled timer is a no-op.
func (k *Kernel) Cancel(t Timer) bool {
	slot, ok := k.q.timers.Lookup(t.h)
	if !ok {
		return false
	}
	pos := *k.q.timers.At(slot)
	if e := k.q.entryAt(pos); e.handler() == funcHandler {
		k.funcs.take(int(e.a)) // release the closure
	}
	k.q.removeAt(pos)
	k.q.timers.Free(slot)
	return true
}

// Pending reports whether t is scheduled and has neither fired nor been
// cancelled.
func (k *Kernel) Pending(t Timer) bool {
	_, ok := k.q.timers.Lookup(t.h)
	return ok
}

// Len returns the number of scheduled events.
func (k *Kernel) Len() int { return k.q.len() }

// push schedules an event that cannot be cancelled.
func (k *Kernel) push(at Time, h HandlerID, kind uint32, a, b int64) {
	k.check(at, h)
	k.seq++
	if at == k.now {
		k.q.pushNow(at, k.seq<<handlerBits|uint64(h), kind, a, b)
		return
	}
	k.q.push(at, k.seq<<handlerBits|uint64(h), kind, a, b, 0)
}

// check panics on an event scheduled in the past or for no handler.
func (k *Kernel) check(at Time, h HandlerID) {
	if at < k.now || int(h) >= len(k.handlers) || h == noHandler {
		k.badEvent(at, h)
	}
}

func (k *Kernel) badEvent(at Time, h HandlerID) {
	if int(h) >= len(k.handlers) || h == noHandler {
		panic(fmt.Sprintf("sim: schedule for unregistered handler %d", h))
	}
	panic(fmt.Sprintf("sim: event for %s scheduled at %v, before now %v", k.HandlerName(h), at, k.now))
}

// Step runs the next event, if any, and reports whether one ran.
func (k *Kernel) Step() bool { return k.step(MaxTime) }

// step runs the next event if it is due at or before t.
func (k *Kernel) step(t Time) bool {
	q, e := &k.q, &k.cur
	if len(q.far) > 0 && (len(q.items) == 0 || q.items[0].at >= q.horizon) {
		q.advance()
	}
	// next and take, written out: this runs for every event.
	switch {
	case q.head < len(q.now) && (len(q.items) == 0 || q.now[q.head].before(&q.items[0])):
		if q.now[q.head].at > t {
			return false
		}
		q.takeNow(e)
	case len(q.items) == 0 || q.items[0].at > t:
		return false
	default:
		q.popInto(e)
	}
	if e.timer != 0 {
		k.q.timers.Free(int32(e.timer - 1)) // it fires: no longer pending
	}
	k.dispatch(e)
	return true
}

func (k *Kernel) dispatch(e *entry) {
	k.now = e.at
	k.dispatched++
	k.hash = mixEvent(k.hash, e)
	if k.trace != nil {
		k.trace.write(k, e)
	}
	k.handlers[e.handler()].HandleEvent(Event{At: e.at, Kind: e.kind, A: e.a, B: e.b})
}

// Stop makes the current Run, RunUntil or RunWhile return after the event
// being handled.
func (k *Kernel) Stop() { k.stopped = true }

// Run runs events until none are left or Stop is called.
func (k *Kernel) Run() {
	k.stopped = false
	for !k.stopped && k.Step() {
	}
}

// RunUntil runs every event at or before t, then advances the clock to t
// (unless Stop was called first). Later events stay scheduled.
func (k *Kernel) RunUntil(t Time) {
	k.stopped = false
	for !k.stopped && k.step(t) {
	}
	if !k.stopped && t > k.now {
		k.now = t
	}
}

// RunBatch runs the events due at or before t, at most n of them, and
// returns how many ran (fewer than n when none is left before t or Stop
// was called). Unlike RunUntil it leaves the clock at the last event run,
// and unlike RunWhile it asks nothing of the caller per event: a run that
// must be cancellable checks between batches.
func (k *Kernel) RunBatch(t Time, n int) int {
	k.stopped = false
	i := 0
	for i < n && !k.stopped && k.step(t) {
		i++
	}
	return i
}

// RunWhile runs events while cond() holds (checked before each event) and
// events remain.
func (k *Kernel) RunWhile(cond func() bool) {
	k.stopped = false
	for !k.stopped && cond() && k.Step() {
	}
}

// NextAt returns the time of the earliest scheduled event, and false when
// none is scheduled.
func (k *Kernel) NextAt() (Time, bool) {
	if e, _ := k.q.next(); e != nil {
		return e.at, true
	}
	return 0, false
}

// Dispatched returns the number of events run so far.
func (k *Kernel) Dispatched() uint64 { return k.dispatched }

// Hash returns the running hash of every event dispatched and every Record
// made so far. Equal hashes mean equal traces.
func (k *Kernel) Hash() uint64 { return k.hash }

// Record folds a fact that is not an event (e.g. a request's outcome) into
// the trace and its hash, attributed to handler h.
func (k *Kernel) Record(h HandlerID, kind uint32, a, b int64) {
	e := entry{at: k.now, sh: uint64(h), kind: kind, a: a, b: b}
	k.hash = mixEvent(k.hash, &e)
	if k.trace != nil {
		k.trace.writeRecord(k, &e)
	}
}
