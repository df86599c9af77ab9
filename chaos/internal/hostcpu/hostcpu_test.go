package hostcpu

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	c, ok := parse("cpu  658582 0 138164 4725881 2888 0 12462 46744 0 0")
	require.True(t, ok)
	assert.Equal(t, uint64(658582+138164+12462+46744), c.busy)
	assert.Equal(t, uint64(658582+138164+4725881+2888+12462+46744), c.total)
	for _, bad := range []string{"", "cpu0 1 2 3 4 5", "cpu 1 2 x 4 5", "intr 1 2 3 4 5"} {
		_, ok := parse(bad)
		assert.False(t, ok, "%q", bad)
	}
	b, ok := busy(counters{busy: 10, total: 100}, counters{busy: 40, total: 160})
	assert.True(t, ok)
	assert.InDelta(t, 0.5, b, 1e-12)
	_, ok = busy(counters{busy: 10, total: 100}, counters{busy: 10, total: 100})
	assert.False(t, ok, "no time passed")
}

func TestSummary(t *testing.T) {
	mean, peak, above := Summary([]Sample{{Busy: 0.5}, {Busy: 1}, {Busy: 0.95}, {Busy: 0.15}}, 0.9)
	assert.InDelta(t, 0.65, mean, 1e-12)
	assert.Equal(t, 1.0, peak)
	assert.Equal(t, 0.5, above)
	mean, peak, above = Summary(nil, 0.9)
	assert.Zero(t, mean+peak+above)
}

// TestSamplerSeesABusyMachine: keeping every core busy for half a second
// shows as a high busy share.
func TestSamplerSeesABusyMachine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/stat")
	}
	s := New()
	start := time.Now()
	stop := make(chan struct{})
	for range runtime.NumCPU() {
		go func() {
			x := 0
			for {
				select {
				case <-stop:
					return
				default:
					x++
				}
			}
		}()
	}
	for range 6 {
		time.Sleep(100 * time.Millisecond)
		s.Sample(time.Since(start))
	}
	close(stop)
	samples := s.Samples()
	require.NotEmpty(t, samples)
	_, peak, _ := Summary(samples, 0.9)
	assert.Greater(t, peak, 0.8, "every core was spinning")
}
