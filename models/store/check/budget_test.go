package check

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/store"
	"github.com/faultline-sim/faultline/sim"
)

// replicatedHistory draws a history like a Dynamo-style store's under a
// partition: clients whose ops overlap, a register per key that each
// write changes at a point inside its interval, writes whose client timed
// out (outcome Unknown; half of them took effect), and, on the keys in
// stale, reads that sometimes return the value before the last write.
func replicatedHistory(seed uint64, keys, opsPerKey int, stale map[int]bool) store.History {
	rng := rand.New(rand.NewPCG(seed, 7))
	var h store.History
	for k := range keys {
		value, prev := int64(0), int64(0)
		now := sim.Time(0)
		for i := range opsPerKey {
			inv := now + sim.Time(rng.IntN(20))
			ret := inv + sim.Time(10+rng.IntN(60))
			now += 10
			r := store.Record{Client: i % 6, Key: k, Invoke: inv, Return: ret}
			switch u := rng.Float64(); {
			case u < 0.55:
				r.Kind, r.Out = store.Get, value
				if stale[k] && rng.IntN(10) == 0 {
					r.Out = prev
				}
			case u < 0.9:
				r.Kind, r.Value = store.Put, int64(k)<<32|int64(i+1)
				if rng.IntN(4) == 0 {
					r.Outcome = store.Unknown
					if rng.IntN(2) == 0 {
						break // timed out, never applied
					}
				}
				prev, value = value, r.Value
			default:
				r.Kind, r.Expect, r.Value = store.CAS, value, int64(k)<<32|int64(i+1)
				r.Out = 1
				prev, value = value, r.Value
			}
			h = append(h, r)
		}
	}
	return h
}

// TestCheckerUnderSlowdown runs the checker on a history where the budget
// decides some keys' verdicts, once as usual and once on one core shared
// with goroutines that burn CPU: the verdicts, the metrics and the page
// must be the same bytes. (With porcupine's wall-clock timeout, which the
// checker used to have, they were not.)
func TestCheckerUnderSlowdown(t *testing.T) {
	h := replicatedHistory(3, 8, 160, map[int]bool{1: true, 5: true})
	c := Checker{Steps: 5_000}
	check := func() (Linearizability, map[string]float64, []byte) {
		metrics, lin := c.Metrics(h)
		var page bytes.Buffer
		require.NoError(t, c.WritePage(&page, h, lin))
		return lin, metrics, page.Bytes()
	}
	lin, metrics, page := check()
	t.Logf("%+v", lin)
	require.NotEmpty(t, lin.UnknownKeys, "the history must exhaust the budget on some keys")
	require.NotEmpty(t, lin.IllegalKeys)
	require.Less(t, len(lin.IllegalKeys)+len(lin.UnknownKeys), lin.Keys, "some keys must be linearizable")

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
			}
		})
	}
	slowLin, slowMetrics, slowPage := check()
	close(stop)
	wg.Wait()
	assert.Equal(t, lin, slowLin)
	assert.Equal(t, metrics, slowMetrics)
	assert.True(t, bytes.Equal(page, slowPage), "the page changed under load")
}
