package timeline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/faultline-sim/faultline/scenarios"
)

func TestStopWindow(t *testing.T) {
	w := NewWindow(scenarios.Stop{ErrorRate: 0.5, Over: time.Second, MinRequests: 4})
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	w.Add(ms(100), true)
	w.Add(ms(200), true)
	w.Add(ms(300), true)
	tripped, rate := w.Tripped(ms(300))
	assert.False(t, tripped, "3 requests are fewer than min_requests")
	assert.Equal(t, 1.0, rate)
	w.Add(ms(400), false)
	tripped, rate = w.Tripped(ms(400))
	assert.True(t, tripped, "3 of 4 failed")
	assert.Equal(t, 0.75, rate)
	for i := 5; i <= 12; i++ {
		w.Add(ms(100*i), false)
	}
	tripped, rate = w.Tripped(ms(1250))
	assert.False(t, tripped, "the failures at 100 ms and 200 ms left the window; 1 of 10 failed")
	assert.InDelta(t, 0.1, rate, 1e-9)
	tripped, _ = w.Tripped(ms(5000))
	assert.False(t, tripped, "an empty window never trips")
	// Exactly the threshold does not trip: more than error_rate does.
	w = NewWindow(scenarios.Stop{ErrorRate: 0.5})
	for i := range 10 {
		w.Add(ms(i), i%2 == 0)
	}
	tripped, _ = w.Tripped(ms(10))
	assert.False(t, tripped)
}
