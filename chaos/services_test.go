package chaos

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"faultline/scenarios"
)

// TestChainPlanMapsTheCascade: the cascade scenario's services become
// the chain's (the load's target first), its latency fault a latency
// toxic on the requests of every link into tier3, its crash a crash, all
// on the scaled schedule; the breaker variant's breaker is carried over.
func TestChainPlanMapsTheCascade(t *testing.T) {
	sc, err := scenarios.Load("cascade")
	require.NoError(t, err)
	c, err := sc.Case("breaker")
	require.NoError(t, err)
	cfg, rc, notes, err := chainPlan(c.Scenario, 7, 0.1)
	require.NoError(t, err)
	var names []string
	for _, s := range cfg.Services {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"gateway", "tier1", "tier2", "tier3"}, names)
	tier2 := cfg.Services[2]
	require.Len(t, tier2.Calls, 1)
	assert.Equal(t, "tier3", tier2.Calls[0].Target)
	assert.Equal(t, 100*time.Millisecond, tier2.Calls[0].Timeout)
	require.NotNil(t, tier2.Calls[0].Breaker)
	assert.True(t, tier2.Calls[0].Fallback)
	assert.Equal(t, 200.0, rc.Load.Rate)
	assert.Equal(t, 24*time.Second, rc.Load.Duration)
	require.Len(t, rc.Faults, 2)
	lat := rc.Faults[0]
	assert.Equal(t, "tier2->tier3", lat.Link)
	assert.Equal(t, "upstream", lat.Stream)
	assert.Equal(t, int64(1000), lat.Attributes["latency"])
	assert.Equal(t, 6*time.Second, lat.At)
	assert.Equal(t, 6*time.Second, lat.For)
	assert.Equal(t, "crash", rc.Faults[1].Type)
	assert.Equal(t, "tier3", rc.Faults[1].Service)
	assert.NotEmpty(t, notes, "the unapplied links and the time scale are noted")
}

// TestChainPlanRefusesWhatIsNotReal: settings the chain cannot run are
// refused as having no real counterpart.
func TestChainPlanRefusesWhatIsNotReal(t *testing.T) {
	for _, name := range []string{"strangler", "saga", "async", "mesh"} {
		sc, err := scenarios.Load(name)
		require.NoError(t, err)
		c, err := sc.Case(sc.VariantNames()[len(sc.VariantNames())-1])
		require.NoError(t, err)
		_, _, _, err = chainPlan(c.Scenario, 1, 1)
		assert.True(t, errors.Is(err, ErrNoRealCounterpart), "%s: %v", name, err)
	}
}
