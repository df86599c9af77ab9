package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// porcupinePage is the page porcupine itself writes for h, from one
// unbounded verbose check of every key.
func porcupinePage(t *testing.T, h store.History) []byte {
	_, info := porcupine.CheckOperationsVerbose(registerModel, operations(h), 0)
	info.AddAnnotations(dropped(h))
	var buf bytes.Buffer
	require.NoError(t, porcupine.Visualize(registerModel, info, &buf))
	return buf.Bytes()
}

// TestWritePageIsPorcupinesPage: on histories where porcupine finds one
// linearization per key, the streamed page is byte for byte the page
// porcupine.Visualize writes, annotations, HTML escaping and the order of
// map keys included.
func TestWritePageIsPorcupinesPage(t *testing.T) {
	var h store.History
	for i := range 60 { // 12 ops on each of 5 keys: op indexes past 10 sort as strings
		k, v := i%5, int64(i+1)
		h = append(h, put(i%3, k, v, sim.Time(i), sim.Time(i+2)))
		h = append(h, get((i+1)%3, k, v, sim.Time(i+3), sim.Time(i+4)))
	}
	h = append(h, with(put(1, 7, 70, 1, 2), store.Failed), with(get(2, 7, 0, 3, 9), store.Unknown),
		with(put(0, 8, 80, 5, 6), store.Unknown), get(1, 8, 80, 7, 8),
		cas(0, 9, 0, 90, true, 1, 2), cas(1, 9, 0, 91, false, 3, 4), with(cas(2, 9, 90, 92, false, 5, 6), store.Unknown))
	lin := Checker{}.Linearizable(h)
	require.Equal(t, VerdictLinearizable, lin.Verdict)
	var got bytes.Buffer
	require.NoError(t, Checker{}.WritePage(&got, h, lin))
	want := porcupinePage(t, h)
	assert.True(t, bytes.Equal(want, got.Bytes()), "pages differ:\n%s", firstDifference(want, got.Bytes()))
	assert.Contains(t, got.String(), `put(k1, 2) -\u003e ok`)
	assert.Contains(t, got.String(), "not checked: outcome failed")
	assert.Contains(t, got.String(), `cas(k9, 0, 91) -\u003e false`)
	assert.Contains(t, got.String(), `cas(k9, 90, 92) -\u003e ?`)
}

// TestWritePageSameDataAsPorcupine: on an illegal history, with several
// partial linearizations per key, the page holds porcupine's data; only
// the order of partial linearizations of the same length (map order in
// porcupine) is fixed.
func TestWritePageSameDataAsPorcupine(t *testing.T) {
	h := store.History{
		// Two concurrent puts, then two concurrent reads of either value:
		// each order of the puts explains one read.
		put(0, 1, 10, 0, 10), put(1, 1, 11, 0, 10), get(2, 1, 10, 11, 12), get(0, 1, 11, 11, 12),
		with(put(1, 2, 20, 2, 3), store.Failed), with(put(2, 2, 21, 2, 3), store.Unknown), get(0, 2, 21, 4, 5),
	}
	require.Equal(t, VerdictIllegal, Checker{}.Linearizable(h).Verdict)
	var got bytes.Buffer
	require.NoError(t, Checker{}.WritePage(&got, h, Linearizability{}))
	mine, theirs := pageData(t, got.Bytes()), pageData(t, porcupinePage(t, h))
	require.Len(t, mine.Partitions, len(theirs.Partitions))
	assert.Equal(t, theirs.Annotations, mine.Annotations)
	for i := range mine.Partitions {
		m, p := mine.Partitions[i], theirs.Partitions[i]
		assert.Equal(t, p.History, m.History)
		assert.ElementsMatch(t, p.PartialLinearizations, m.PartialLinearizations)
		for id, at := range m.Largest { // the longest partial holding each op
			assert.Equal(t, len(p.PartialLinearizations[p.Largest[id]]), len(m.PartialLinearizations[at]))
		}
		assert.Len(t, m.Largest, len(p.Largest))
	}
	assert.Greater(t, len(mine.Partitions[0].PartialLinearizations), 1, "the test needs several partial linearizations")
}

type pageJSON struct {
	Partitions []struct {
		History               []map[string]any
		PartialLinearizations [][]map[string]any
		Largest               map[string]int
	}
	Annotations []map[string]any
}

func pageData(t *testing.T, page []byte) pageJSON {
	halves, err := pageTemplate()
	require.NoError(t, err)
	s, ok := strings.CutPrefix(string(page), halves[0])
	require.True(t, ok)
	s, ok = strings.CutSuffix(s, halves[1])
	require.True(t, ok)
	var d pageJSON
	require.NoError(t, json.Unmarshal([]byte(s), &d))
	return d
}

func firstDifference(a, b []byte) string {
	i := 0
	for i < min(len(a), len(b)) && a[i] == b[i] {
		i++
	}
	return "want …" + string(a[max(0, i-40):min(len(a), i+80)]) + "\ngot  …" + string(b[max(0, i-40):min(len(b), i+80)])
}

func TestWriteJSONStringIsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "get(k1) -> 5", `a"b\c`, "<&>", "tab\there", "é", "\u2028", "\xff"} {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		writeJSONString(w, s)
		writeJSONString(w, []byte(s))
		require.NoError(t, w.Flush())
		want, _ := json.Marshal(s)
		assert.Equal(t, string(want)+string(want), buf.String(), "%q", s)
	}
}
