package chain

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/results"
)

// roundTripper answers every request with code and records when (in the
// bubble's fake time) each attempt was sent.
type roundTripper struct {
	code  int
	mu    sync.Mutex
	times []time.Time
}

func (rt *roundTripper) RoundTrip(*http.Request) (*http.Response, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.times = append(rt.times, time.Now())
	return &http.Response{StatusCode: rt.code, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}}, nil
}

// TestRetryDelaysExact: under a fake clock the gaps between attempts are
// exactly the delays resilience.Retry draws from the call's seeded
// stream (PCG(seed, call index + 1)), for every back-off and jitter.
func TestRetryDelaysExact(t *testing.T) {
	for _, b := range []resilience.Backoff{
		{Kind: resilience.BackoffExponential, Jitter: resilience.JitterFull},
		{Kind: resilience.BackoffExponential, Jitter: resilience.JitterEqual, Base: 10 * time.Millisecond},
		{Kind: resilience.BackoffEnvoy, Jitter: resilience.JitterFull, Base: 25 * time.Millisecond, Cap: 250 * time.Millisecond},
		{Kind: resilience.BackoffConstant, Jitter: resilience.JitterDecorrelated, Base: 20 * time.Millisecond, Cap: time.Second},
	} {
		t.Run(b.Kind+"/"+b.Jitter, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const seed = 42
				retry := &resilience.RetryConfig{MaxAttempts: 6, Backoff: b}
				s, err := NewService(ServiceConfig{Name: "a", Seed: seed, Calls: []CallConfig{{Target: "b", Addrs: []string{"127.0.0.1:9"}, Retry: retry}}})
				require.NoError(t, err)
				rt := &roundTripper{code: http.StatusInternalServerError}
				s.calls[0].client.Transport = rt
				o, _ := s.calls[0].do(context.Background())
				assert.Equal(t, results.Error, o)

				cfg := s.cfg.Calls[0].Retry
				policy, err := resilience.NewRetry(*cfg)
				require.NoError(t, err)
				rng := rand.New(rand.NewPCG(seed, 1))
				require.Len(t, rt.times, 6)
				var prev, total time.Duration
				for n := 1; n < 6; n++ {
					want := policy.Delay(n, prev, rng)
					prev, total = want, total+want
					assert.Equal(t, want, rt.times[n].Sub(rt.times[n-1]), "gap before attempt %d (seed %d)", n+1, seed)
				}
				assert.Equal(t, int64(total), s.Status().Calls[0].BackoffNs)
			})
		})
	}
}

// TestRetryBudgetLimitsRetries: with Envoy's budget floor of 1 retry in
// flight, of two calls failing at once only one may retry while the
// other's retry is in flight.
func TestRetryBudgetLimitsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		retry := &resilience.RetryConfig{MaxAttempts: 2, Backoff: resilience.Backoff{Kind: "constant", Base: time.Second, Jitter: "none"},
			Budget: &resilience.BudgetConfig{BudgetPercent: 1, MinRetryConcurrency: 1}}
		s, err := NewService(ServiceConfig{Name: "a", Calls: []CallConfig{{Target: "b", Addrs: []string{"127.0.0.1:9"}, Retry: retry}}})
		require.NoError(t, err)
		s.calls[0].client.Transport = &roundTripper{code: http.StatusInternalServerError}
		done := make(chan struct{})
		for range 2 {
			go func() { s.calls[0].do(context.Background()); done <- struct{}{} }()
		}
		<-done
		<-done
		cs := s.Status().Calls[0]
		assert.Equal(t, uint64(1), cs.Retries)
		assert.Equal(t, uint64(1), cs.RetriesDenied)
		assert.Equal(t, uint64(3), cs.Attempts)
	})
}
