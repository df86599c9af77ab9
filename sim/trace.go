package sim

import (
	"bufio"
	"io"
	"math/bits"
	"strconv"
)

const hashInit uint64 = 0xcbf29ce484222325

// mixWord folds one word into the running hash: cheap enough to run for
// every event, strong enough that any difference in a trace shows.
func mixWord(h, x uint64) uint64 {
	h ^= x
	h *= 0x9e3779b97f4a7c15
	return h ^ (h >> 29)
}

// mixEvent hashes the fields of an event in two independent lanes, so the
// multiplications overlap, and then folds both into the running hash. The
// insertion sequence is left out: it is implied by the order of events.
func mixEvent(h uint64, e *entry) uint64 {
	x := (uint64(e.at) ^ (uint64(e.handler())<<32|uint64(e.kind))*0xff51afd7ed558ccd) * 0xc4ceb9fe1a85ec53
	y := (uint64(e.a) ^ bits.RotateLeft64(uint64(e.b), 32)*0x9e3779b97f4a7c15) * 0xd6e8feb86659fd93
	return mixWord(h, x^bits.RotateLeft64(y, 29))
}

// traceWriter writes one JSON object per line for every event and record:
//
//	{"n":12,"t":1500000,"h":"station/0","kind":"arrive","a":3,"b":0}
//
// t is in nanoseconds of virtual time; records carry "rec":true.
type traceWriter struct {
	w   *bufio.Writer
	buf []byte
	err error
}

// SetTrace writes the trace as JSON lines to w from now on (nil stops it).
// Call Flush before reading what was written.
func (k *Kernel) SetTrace(w io.Writer) {
	if w == nil {
		k.trace = nil
		return
	}
	k.trace = &traceWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

// Flush writes any buffered trace lines and returns the first write error.
func (k *Kernel) Flush() error {
	if k.trace == nil {
		return nil
	}
	if err := k.trace.w.Flush(); err != nil && k.trace.err == nil {
		k.trace.err = err
	}
	return k.trace.err
}

func (t *traceWriter) write(k *Kernel, e *entry) { t.line(k, e, false) }

func (t *traceWriter) writeRecord(k *Kernel, e *entry) { t.line(k, e, true) }

func (t *traceWriter) line(k *Kernel, e *entry, rec bool) {
	b := t.buf[:0]
	b = append(b, `{"n":`...)
	b = strconv.AppendUint(b, k.dispatched, 10)
	b = append(b, `,"t":`...)
	b = appendTime(b, e.at)
	b = append(b, `,"h":`...)
	b = strconv.AppendQuote(b, k.HandlerName(e.handler()))
	b = append(b, `,"kind":`...)
	b = appendKind(b, k.handlers[e.handler()], e.kind)
	b = append(b, `,"a":`...)
	b = strconv.AppendInt(b, e.a, 10)
	b = append(b, `,"b":`...)
	b = strconv.AppendInt(b, e.b, 10)
	if rec {
		b = append(b, `,"rec":true`...)
	}
	b = append(b, "}\n"...)
	if _, err := t.w.Write(b); err != nil && t.err == nil {
		t.err = err
	}
	t.buf = b
}

func appendKind(b []byte, h Handler, kind uint32) []byte {
	if n, ok := h.(KindNamer); ok {
		return strconv.AppendQuote(b, n.KindName(kind))
	}
	return strconv.AppendUint(b, uint64(kind), 10)
}
