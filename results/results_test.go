package results

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const s = time.Second
const ms = time.Millisecond

func newRec(t *testing.T) *Recorder {
	r, err := NewRecorder(RecorderConfig{Phases: PhasesOf(10*s, []Window{{4 * s, 6 * s}})})
	require.NoError(t, err)
	return r
}

func TestRecorderSplitsPhasesByIntendedStart(t *testing.T) {
	r := newRec(t)
	r.Observe(1*s, 1*s+10*ms, OK)       // before
	r.Observe(3900*ms, 4100*ms, OK)     // before: intended start counts, not end
	r.Observe(4*s, 5*s, Timeout)        // during
	r.Observe(5*s, 5*s+20*ms, Rejected) // during
	r.Observe(7*s, 7*s+30*ms, OK)       // after
	run := r.Finish()
	get := func(p Phase) Summary { s, ok := run.Phase(p); require.True(t, ok); return s }
	assert.Equal(t, int64(5), get(All).Requests)
	assert.Equal(t, int64(2), get(Before).OK)
	during := get(During)
	assert.Equal(t, int64(2), during.Requests)
	assert.Equal(t, int64(1), during.Timeouts)
	assert.Equal(t, int64(1), during.Rejected)
	assert.Equal(t, 0.0, during.Availability)
	assert.Equal(t, 2.0, during.Seconds)
	assert.Equal(t, 1.0, get(After).Availability)
	assert.InDelta(t, 0.6, get(All).Availability, 1e-12)
	assert.InDelta(t, 0.3, get(All).Goodput, 1e-12, "3 ok in 10 s")
	assert.InDelta(t, 1000, during.LatencyAll.Max, 1, "timeouts count at their deadline in the all-requests figure")
	assert.True(t, math.IsNaN(during.Latency.P50), "nothing succeeded during: no latency, never a fast one")
	assert.InDelta(t, 0.5, during.FastFailures, 1e-12, "the rejected request failed fast")
	all := get(All)
	assert.InDelta(t, 200, all.Latency.Max, 1, "the headline counts successful requests only")
	assert.InDelta(t, 1000, all.LatencyAll.Max, 1)
}

// TestRejectionsDoNotFlatterLatency: a design that refuses most requests
// at once must not look faster than one that serves them all slowly.
func TestRejectionsDoNotFlatterLatency(t *testing.T) {
	slow, refusing := newRec(t), newRec(t)
	for i := range 100 {
		start := time.Duration(i) * 10 * ms
		slow.Observe(start, start+100*ms, OK)
		if i%10 == 0 {
			refusing.Observe(start, start+100*ms, OK)
		} else {
			refusing.Observe(start, start+100*time.Microsecond, Rejected)
		}
	}
	ra, rb := slow.Finish(), refusing.Finish()
	a, _ := ra.Phase(All)
	b, _ := rb.Phase(All)
	assert.InDelta(t, a.Latency.P50, b.Latency.P50, 1, "p50 of successful requests: both 100 ms")
	assert.Less(t, b.LatencyAll.P50, 1.0, "the all-requests p50 of the refusing design is the refusals'")
	assert.InDelta(t, 0.9, b.FastFailures, 1e-12)
}

func TestJSONWritesUndefinedAsNull(t *testing.T) {
	r := newRec(t)
	r.Observe(0, 5*s, Timeout)
	run := r.Finish()
	b, err := json.Marshal(run)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"latency":{"p50_ms":null`)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	for _, f := range []float64{0, 1, 0.5, 1e-7, 123456789, 1e21, -3.25} {
		got, err := json.Marshal(Stat{Mean: f})
		require.NoError(t, err)
		want, _ := json.Marshal(f)
		assert.Contains(t, string(got), `"mean":`+string(want)+`,`, "finite values keep encoding/json's bytes")
	}
}

func TestRecorderLatencyPercentilesMatchExactOnes(t *testing.T) {
	r, err := NewRecorder(RecorderConfig{Phases: PhasesOf(100*s, nil)})
	require.NoError(t, err)
	// latencies 1..10000 ms, one each: p50 = 5000, p99 = 9900 (3 digits).
	for i := 1; i <= 10000; i++ {
		start := time.Duration(i) * 10 * ms
		r.Observe(start, start+time.Duration(i)*ms, OK)
	}
	run := r.Finish()
	all, _ := run.Phase(All)
	assert.InDelta(t, 5000, all.Latency.P50, 5)
	assert.InDelta(t, 9900, all.Latency.P99, 10)
	assert.InDelta(t, 10000, all.Latency.Max, 10)
	assert.InDelta(t, 5000.5, all.Latency.Mean, 5)
}

func TestRecorderSeries(t *testing.T) {
	r := newRec(t)
	for i := range 100 {
		r.Observe(2*s+time.Duration(i)*ms, 2*s+time.Duration(i)*ms+50*ms, OK)
	}
	r.Observe(2*s, 3500*ms, Error) // ends in interval 3
	r.Set("queue_depth", "requests", 2500*ms, 7)
	r.Set("queue_depth", "requests", 2900*ms, 9) // the last value wins
	r.Add("retries", "retries", 2*s, 2)
	r.Add("retries", "retries", 2100*ms, 3)
	run := r.Finish()
	assert.Equal(t, 101.0, run.SeriesNamed("offered").Values[2])
	assert.Equal(t, 100.0, run.SeriesNamed("goodput").Values[2])
	assert.Equal(t, 1.0, run.SeriesNamed("errors").Values[3])
	assert.InDelta(t, 50, run.SeriesNamed("p99").Values[2], 1)
	assert.True(t, math.IsNaN(run.SeriesNamed("p99").Values[3]), "no successful request ended in interval 3: no p99, not 0 and not the failure's")
	assert.Equal(t, 9.0, run.SeriesNamed("queue_depth").Values[2])
	assert.Equal(t, 5.0, run.SeriesNamed("retries").Values[2])
	assert.Len(t, run.SeriesNamed("throughput").Values, 10)
}

func TestRecorderRejectsBadConfig(t *testing.T) {
	_, err := NewRecorder(RecorderConfig{})
	assert.EqualError(t, err, "phases.load: must be > 0, got 0s")
	_, err = NewRecorder(RecorderConfig{Phases: PhaseWindows{Load: s, During: Window{2 * s, 3 * s}}})
	assert.EqualError(t, err, "phases.during: [2s, 3s] must lie in [0, load 1s] with start <= end")
	_, err = NewRecorder(RecorderConfig{Phases: PhasesOf(s, nil), Interval: -s})
	assert.EqualError(t, err, "interval: must be >= 0 (0 = 1s), got -1s")
}

func TestAggregateGivesMeanAndStudentTInterval(t *testing.T) {
	var runs []Run
	for i, avail := range []float64{0.90, 0.92, 0.94} {
		r := newRec(t)
		ok := int(avail * 100)
		for j := range 100 {
			o := OK
			if j >= ok {
				o = Error
			}
			r.Observe(time.Duration(j)*10*ms, time.Duration(j)*10*ms+ms, o)
		}
		run := r.Finish()
		run.Variant, run.Seed = "v", uint64(i+1)
		run.Metrics["stale_reads"] = float64(i)
		runs = append(runs, run)
	}
	v := Aggregate(runs)
	st, ok := v.Stat("availability", All)
	require.True(t, ok)
	// mean 0.92, sd 0.02, t(0.975, 2) = 4.303: half-width 4.303*0.02/sqrt(3).
	assert.InDelta(t, 0.92, st.Mean, 1e-12)
	assert.InDelta(t, 4.303*0.02/math.Sqrt(3), st.Hi-st.Mean, 1e-3)
	assert.Equal(t, 3, st.N)
	stale, ok := v.Stat("stale_reads", All)
	require.True(t, ok)
	assert.Equal(t, 1.0, stale.Mean)
	assert.Equal(t, []uint64{1, 2, 3}, v.Seeds)
	require.NotEmpty(t, v.CDF)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"all.availability"`)
}

func TestRunValueNamesUnknownMetrics(t *testing.T) {
	run := newRec(t).Finish()
	_, err := run.Value("p99", During)
	assert.NoError(t, err)
	_, err = run.Value("p98", All)
	assert.ErrorContains(t, err, `unknown metric "p98"`)
}

func TestAggregateClipsIntervalsToPossibleValues(t *testing.T) {
	var runs []Run
	for i, ok := range []int{100, 100, 40} {
		r := newRec(t)
		for j := range 100 {
			o := OK
			if j >= ok {
				o = Error
			}
			r.Observe(time.Duration(j)*10*ms, time.Duration(j)*10*ms+ms, o)
		}
		run := r.Finish()
		run.Seed = uint64(i)
		runs = append(runs, run)
	}
	v := Aggregate(runs)
	st, _ := v.Stat("availability", All)
	assert.InDelta(t, 0.8, st.Mean, 1e-12)
	assert.Equal(t, 1.0, st.Hi, "a t interval over 3 seeds reaches past 1; availability cannot")
	assert.GreaterOrEqual(t, st.Lo, 0.0)
}
