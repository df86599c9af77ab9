package check

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// Record builders: client c, key k, invoked at inv, returned at ret.
func put(c, k int, v int64, inv, ret sim.Time) store.Record {
	return store.Record{Client: c, Kind: store.Put, Key: k, Value: v, Invoke: inv, Return: ret}
}

func get(c, k int, out int64, inv, ret sim.Time) store.Record {
	return store.Record{Client: c, Kind: store.Get, Key: k, Out: out, Invoke: inv, Return: ret}
}

func cas(c, k int, expect, v int64, swapped bool, inv, ret sim.Time) store.Record {
	r := store.Record{Client: c, Kind: store.CAS, Key: k, Expect: expect, Value: v, Invoke: inv, Return: ret}
	if swapped {
		r.Out = 1
	}
	return r
}

func with(r store.Record, o store.Outcome) store.Record { r.Outcome = o; return r }

func TestLinearizable(t *testing.T) {
	tests := []struct {
		name    string
		h       store.History
		verdict Verdict
		illegal []int
	}{
		{"sequential", store.History{
			get(0, 1, 0, 0, 1), put(0, 1, 10, 2, 3), get(1, 1, 10, 4, 5),
			put(1, 2, 20, 4, 6), put(0, 1, 11, 7, 8), get(0, 2, 20, 9, 10), get(1, 1, 11, 9, 10),
		}, VerdictLinearizable, nil},
		{"stale read after acknowledged write", store.History{
			put(0, 1, 10, 0, 1), put(0, 1, 11, 2, 3), get(1, 1, 10, 4, 5),
			put(0, 2, 20, 0, 1), get(1, 2, 20, 4, 5),
		}, VerdictIllegal, []int{1}},
		{"concurrent ops linearizable in some order", store.History{
			put(0, 1, 10, 0, 10), put(1, 1, 11, 1, 9), get(2, 1, 10, 2, 12), get(3, 1, 10, 11, 13),
		}, VerdictLinearizable, nil},
		{"unknown put, later read of its value", store.History{
			put(0, 1, 10, 0, 1), with(put(1, 1, 11, 2, 3), store.Unknown), get(2, 1, 11, 4, 5),
		}, VerdictLinearizable, nil},
		{"unknown put, later read of the old value", store.History{
			put(0, 1, 10, 0, 1), with(put(1, 1, 11, 2, 3), store.Unknown), get(2, 1, 10, 4, 5),
		}, VerdictLinearizable, nil},
		{"unknown put, new then old value", store.History{
			put(0, 1, 10, 0, 1), with(put(1, 1, 11, 2, 3), store.Unknown),
			get(2, 1, 11, 4, 5), get(2, 1, 10, 6, 7),
		}, VerdictIllegal, []int{1}},
		{"failed put read later", store.History{
			put(0, 1, 10, 0, 1), with(put(1, 1, 11, 2, 3), store.Failed), get(2, 1, 11, 4, 5),
		}, VerdictIllegal, []int{1}},
		{"failed put ignored", store.History{
			put(0, 1, 10, 0, 1), with(put(1, 1, 11, 2, 3), store.Failed), get(2, 1, 10, 4, 5),
		}, VerdictLinearizable, nil},
		{"cas swaps when expected", store.History{
			put(0, 1, 10, 0, 1), cas(0, 1, 10, 11, true, 2, 3), cas(1, 1, 10, 12, false, 4, 5), get(1, 1, 11, 6, 7),
		}, VerdictLinearizable, nil},
		{"cas cannot swap an unexpected value", store.History{
			put(0, 1, 10, 0, 1), cas(0, 1, 9, 11, true, 2, 3),
		}, VerdictIllegal, []int{1}},
		{"cas cannot fail on the expected value", store.History{
			put(0, 1, 10, 0, 1), cas(0, 1, 10, 11, false, 2, 3),
		}, VerdictIllegal, []int{1}},
		{"cas on absent", store.History{
			cas(0, 3, 0, 30, true, 0, 1), get(0, 3, 30, 2, 3),
		}, VerdictLinearizable, nil},
		{"unknown cas may apply", store.History{
			put(0, 1, 10, 0, 1), with(cas(0, 1, 10, 11, false, 2, 3), store.Unknown), get(1, 1, 11, 4, 5),
		}, VerdictLinearizable, nil},
		{"unknown cas may not apply", store.History{
			put(0, 1, 10, 0, 1), with(cas(0, 1, 10, 11, false, 2, 3), store.Unknown), get(1, 1, 10, 4, 5),
		}, VerdictLinearizable, nil},
		{"two illegal keys", store.History{
			put(0, 5, 50, 0, 1), get(0, 5, 0, 2, 3), put(0, 4, 40, 0, 1), get(0, 4, 0, 2, 3),
		}, VerdictIllegal, []int{4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Checker{}.Linearizable(tt.h)
			assert.Equal(t, tt.verdict, res.Verdict)
			assert.Equal(t, tt.illegal, res.IllegalKeys)
			assert.Empty(t, res.UnknownKeys)
			// porcupine's search alone agrees on every key, so the
			// missed-write proof only ever spares it work.
			for _, part := range partitionByKey(operations(tt.h)) {
				key := part[0].Input.(regInput).Key
				s := Checker{}.search(part, false)
				assert.Equal(t, slices.Contains(tt.illegal, key), s.result == porcupine.Illegal, "key %d", key)
			}
		})
	}
}

func TestLinearizableCounts(t *testing.T) {
	h := store.History{
		put(0, 1, 10, 0, 1),
		with(put(1, 1, 11, 2, 3), store.Unknown),
		with(get(1, 1, 0, 2, 3), store.Unknown), // dropped: constrains nothing
		with(put(1, 2, 20, 2, 3), store.Failed), // dropped: not applied
		get(0, 2, 0, 4, 5),
	}
	res := Checker{}.Linearizable(h)
	assert.Positive(t, res.Steps)
	res.Steps = 0
	assert.Equal(t, Linearizability{Verdict: VerdictLinearizable, Keys: 2, Ops: 3, UnknownOps: 1}, res)

	assert.Equal(t, Linearizability{Verdict: VerdictLinearizable}, Checker{}.Linearizable(nil))
}

func TestStale(t *testing.T) {
	ms := func(n int) sim.Time { return sim.Time(n) * sim.Time(time.Millisecond) }
	tests := []struct {
		name string
		h    store.History
		want Staleness
	}{
		{"no reads", nil, Staleness{KHist: []int{0}}},
		{"fresh reads", store.History{
			get(0, 1, 0, ms(0), ms(1)), put(0, 1, 10, ms(2), ms(3)), get(0, 1, 10, ms(4), ms(5)),
		}, Staleness{Reads: 2, KHist: []int{2}}},
		{"one version behind", store.History{
			put(0, 1, 10, ms(0), ms(1)), put(0, 1, 11, ms(2), ms(3)), get(1, 1, 10, ms(7), ms(8)),
		}, Staleness{Reads: 1, StaleReads: 1, MaxK: 1, KHist: []int{0, 1},
			MaxTVisibility: 4 * time.Millisecond, MeanTVisibility: 4 * time.Millisecond}},
		{"absent after three writes, and one behind", store.History{
			put(0, 1, 10, ms(0), ms(1)), put(0, 1, 11, ms(2), ms(3)), cas(0, 1, 11, 12, true, ms(4), ms(5)),
			get(1, 1, 0, ms(7), ms(8)), get(1, 1, 11, ms(9), ms(10)), get(1, 1, 12, ms(9), ms(10)),
		}, Staleness{Reads: 3, StaleReads: 2, MaxK: 3, KHist: []int{1, 1, 0, 1},
			MaxTVisibility: 4 * time.Millisecond, MeanTVisibility: 3 * time.Millisecond}},
		{"concurrent, unknown, failed and unacknowledged writes count as fresh", store.History{
			put(0, 1, 10, ms(0), ms(1)),
			put(0, 1, 11, ms(2), ms(9)), get(1, 1, 11, ms(3), ms(4)), // concurrent write
			with(put(2, 1, 12, ms(2), ms(3)), store.Unknown), get(1, 1, 12, ms(5), ms(6)),
			with(put(2, 1, 13, ms(2), ms(3)), store.Failed), get(1, 1, 13, ms(5), ms(6)),
			with(cas(2, 1, 0, 14, false, ms(2), ms(3)), store.OK), get(1, 1, 14, ms(5), ms(6)), // cas that did not swap
		}, Staleness{Reads: 4, KHist: []int{4}}},
		{"write returning when the read starts is not in A", store.History{
			put(0, 1, 10, ms(0), ms(1)), put(0, 1, 11, ms(2), ms(5)), get(1, 1, 10, ms(5), ms(6)),
		}, Staleness{Reads: 1, KHist: []int{1}}},
		{"failed and unknown gets are not reads", store.History{
			put(0, 1, 10, ms(0), ms(1)), with(get(1, 1, 0, ms(2), ms(3)), store.Failed),
			with(get(1, 1, 0, ms(2), ms(3)), store.Unknown),
		}, Staleness{KHist: []int{0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Stale(tt.h))
		})
	}
}

func TestLostWrites(t *testing.T) {
	h := store.History{
		put(0, 1, 10, 0, 1), put(0, 1, 11, 2, 3), // key 1: 11 should be final
		put(0, 2, 20, 0, 1), put(1, 2, 21, 0, 2), // key 2: concurrent, either may be final
		put(0, 3, 30, 0, 1), with(put(1, 3, 31, 2, 3), store.Unknown), // key 3: 30, or 31 if it applied
		put(0, 4, 40, 0, 1), with(put(1, 4, 41, 2, 3), store.Failed), // key 4: 40
		put(0, 5, 50, 0, 1), cas(0, 5, 50, 51, true, 2, 3), cas(1, 5, 50, 52, false, 4, 5), // key 5: 51
	}
	tests := []struct {
		name  string
		final map[int]int64
		lost  int
		keys  []int
	}{
		{"converged correctly", map[int]int64{1: 11, 2: 20, 3: 30, 4: 40, 5: 51}, 0, nil},
		{"other concurrent write and unknown write", map[int]int64{1: 11, 2: 21, 3: 31, 4: 40, 5: 51}, 0, nil},
		{"rolled back", map[int]int64{1: 10, 2: 20, 3: 30, 4: 40, 5: 50}, 2, []int{1, 5}},
		{"failed write applied, concurrent pair lost", map[int]int64{1: 11, 2: 0, 3: 30, 4: 41, 5: 51}, 3, []int{2, 4}},
		{"all absent", map[int]int64{}, 6, []int{1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lost, keys := LostWrites(h, tt.final)
			assert.Equal(t, tt.lost, lost)
			assert.Equal(t, tt.keys, keys)
		})
	}
}

func TestAvailability(t *testing.T) {
	h := store.History{
		put(0, 1, 10, 0, 1), with(put(1, 1, 11, 5, 6), store.Failed), get(1, 1, 10, 6, 7),
		with(get(2, 1, 0, 9, 20), store.Unknown), put(2, 1, 12, 10, 11), get(1, 1, 12, 12, 13),
	}
	minority := func(c int) bool { return c >= 1 }
	all := func(int) bool { return true }
	tests := []struct {
		name      string
		client    func(int) bool
		w         Window
		kind      []store.OpKind
		ok, total int
	}{
		{"everything", all, Window{0, 100}, nil, 4, 6},
		{"minority during the window", minority, Window{5, 10}, nil, 1, 3},
		{"minority writes", minority, Window{5, 10}, []store.OpKind{store.Put, store.CAS}, 0, 1},
		{"end is exclusive", all, Window{0, 9}, nil, 2, 3},
		{"start is inclusive", all, Window{10, 12}, []store.OpKind{store.Put}, 1, 1},
		{"empty", all, Window{50, 60}, nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, total := Availability(h, tt.client, tt.w, tt.kind...)
			assert.Equal(t, [2]int{tt.ok, tt.total}, [2]int{ok, total})
		})
	}
}

// sequential draws a history of a correct register: ops one after another
// on a few keys, with distinct written values. It always ends with two
// puts and a read on key 0 so that some read has an older value to return.
func sequential(t *rapid.T) store.History {
	var h store.History
	state := map[int]int64{}
	next := int64(1)
	now := sim.Time(0)
	add := func(r store.Record) {
		r.Invoke, r.Return = now, now+sim.Time(rapid.IntRange(1, 100).Draw(t, "latency"))
		now = r.Return + sim.Time(rapid.IntRange(1, 100).Draw(t, "gap"))
		h = append(h, r)
	}
	n := rapid.IntRange(0, 40).Draw(t, "ops")
	for range n {
		c, k := rapid.IntRange(0, 3).Draw(t, "client"), rapid.IntRange(0, 2).Draw(t, "key")
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			add(get(c, k, state[k], 0, 0))
		case 1:
			add(put(c, k, next, 0, 0))
			state[k], next = next, next+1
		case 2:
			expect := state[k]
			if rapid.Bool().Draw(t, "mismatch") {
				expect = -1
			}
			swapped := expect == state[k]
			add(cas(c, k, expect, next, swapped, 0, 0))
			if swapped {
				state[k] = next
			}
			next++
		}
	}
	add(put(0, 0, next, 0, 0))
	add(put(0, 0, next+1, 0, 0))
	add(get(1, 0, next+1, 0, 0))
	return h
}

func TestSequentialRegisterProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := sequential(t)
		res := Checker{}.Linearizable(h)
		require.Equal(t, VerdictLinearizable, res.Verdict)
		require.Zero(t, Stale(h).StaleReads)

		// Corrupt one read to return a value acknowledged before the one it read.
		var candidates [][2]int // read index, older value
		for i, r := range h {
			if r.Kind != store.Get {
				continue
			}
			for _, w := range h[:i] {
				if isAckedWrite(w) && w.Key == r.Key && w.Value < r.Out {
					candidates = append(candidates, [2]int{i, int(w.Value)})
				}
			}
		}
		c := rapid.SampledFrom(candidates).Draw(t, "corruption")
		h[c[0]].Out = int64(c[1])
		res = Checker{}.Linearizable(h)
		require.Equal(t, VerdictIllegal, res.Verdict)
		require.Equal(t, []int{h[c[0]].Key}, res.IllegalKeys)
		require.Equal(t, 1, Stale(h).StaleReads)
	})
}

// TestLinearizableBudget gives porcupine one step per key on a history of
// many overlapping ops: it must never call a linearizable history illegal,
// and must list every key it could not decide.
func TestLinearizableBudget(t *testing.T) {
	var h store.History
	for i := range 200 {
		k, v := i%4, int64(i+1)
		h = append(h, put(i%8, k, v, sim.Time(i), sim.Time(i+50)))
		h = append(h, get(i%8, k, v, sim.Time(i+1), sim.Time(i+60)))
	}
	res := Checker{Steps: 1}.Linearizable(h)
	assert.Equal(t, VerdictUnknown, res.Verdict)
	assert.Empty(t, res.IllegalKeys)
	assert.Equal(t, []int{0, 1, 2, 3}, res.UnknownKeys)
	assert.Equal(t, 4, res.Steps, "one step per key")

	res = Checker{}.Linearizable(h)
	assert.Equal(t, VerdictLinearizable, res.Verdict)
	assert.Empty(t, res.UnknownKeys)
}

// TestStaleOverlappingWrites: of two overlapping writes, either may be
// linearized last, so a read after both that returns the one acknowledged
// first is not stale; a write that began after v's write returned
// certainly overwrote it.
func TestStaleOverlappingWrites(t *testing.T) {
	ms := func(n int) sim.Time { return sim.Time(n) * sim.Time(time.Millisecond) }
	h := store.History{
		put(0, 1, 10, ms(0), ms(10)), // acknowledged last...
		put(1, 1, 11, ms(1), ms(5)),  // ...but may have been applied last
		get(2, 1, 11, ms(11), ms(12)),
		get(2, 1, 10, ms(13), ms(14)),
	}
	res := Checker{}.Linearizable(h)
	require.Equal(t, VerdictIllegal, res.Verdict, "11 then 10 cannot both be the latest")
	assert.Equal(t, Staleness{Reads: 2, KHist: []int{2}}, Stale(h), "each read alone is legitimate")

	h = store.History{
		put(0, 1, 10, ms(0), ms(2)), put(1, 1, 11, ms(3), ms(5)), get(2, 1, 10, ms(6), ms(7)),
	}
	assert.Equal(t, 1, Stale(h).StaleReads, "11 began after 10 was acknowledged")
}

// TestLinearizableHistoriesHaveNoStaleReads draws concurrent histories of
// one register that are linearizable by construction (each operation takes
// effect at a point inside its interval) and checks that none of their
// reads counts as stale: the definition must not contradict
// linearizability.
func TestLinearizableHistoriesHaveNoStaleReads(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 20).Draw(t, "ops")
		type op struct {
			rec   store.Record
			point int64
		}
		ops := make([]op, n)
		for i := range ops {
			inv := rapid.Int64Range(0, 100).Draw(t, "invoke")
			dur := rapid.Int64Range(1, 12).Draw(t, "duration")
			point := inv + rapid.Int64Range(0, dur).Draw(t, "point")
			kind := store.Put
			if rapid.Bool().Draw(t, "read") {
				kind = store.Get
			}
			// Points are made distinct so the linearization is a total order.
			ops[i] = op{store.Record{Client: i, Kind: kind, Key: 0, Invoke: sim.Time(inv * 1000), Return: sim.Time((inv + dur) * 1000)}, point*1000 + int64(i)}
			ops[i].rec.Invoke += sim.Time(i)
			ops[i].rec.Return += sim.Time(i) + 1
		}
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return ops[order[a]].point < ops[order[b]].point })
		var cur, next int64 = 0, 1
		for _, i := range order {
			if ops[i].rec.Kind == store.Put {
				ops[i].rec.Value = next
				cur, next = next, next+1
			} else {
				ops[i].rec.Out = cur
			}
		}
		h := make(store.History, n)
		for i := range ops {
			h[i] = ops[i].rec
		}
		res := Checker{}.Linearizable(h)
		// The search is bounded in steps: a very concurrent history may be
		// undecided, never illegal.
		require.NotEqual(t, VerdictIllegal, res.Verdict)
		require.Zero(t, Stale(h).StaleReads, "a linearizable history has no stale read")
	})
}

// TestPageShowsTheKeysThatMatter: with PageKeys, the page holds that many
// keys, the non-linearizable ones first, and is smaller than the full one.
func TestPageShowsTheKeysThatMatter(t *testing.T) {
	var h store.History
	for k := range 6 {
		v := int64(10 * (k + 1))
		h = append(h, put(0, k, v, 0, 1), get(1, k, v, 2, 3))
	}
	h = append(h, put(0, 4, 99, 4, 5), get(1, 4, 50, 6, 7)) // key 4 reads an overwritten value
	c := Checker{PageKeys: 2}
	lin := c.Linearizable(h)
	require.Equal(t, []int{4}, lin.IllegalKeys)
	var full, small bytes.Buffer
	require.NoError(t, Checker{}.WritePage(&full, h, lin))
	require.NoError(t, c.WritePage(&small, h, lin))
	assert.Less(t, small.Len(), full.Len())
	page := small.String()
	assert.Equal(t, 2, strings.Count(page, `"History":`), "two keys on the page")
	assert.True(t, strings.Contains(page, "put(k4, 99)"), "the non-linearizable key is on it")
	assert.False(t, strings.Contains(page, "put(k5, 60)"), "a linearizable key beyond the first is not")
}
