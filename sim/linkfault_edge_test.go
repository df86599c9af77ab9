package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLinkFaultLossIsItsProbability: a loss fault of 0.2 drops a fifth of
// the messages, not four fifths (at 0.5, the rate TestLinkFaultLossAndBandwidth
// uses, a draw compared the wrong way round gives the same count).
func TestLinkFaultLossIsItsProbability(t *testing.T) {
	f := newNetFixture(t, 2, LinkConfig{})
	a, b := f.n[0], f.n[1]
	_, err := f.net.AddLinkFault(a, b, LinkFault{Loss: 0.2})
	require.NoError(t, err)
	const n = 20000
	for i := range n {
		f.send(a, b, 0, int64(i))
	}
	f.k.Run()
	// Binomial(2e4, 0.2): sd = 57; allow 5 sd.
	assert.InDelta(t, n/5, f.net.Stats().Lost, 285, "seed 1")
}

// TestLowestBandwidthWins: of the link's own bandwidth and those of its
// faults, the lowest paces the messages. A 1000-byte message takes 1 s at
// 1000 B/s whether the faults' other caps are higher or the link's own.
func TestLowestBandwidthWins(t *testing.T) {
	cases := []struct {
		name   string
		link   float64
		faults []float64
	}{
		{"two faults, the lower second", 0, []float64{4000, 1000}},
		{"two faults, the lower first", 0, []float64{1000, 4000}},
		{"the link's own is lower", 1000, []float64{4000}},
		{"the fault's is lower", 4000, []float64{1000}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newNetFixture(t, 2, LinkConfig{Bandwidth: c.link})
			a, b := f.n[0], f.n[1]
			for _, bw := range c.faults {
				_, err := f.net.AddLinkFault(a, b, LinkFault{Bandwidth: bw})
				require.NoError(t, err)
			}
			f.send(a, b, 1000, 1)
			f.k.Run()
			require.Len(t, f.rec.at, 1)
			assert.Equal(t, At(time.Second), f.rec.at[0])
		})
	}
}
