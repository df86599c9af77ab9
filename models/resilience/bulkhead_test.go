package resilience

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestBulkheadDocumentedBehaviour(t *testing.T) {
	b, err := NewBulkhead(BulkheadConfig{MaxConcurrent: 2, MaxWaiting: 1})
	require.NoError(t, err)
	assert.Equal(t, Admitted, b.Acquire())
	assert.Equal(t, Admitted, b.Acquire())
	assert.Equal(t, Queued, b.Acquire())
	assert.Equal(t, Rejected, b.Acquire())
	assert.Equal(t, uint64(1), b.Rejected())
	assert.True(t, b.Release(), "the slot passes to the waiting call")
	assert.Equal(t, 2, b.Active())
	assert.Equal(t, 0, b.Waiting())
	assert.False(t, b.Release())
	assert.Equal(t, 1, b.Active())
	assert.Equal(t, Admitted, b.Acquire())
	assert.Equal(t, Queued, b.Acquire())
	b.Abandon()
	assert.Equal(t, Queued, b.Acquire(), "an abandoned place is free again")
	assert.Equal(t, "admitted queued rejected", Admitted.String()+" "+Queued.String()+" "+Rejected.String())

	noWait, err := NewBulkhead(BulkheadConfig{MaxConcurrent: 1})
	require.NoError(t, err)
	assert.Equal(t, Admitted, noWait.Acquire())
	assert.Equal(t, Rejected, noWait.Acquire(), "max_waiting 0 rejects at once")
	noWait.Release()
	assert.Panics(t, func() { noWait.Release() })
	assert.Panics(t, noWait.Abandon)
}

// TestBulkheadBounds: active never exceeds max_concurrent, waiting never
// exceeds max_waiting, and a call is rejected only when both are full.
func TestBulkheadBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := BulkheadConfig{MaxConcurrent: rapid.IntRange(1, 5).Draw(t, "max_concurrent"), MaxWaiting: rapid.IntRange(0, 5).Draw(t, "max_waiting")}
		b, err := NewBulkhead(cfg)
		require.NoError(t, err)
		for range rapid.IntRange(1, 200).Draw(t, "steps") {
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				full := b.Active() == cfg.MaxConcurrent && b.Waiting() == cfg.MaxWaiting
				if got := b.Acquire(); (got == Rejected) != full {
					t.Fatalf("Acquire %v with %d active, %d waiting", got, b.Active(), b.Waiting())
				}
			case 1:
				if b.Active() > 0 {
					b.Release()
				}
			case 2:
				if b.Waiting() > 0 {
					b.Abandon()
				}
			}
			if b.Active() > cfg.MaxConcurrent || b.Waiting() > cfg.MaxWaiting || (b.Waiting() > 0 && b.Active() < cfg.MaxConcurrent) {
				t.Fatalf("%d active, %d waiting with %+v", b.Active(), b.Waiting(), cfg)
			}
		}
	})
}

func TestBulkheadConfig(t *testing.T) {
	var c BulkheadConfig
	c.SetDefaults()
	assert.Equal(t, BulkheadConfig{MaxConcurrent: 25}, c)
	for _, tc := range []struct {
		cfg  BulkheadConfig
		want string
	}{
		{BulkheadConfig{MaxConcurrent: -1}, "max_concurrent: must be >= 1, got -1"},
		{BulkheadConfig{MaxWaiting: -1}, "max_waiting: must be >= 0 (0 rejects instead of waiting), got -1"},
	} {
		_, err := NewBulkhead(tc.cfg)
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error())
		assert.ErrorIs(t, err, ErrConfig)
	}
}
