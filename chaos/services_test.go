package chaos

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/chaos/chain"
	"github.com/faultline-sim/faultline/scenarios"
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

// TestChainPlanMapsTheBalancerScenario: balancer.yaml's load balancer and
// outlier detection are passed to the load generator; its latency fault
// on api-1 slows that instance's proxy only, both ways; its black-hole
// isolation of api-2 is a timeout toxic with timeout 0 on both streams
// of the client's proxy to api-2, on the scaled schedule.
func TestChainPlanMapsTheBalancerScenario(t *testing.T) {
	sc, err := scenarios.Load("balancer")
	require.NoError(t, err)
	c, err := sc.Case("random")
	require.NoError(t, err)
	_, rc, _, err := chainPlan(c.Scenario, 3, 0.2)
	require.NoError(t, err)
	assert.Equal(t, "random", rc.Load.Balancer)
	assert.Nil(t, rc.Load.OutlierDetection)
	require.Len(t, rc.Faults, 4)
	for i, stream := range []string{"upstream", "downstream"} {
		lat := rc.Faults[i]
		assert.Equal(t, chain.Fault{Link: "client->api", Instances: []int{1}, Type: "latency", Stream: stream,
			Attributes: map[string]any{"latency": int64(100), "jitter": int64(0)}, Toxicity: 1, At: 6 * time.Second, For: 4 * time.Second}, lat)
		cut := rc.Faults[2+i]
		assert.Equal(t, chain.Fault{Link: "client->api", Instances: []int{2}, Type: "timeout", Stream: stream,
			Attributes: map[string]any{"timeout": 0}, At: 14 * time.Second, For: 4 * time.Second}, cut)
	}

	c, err = sc.Case("outlier-detection")
	require.NoError(t, err)
	_, rc, notes, err := chainPlan(c.Scenario, 3, 0.2)
	require.NoError(t, err)
	require.NotNil(t, rc.Load.OutlierDetection)
	assert.Equal(t, 5, rc.Load.OutlierDetection.ConsecutiveErrors)
	assert.Equal(t, 30*time.Second, rc.Load.OutlierDetection.BaseEjectionTime, "not scaled")
	assert.Contains(t, strings.Join(notes, "\n"), "outlier detection's interval and ejection times are not scaled")
}

// partitionScenario is client -> gateway -> api (2 instances) -> db with
// fault f.
func partitionScenario(t *testing.T, fault string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("partition.yaml", []byte(`name: partition
duration: 10s
topology:
  services:
    - {name: gateway, service_time: {kind: constant, value: 1ms}, calls: [{service: api}]}
    - {name: api, instances: 2, service_time: {kind: constant, value: 1ms}, calls: [{service: db}]}
    - {name: db, service_time: {kind: constant, value: 1ms}}
load:
  target: gateway
  open: {shape: constant, rps: 10}
faults:
  - `+fault+`
`))
	require.NoError(t, err)
	return sc
}

// TestChainPartition: a partition is cut on the proxies that cross it:
// black-hole as timeout toxics on the crossing streams (requests
// upstream, answers downstream; one_way only those from groups[0]),
// refuse as the crossing proxies down. Isolating one instance of a
// caller leaves its own calls (its service's proxies) alone with a note;
// groups that split a caller's instances are refused.
func TestChainPartition(t *testing.T) {
	hole := map[string]any{"timeout": 0}
	for _, tc := range []struct {
		name, fault string
		want        []chain.Fault
		note        string
	}{
		{"isolate an instance", "{at: 1s, for: 2s, type: partition, isolate: api-1, mode: black-hole}",
			[]chain.Fault{
				{Link: "gateway->api", Instances: []int{1}, Type: "timeout", Stream: "upstream", Attributes: hole},
				{Link: "gateway->api", Instances: []int{1}, Type: "timeout", Stream: "downstream", Attributes: hole},
			}, "api->db (to instance 0)"},
		{"isolate a service, refused", "{at: 1s, for: 2s, type: partition, isolate: api, mode: refuse}",
			[]chain.Fault{
				{Link: "gateway->api", Instances: []int{0, 1}, Type: "down"},
				{Link: "api->db", Instances: []int{0}, Type: "down"},
			}, ""},
		{"client cut off", "{at: 1s, for: 2s, type: partition, groups: [[client], [gateway, api, db]], mode: black-hole}",
			[]chain.Fault{
				{Link: "client->gateway", Instances: []int{0}, Type: "timeout", Stream: "upstream", Attributes: hole},
				{Link: "client->gateway", Instances: []int{0}, Type: "timeout", Stream: "downstream", Attributes: hole},
			}, ""},
		{"one way, answers only", "{at: 1s, for: 2s, type: partition, groups: [[db], [api]], one_way: true, mode: black-hole}",
			[]chain.Fault{{Link: "api->db", Instances: []int{0}, Type: "timeout", Stream: "downstream", Attributes: hole}}, ""},
		{"one way refuse, answers only", "{at: 1s, for: 2s, type: partition, groups: [[db], [api]], one_way: true, mode: refuse}",
			[]chain.Fault{{Link: "api->db", Instances: []int{0}, Type: "timeout", Stream: "downstream", Attributes: hole}}, "black-holed, not refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := partitionScenario(t, tc.fault)
			_, rc, notes, err := chainPlan(sc, 1, 1)
			require.NoError(t, err)
			for i := range tc.want {
				tc.want[i].At, tc.want[i].For = time.Second, 2*time.Second
			}
			assert.Equal(t, tc.want, rc.Faults)
			if tc.note != "" {
				assert.Contains(t, strings.Join(notes, "\n"), tc.note)
			}
		})
	}
	_, _, _, err := chainPlan(partitionScenario(t, "{at: 1s, for: 2s, type: partition, groups: [[api-0], [api-1, db]], mode: black-hole}"), 1, 1)
	assert.True(t, errors.Is(err, ErrNoRealCounterpart), "api's instances share their proxy to db: %v", err)
}

// TestChainPlanMapsEveryLinkFault: every link fault type becomes the
// store engine's toxic on the chain's link, on the requests' stream (and
// the answers' with two_way); loss is a black hole with its probability
// as toxicity.
func TestChainPlanMapsEveryLinkFault(t *testing.T) {
	sc, err := scenarios.Load("retry-storm")
	require.NoError(t, err)
	c, err := sc.Case("no-retries")
	require.NoError(t, err)
	for _, tc := range []struct {
		fault    scenarios.Fault
		typ      string
		toxicity float64
		attrs    map[string]any
	}{
		{scenarios.Fault{Type: "loss", Probability: 0.4}, "timeout", 0.4, map[string]any{"timeout": 0}},
		{scenarios.Fault{Type: "bandwidth", Bandwidth: 10000}, "bandwidth", 1, map[string]any{"rate": int64(10)}},
		{scenarios.Fault{Type: "timeout", Timeout: 50 * time.Millisecond}, "timeout", 1, map[string]any{"timeout": int64(50)}},
		{scenarios.Fault{Type: "reset_peer"}, "reset_peer", 1, map[string]any{"timeout": int64(0)}},
		{scenarios.Fault{Type: "slow_close", Delay: 20 * time.Millisecond}, "slow_close", 1, map[string]any{"delay": int64(20)}},
		{scenarios.Fault{Type: "slicer", AverageSize: 32, Delay: time.Millisecond}, "slicer", 1, map[string]any{"average_size": 32, "size_variation": 0, "delay": int64(1000)}},
		{scenarios.Fault{Type: "limit_data", Bytes: 500}, "limit_data", 1, map[string]any{"bytes": int64(500)}},
	} {
		f := tc.fault
		f.To, f.TwoWay, f.At, f.For = "api", true, time.Second, time.Second
		c.Scenario.Faults = []scenarios.Fault{f}
		_, rc, _, err := chainPlan(c.Scenario, 1, 1)
		require.NoError(t, err, f.Type)
		require.Len(t, rc.Faults, 2, "%s: requests and answers", f.Type)
		for i, stream := range []string{"upstream", "downstream"} {
			got := rc.Faults[i]
			assert.Equal(t, "client->api", got.Link, f.Type)
			assert.Equal(t, stream, got.Stream, f.Type)
			assert.Equal(t, tc.typ, got.Type, f.Type)
			assert.Equal(t, tc.toxicity, got.Toxicity, f.Type)
			assert.Equal(t, tc.attrs, got.Attributes, f.Type)
		}
	}
}
