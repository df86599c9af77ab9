package check

import (
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"

	"github.com/stretchr/testify/assert"
)

func TestSideAvailabilitySplitsByClientAndWindow(t *testing.T) {
	s := sim.Time(time.Second)
	op := func(client int, at sim.Time, o store.Outcome) store.Record {
		return store.Record{Client: client, Kind: store.Get, Invoke: at, Return: at + 1, Outcome: o}
	}
	h := store.History{
		op(0, 1*s, store.OK), op(1, 1*s, store.OK), // before
		op(0, 3*s, store.OK), op(1, 3*s, store.Failed), // fault 1 [2s, 4s)
		op(0, 5*s, store.OK), op(1, 5*s, store.OK), // between the faults: neither during nor after
		op(0, 7*s, store.Unknown), op(1, 7*s, store.OK), // fault 2 [6s, 8s)
		op(0, 9*s, store.OK), // after
	}
	faults := []Window{{Start: int64(6 * s), End: int64(8 * s)}, {Start: int64(2 * s), End: int64(4 * s)}}
	got := SideAvailability(h, []string{"zone-a", "zone-b"}, faults, int64(10*s))
	assert.Equal(t, map[string]float64{
		"availability_before_zone_a": 1, "availability_before_zone_b": 1,
		"availability_during_zone_a": 0.5, "availability_during_zone_b": 0.5,
		"availability_after_zone_a":  1,
		"availability_fault1_zone_a": 0, "availability_fault1_zone_b": 1,
		"availability_fault2_zone_a": 1, "availability_fault2_zone_b": 0,
	}, got)
}

func TestMetricsNamesTheChecks(t *testing.T) {
	h := store.History{
		{Kind: store.Put, Key: 1, Value: 7, Invoke: 0, Return: 10, Outcome: store.OK},
		{Kind: store.Get, Key: 1, Out: 0, Invoke: 20, Return: 30, Outcome: store.OK}, // stale: misses the put
	}
	m, _ := Checker{}.Metrics(h)
	assert.Equal(t, 0.0, m["linearizable"])
	assert.Equal(t, 0.0, m["undecided_keys"])
	assert.Equal(t, 1.0, m["stale_reads"])
	assert.Equal(t, 1.0, m["stale_read_ratio"])
	assert.Equal(t, 1.0, m["nonlinearizable_keys"])
}
