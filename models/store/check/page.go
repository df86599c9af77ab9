package check

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/anishathalye/porcupine"

	"github.com/faultline-sim/faultline/models/store"
)

// WritePage writes porcupine's HTML view of history h to w: one panel per
// key shown (c.PageKeys of them, chosen with lin, c.Linearizable(h); the
// zero value is fine when every key is shown), one row per client, with
// the partial linearizations porcupine finds within c's step budget. The
// search runs again here, with porcupine's bookkeeping for pages, on the
// shown keys only, so that Linearizable does not pay for it. The records
// the check leaves out (Failed ones, and gets that never answered) are
// drawn as grey annotations on their client's row.
//
// The page is porcupine's own (its Visualize template, scripts and data
// format), but written as it is computed, key by key, instead of being
// built in memory first; and partial linearizations of the same length
// come in a fixed order (porcupine's come in map order), so the same
// history gives the same bytes.
func (c Checker) WritePage(w io.Writer, h store.History, lin Linearizability) error {
	halves, err := pageTemplate()
	if err != nil {
		return err
	}
	head, tail := halves[0], halves[1]
	parts := partitionByKey(operations(h))
	if keep := c.pageParts(parts, lin); len(keep) < len(parts) {
		h = onlyKeys(h, parts, keep)
		parts = partitionByKey(operations(h))
	}
	notes := dropped(h)
	times := timeIndex(parts, notes)
	bw := bufio.NewWriterSize(w, 64<<10)
	p := pageWriter{w: bw, times: times}
	bw.WriteString(head)
	bw.WriteString(`{"Partitions":[`)
	// Search a few keys at a time, then write them in key order, so that
	// only that many keys' partial linearizations are held at once.
	batch := runtime.GOMAXPROCS(0)
	for start := 0; start < len(parts); start += batch {
		group := parts[start:min(start+batch, len(parts))]
		partials := make([][][]int, len(group))
		eachPart(len(group), func(i int) { partials[i] = c.search(group[i], true).partials })
		for i, ops := range group {
			if start+i > 0 {
				bw.WriteByte(',')
			}
			p.partition(ops, partials[i])
		}
	}
	bw.WriteString(`],"Annotations":[`)
	for i, a := range notes {
		if i > 0 {
			bw.WriteByte(',')
		}
		p.annotation(a)
	}
	bw.WriteString(`]}`)
	bw.WriteString(tail)
	return bw.Flush()
}

// pageTemplate splits porcupine's page for an empty history around its
// data, so that a page can be streamed between the two halves.
var pageTemplate = sync.OnceValues(func() ([2]string, error) {
	var buf bytes.Buffer
	if err := porcupine.Visualize(registerModel, porcupine.LinearizationInfo{}, &buf); err != nil {
		return [2]string{}, err
	}
	const empty = `{"Partitions":[],"Annotations":[]}`
	head, tail, ok := strings.Cut(buf.String(), empty)
	if !ok || strings.Contains(tail, empty) {
		return [2]string{}, errors.New("check: porcupine's page has an unexpected layout")
	}
	return [2]string{head, tail}, nil
})

// timeIndex returns every time on the page (ops' calls and returns, and
// annotations' ends), sorted, without repeats.
func timeIndex(parts [][]porcupine.Operation, notes []porcupine.Annotation) []int64 {
	var all []int64
	for _, ops := range parts {
		for _, op := range ops {
			all = append(all, op.Call, op.Return)
		}
	}
	for _, a := range notes {
		all = append(all, a.Start, max(a.End, a.Start))
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// pageWriter writes the page's data in porcupine's JSON layout (the field
// names and order of its visualizationData, as encoding/json writes them).
type pageWriter struct {
	w       *bufio.Writer
	times   []int64 // from timeIndex
	num     []byte  // scratch for numbers
	scratch []byte  // scratch for descriptions
}

// at writes time t as porcupine draws it: its rank among the page's times
// times 100, small integers for the page's script, at least 100 apart.
func (p *pageWriter) at(t int64) {
	i, _ := slices.BinarySearch(p.times, t)
	p.int(int64(i) * 100)
}

func (p *pageWriter) str(s string) {
	writeJSONString(p.w, s)
}

func (p *pageWriter) int(v int64) {
	p.num = strconv.AppendInt(p.num[:0], v, 10)
	p.w.Write(p.num)
}

// partition writes one key: its ops (by index), the partial
// linearizations longest first (ties in order of their op indexes), each
// step with the register's value after it, and for each op the longest
// partial linearization that holds it.
func (p *pageWriter) partition(ops []porcupine.Operation, partials [][]int) {
	w := p.w
	w.WriteString(`{"History":[`)
	for i, op := range ops {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(`{"ClientId":`)
		p.int(int64(op.ClientId))
		w.WriteString(`,"Start":`)
		p.at(op.Call)
		w.WriteString(`,"OriginalStart":"`)
		p.int(op.Call)
		w.WriteString(`","End":`)
		p.at(op.Return)
		w.WriteString(`,"OriginalEnd":"`)
		p.int(op.Return)
		w.WriteString(`","Description":`)
		p.scratch = appendDescription(p.scratch[:0], op.Input.(regInput), op.Output.(regOutput))
		writeJSONString(w, p.scratch)
		w.WriteString(`,"Metadata":""}`)
	}
	w.WriteString(`],"PartialLinearizations":[`)
	slices.SortFunc(partials, func(a, b []int) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), slices.Compare(a, b))
	})
	largest := map[int]int{} // op index -> partial linearization
	for i, seq := range partials {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteByte('[')
		state := int64(0)
		for j, id := range seq {
			if _, ok := largest[id]; !ok {
				largest[id] = i
			}
			_, next := step(state, ops[id].Input.(regInput), ops[id].Output.(regOutput))
			state = next.(int64)
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteString(`{"Index":`)
			p.int(int64(id))
			w.WriteString(`,"StateDescription":"`)
			p.int(state)
			w.WriteString(`"}`)
		}
		w.WriteByte(']')
	}
	w.WriteString(`],"Largest":{`)
	// encoding/json writes a map's keys sorted as strings.
	ids := make([]string, 0, len(largest))
	for id := range largest {
		ids = append(ids, strconv.Itoa(id))
	}
	slices.Sort(ids)
	for i, id := range ids {
		if i > 0 {
			w.WriteByte(',')
		}
		n, _ := strconv.Atoi(id)
		w.WriteByte('"')
		w.WriteString(id)
		w.WriteString(`":`)
		p.int(int64(largest[n]))
	}
	w.WriteString(`}}`)
}

// annotation writes a as porcupine lays out an annotation.
func (p *pageWriter) annotation(a porcupine.Annotation) {
	w := p.w
	w.WriteString(`{"ClientId":`)
	p.int(int64(a.ClientId))
	w.WriteString(`,"Tag":`)
	p.str(a.Tag)
	w.WriteString(`,"Start":`)
	p.at(a.Start)
	w.WriteString(`,"End":`)
	p.at(max(a.End, a.Start))
	w.WriteString(`,"Description":`)
	p.str(a.Description)
	w.WriteString(`,"Details":`)
	p.str(a.Details)
	w.WriteString(`,"Annotation":true,"TextColor":`)
	p.str(a.TextColor)
	w.WriteString(`,"BackgroundColor":`)
	p.str(a.BackgroundColor)
	w.WriteByte('}')
}

// writeJSONString writes s as encoding/json does (HTML-safe): printable
// ASCII by hand, anything else through encoding/json itself.
func writeJSONString[S string | []byte](w *bufio.Writer, s S) {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x80 {
			b, _ := json.Marshal(string(s))
			w.Write(b)
			return
		}
	}
	w.WriteByte('"')
	for i := range len(s) {
		switch c := s[i]; c {
		case '"':
			w.WriteString(`\"`)
		case '\\':
			w.WriteString(`\\`)
		case '<':
			w.WriteString(`\u003c`)
		case '>':
			w.WriteString(`\u003e`)
		case '&':
			w.WriteString(`\u0026`)
		default:
			w.WriteByte(c)
		}
	}
	w.WriteByte('"')
}

// dropped annotates the records operations leaves out.
func dropped(h store.History) []porcupine.Annotation {
	var out []porcupine.Annotation
	for _, r := range h {
		if checked(r) {
			continue
		}
		op := operation(r)
		out = append(out, porcupine.Annotation{ClientId: r.Client,
			Start: int64(r.Invoke), End: int64(r.Return),
			Description:     describe(op.Input.(regInput), op.Output.(regOutput)),
			Details:         "not checked: outcome " + r.Outcome.String(),
			BackgroundColor: "#dddddd"})
	}
	return out
}

// pageParts returns the indexes of the parts (keys) the page shows, in
// key order: all of them, or c.PageKeys of them, the non-linearizable
// first, then the undecided, then the lowest.
func (c Checker) pageParts(parts [][]porcupine.Operation, lin Linearizability) []int {
	all := make([]int, len(parts))
	for i := range all {
		all[i] = i
	}
	if c.PageKeys <= 0 || len(parts) <= c.PageKeys {
		return all
	}
	rank := func(i int) int {
		key := parts[i][0].Input.(regInput).Key
		switch {
		case slices.Contains(lin.IllegalKeys, key):
			return 0
		case slices.Contains(lin.UnknownKeys, key):
			return 1
		}
		return 2
	}
	slices.SortStableFunc(all, func(a, b int) int { return cmp.Compare(rank(a), rank(b)) })
	keep := all[:c.PageKeys]
	slices.Sort(keep)
	return keep
}

// onlyKeys returns the records of h on the keys of the kept parts.
func onlyKeys(h store.History, parts [][]porcupine.Operation, keep []int) store.History {
	keys := map[int]bool{}
	for _, i := range keep {
		keys[parts[i][0].Input.(regInput).Key] = true
	}
	var out store.History
	for _, r := range h {
		if keys[r.Key] {
			out = append(out, r)
		}
	}
	return out
}
