package check

import (
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"pgregory.net/rapid"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

func TestMissedWrite(t *testing.T) {
	tests := []struct {
		name   string
		h      store.History
		missed bool
	}{
		{"read of the previous value after a later write completed", store.History{
			put(0, 1, 10, 0, 1), put(0, 1, 11, 2, 3), get(1, 1, 10, 4, 5),
		}, true},
		{"read of the initial value after a write completed", store.History{
			put(0, 1, 10, 0, 1), get(1, 1, 0, 2, 3),
		}, true},
		{"read of a value nothing writes", store.History{
			put(0, 1, 10, 0, 1), get(1, 1, 12, 2, 3),
		}, true},
		{"read of a value written only after it returned", store.History{
			get(1, 1, 10, 0, 1), with(put(0, 1, 10, 2, 3), store.Unknown),
		}, true},
		{"cas that swapped an overwritten value", store.History{
			put(0, 1, 10, 0, 1), put(0, 1, 11, 2, 3), cas(1, 1, 10, 12, true, 4, 5),
		}, true},
		{"the later write is concurrent with the read", store.History{
			put(0, 1, 10, 0, 1), put(0, 1, 11, 2, 4), get(1, 1, 10, 4, 5),
		}, false},
		{"the later write is concurrent with the first", store.History{
			put(0, 1, 10, 0, 2), put(0, 1, 11, 2, 3), get(1, 1, 10, 4, 5),
		}, false},
		{"the read value has an unknown write: it may land late", store.History{
			with(put(0, 1, 10, 0, 1), store.Unknown), put(0, 1, 11, 2, 3), get(1, 1, 10, 4, 5),
		}, false},
		{"two writes of the read value", store.History{
			put(0, 1, 10, 0, 1), put(0, 1, 11, 2, 3), put(2, 1, 10, 0, 9), get(1, 1, 10, 4, 5),
		}, false},
		{"the later write is a cas that did not swap", store.History{
			put(0, 1, 10, 0, 1), cas(0, 1, 9, 11, false, 2, 3), get(1, 1, 10, 4, 5),
		}, false},
		{"the later write failed", store.History{
			put(0, 1, 10, 0, 1), with(put(0, 1, 11, 2, 3), store.Failed), get(1, 1, 10, 4, 5),
		}, false},
		{"linearizable", store.History{
			get(1, 1, 0, 0, 1), put(0, 1, 10, 0, 1), put(0, 1, 11, 2, 3), get(1, 1, 11, 4, 5),
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := operations(tt.h)
			assert.Equal(t, tt.missed, missedWrite(ops))
			if tt.missed {
				assert.False(t, porcupine.CheckOperations(registerModel, ops), "porcupine must agree")
			}
		})
	}
}

// TestMissedWriteIsAProof: on small random histories of one key, with
// repeated values, concurrent ops and every outcome, a missed write is
// only ever reported where porcupine, unbounded, finds the history
// illegal.
func TestMissedWriteIsAProof(t *testing.T) {
	var proofs int
	rapid.Check(t, func(t *rapid.T) {
		var h store.History
		for i := range rapid.IntRange(1, 8).Draw(t, "ops") {
			inv := sim.Time(rapid.IntRange(0, 20).Draw(t, "invoke"))
			r := store.Record{Client: i % 3, Key: 1, Invoke: inv, Return: inv + sim.Time(rapid.IntRange(0, 6).Draw(t, "latency")),
				Kind:    store.OpKind(rapid.IntRange(0, 2).Draw(t, "kind")),
				Value:   int64(rapid.IntRange(1, 3).Draw(t, "value")),
				Expect:  int64(rapid.IntRange(0, 3).Draw(t, "expect")),
				Out:     int64(rapid.IntRange(0, 3).Draw(t, "out")),
				Outcome: store.Outcome(rapid.IntRange(0, 2).Draw(t, "outcome")),
			}
			if r.Kind == store.CAS {
				r.Out %= 2
			}
			h = append(h, r)
		}
		ops := operations(h)
		if len(ops) > 0 && missedWrite(ops) {
			proofs++
			if porcupine.CheckOperations(registerModel, ops) {
				t.Fatalf("missedWrite on a linearizable history: %+v", h)
			}
		}
	})
	assert.Positive(t, proofs, "no history had a missed write: the property checked nothing")
}
