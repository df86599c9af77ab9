package resilience

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestBudgetDocumentedBehaviour follows Envoy's RetryBudget docs: "if
// there are 100 active requests and the budget_percent is set to 25,
// there may be 25 active retries", and the limit never goes below
// min_retry_concurrency.
func TestBudgetDocumentedBehaviour(t *testing.T) {
	cases := []struct {
		name     string
		cfg      BudgetConfig
		requests int
		want     int
	}{
		{"defaults, idle: the floor", BudgetConfig{}, 0, 3},
		{"defaults, 10 active: 20% is 2, floor 3", BudgetConfig{}, 10, 3},
		{"defaults, 100 active: 20%", BudgetConfig{}, 100, 20},
		{"Envoy's example: 25% of 100", BudgetConfig{BudgetPercent: 25}, 100, 25},
		{"rounds down", BudgetConfig{BudgetPercent: 25, MinRetryConcurrency: 1}, 7, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewBudget(tc.cfg)
			require.NoError(t, err)
			for range tc.requests {
				b.BeginRequest()
			}
			assert.Equal(t, tc.want, b.Max())
			started := 0
			for b.BeginRetry() {
				started++
			}
			// Each retry is an active request too, so the budget grows
			// as retries start.
			assert.GreaterOrEqual(t, started, tc.want)
			assert.False(t, b.AllowRetry())
			assert.Equal(t, started, b.Retries())
			b.EndRetry()
			assert.True(t, b.AllowRetry(), "a finished retry frees its place")
		})
	}
}

// TestBudgetNeverExceeded: every retry starts with the retries in flight
// below max(min_retry_concurrency, budget_percent × active requests).
func TestBudgetNeverExceeded(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := BudgetConfig{
			BudgetPercent:       rapid.Float64Range(0.5, 100).Draw(t, "budget_percent"),
			MinRetryConcurrency: rapid.IntRange(1, 5).Draw(t, "min_retry_concurrency"),
		}
		b, err := NewBudget(cfg)
		require.NoError(t, err)
		requests, retries := 0, 0
		for range rapid.IntRange(1, 300).Draw(t, "steps") {
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0:
				b.BeginRequest()
				requests++
			case 1:
				if requests > 0 {
					b.EndRequest()
					requests--
				}
			case 2:
				limit := max(float64(cfg.MinRetryConcurrency), cfg.BudgetPercent/100*float64(requests+retries))
				if b.BeginRetry() {
					retries++
					if float64(retries) > math.Floor(limit) {
						t.Fatalf("retry %d started with %d active requests, limit %v", retries, requests+retries-1, limit)
					}
				} else if float64(retries+1) <= math.Floor(limit) {
					t.Fatalf("retry refused with %d retries, limit %v", retries, limit)
				}
			case 3:
				if retries > 0 {
					b.EndRetry()
					retries--
				}
			}
			require.Equal(t, requests+retries, b.Active())
		}
	})
}

func TestBudgetConfig(t *testing.T) {
	var c BudgetConfig
	c.SetDefaults()
	assert.Equal(t, BudgetConfig{BudgetPercent: 20, MinRetryConcurrency: 3}, c)
	for _, tc := range []struct {
		cfg  BudgetConfig
		want string
	}{
		{BudgetConfig{BudgetPercent: 120}, "budget_percent: must be in (0, 100] (percent of active requests), got 120"},
		{BudgetConfig{MinRetryConcurrency: -2}, "min_retry_concurrency: must be >= 1, got -2"},
	} {
		_, err := NewBudget(tc.cfg)
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error())
		assert.ErrorIs(t, err, ErrConfig)
	}
	b, err := NewBudget(BudgetConfig{})
	require.NoError(t, err)
	assert.Panics(t, b.EndRequest)
	assert.Panics(t, b.EndRetry)
}
