package httpchain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/chaos/timeline"
	"github.com/faultline-sim/faultline/scenarios"
)

// newSystem makes the chain of case c at scale, as a real run would,
// starting nothing.
func newSystem(t *testing.T, c scenarios.Case, seed uint64, scale float64) (*System, *timeline.Env, error) {
	t.Helper()
	sc, err := c.Scenario.Scaled(scale)
	require.NoError(t, err)
	env := &timeline.Env{Scenario: sc, Case: c.Name, Seed: seed, Scale: scale}
	s, err := New(env)
	if err != nil {
		return nil, env, err
	}
	return s.(*System), env, nil
}

// loadCase loads a built-in scenario's variant.
func loadCase(t *testing.T, name, variant string) scenarios.Case {
	t.Helper()
	sc, err := scenarios.Load(name)
	require.NoError(t, err)
	c, err := sc.Case(variant)
	require.NoError(t, err)
	return c
}

// changes is what fault i of env's scenario changes on s's proxies.
func changes(t *testing.T, s *System, env *timeline.Env, i int) ([]timeline.Change, []string) {
	t.Helper()
	cs, notes, err := timeline.Changes(s.Spec(), &env.Scenario.Faults[i])
	require.NoError(t, err)
	return cs, notes
}

// TestMapsTheCascade: the cascade scenario's services become the
// chain's (the load's target first), its latency fault a latency toxic
// on the requests of both proxies into tier3's instances, its crash one
// of tier3's processes, all on the scaled schedule; the breaker
// variant's breaker is carried over.
func TestMapsTheCascade(t *testing.T) {
	s, env, err := newSystem(t, loadCase(t, "cascade", "breaker"), 7, 0.1)
	require.NoError(t, err)
	var names []string
	for _, svc := range s.cfg.Services {
		names = append(names, svc.Name)
	}
	assert.Equal(t, []string{"gateway", "tier1", "tier2", "tier3"}, names)
	tier2 := s.cfg.Services[2]
	require.Len(t, tier2.Calls, 1)
	assert.Equal(t, "tier3", tier2.Calls[0].Target)
	assert.Equal(t, 100*time.Millisecond, tier2.Calls[0].Timeout)
	require.NotNil(t, tier2.Calls[0].Breaker)
	assert.True(t, tier2.Calls[0].Fallback)
	assert.Equal(t, 200.0, s.load.Rate)
	assert.Equal(t, 24*time.Second, s.load.Duration)
	require.Len(t, env.Scenario.Faults, 2)
	assert.Equal(t, 6*time.Second, env.Scenario.Faults[0].At)
	assert.Equal(t, 6*time.Second, env.Scenario.Faults[0].For)
	lat, _ := changes(t, s, env, 0)
	assert.Equal(t, []timeline.Change{
		{Proxy: "tier2_tier3-0", Stream: "upstream", Toxic: "f-up", Type: "latency", Toxicity: 1, Attrs: map[string]any{"latency": int64(1000), "jitter": int64(0)}},
		{Proxy: "tier2_tier3-1", Stream: "upstream", Toxic: "f-up", Type: "latency", Toxicity: 1, Attrs: map[string]any{"latency": int64(1000), "jitter": int64(0)}},
	}, lat)
	crash, _ := changes(t, s, env, 1)
	assert.Empty(t, crash, "a crash changes no proxy")
	nodes := s.Spec().Nodes
	assert.Equal(t, timeline.Node{Name: "tier3-1", Group: "tier3", Process: true}, nodes[len(nodes)-1])
	assert.NotEmpty(t, env.Notes(), "the time scale is noted")
}

// TestRefusesWhatIsNotReal: settings the chain cannot run are refused as
// having no real counterpart.
func TestRefusesWhatIsNotReal(t *testing.T) {
	for _, name := range []string{"strangler", "saga", "async", "mesh"} {
		sc, err := scenarios.Load(name)
		require.NoError(t, err)
		_, _, err = newSystem(t, loadCase(t, name, sc.VariantNames()[len(sc.VariantNames())-1]), 1, 1)
		assert.True(t, errors.Is(err, timeline.ErrNoRealCounterpart), "%s: %v", name, err)
	}
}

// TestMapsTheBalancerScenario: balancer.yaml's load balancer and outlier
// detection are passed to the load generator; its latency fault on api-1
// slows that instance's proxy only, both ways; its black-hole isolation
// of api-2 is a timeout toxic with timeout 0 on both streams of the
// load's proxy to api-2, on the scaled schedule.
func TestMapsTheBalancerScenario(t *testing.T) {
	s, env, err := newSystem(t, loadCase(t, "balancer", "random"), 3, 0.2)
	require.NoError(t, err)
	assert.Equal(t, "random", s.load.Balancer)
	assert.Nil(t, s.load.OutlierDetection)
	lat, _ := changes(t, s, env, 0)
	assert.Equal(t, []timeline.Change{
		{Proxy: "client_api-1", Stream: "upstream", Toxic: "f-up", Type: "latency", Toxicity: 1, Attrs: map[string]any{"latency": int64(100), "jitter": int64(0)}},
		{Proxy: "client_api-1", Stream: "downstream", Toxic: "f-down", Type: "latency", Toxicity: 1, Attrs: map[string]any{"latency": int64(100), "jitter": int64(0)}},
	}, lat)
	cut, _ := changes(t, s, env, 1)
	assert.Equal(t, []timeline.Change{
		{Proxy: "client_api-2", Stream: "upstream", Toxic: "f-up", Type: "timeout", Toxicity: 1, Attrs: map[string]any{"timeout": 0}},
		{Proxy: "client_api-2", Stream: "downstream", Toxic: "f-down", Type: "timeout", Toxicity: 1, Attrs: map[string]any{"timeout": 0}},
	}, cut)
	assert.Equal(t, 6*time.Second, env.Scenario.Faults[0].At)
	assert.Equal(t, 14*time.Second, env.Scenario.Faults[1].At)

	s, env, err = newSystem(t, loadCase(t, "balancer", "outlier-detection"), 3, 0.2)
	require.NoError(t, err)
	require.NotNil(t, s.load.OutlierDetection)
	assert.Equal(t, 5, s.load.OutlierDetection.ConsecutiveErrors)
	assert.Equal(t, 30*time.Second, s.load.OutlierDetection.BaseEjectionTime, "not scaled")
	assert.Contains(t, strings.Join(env.Notes(), "\n"), "outlier detection's interval and ejection times are not scaled")
}

// partitionScenario is client -> gateway -> api (2 instances) -> db with
// fault f.
func partitionScenario(t *testing.T, fault string) scenarios.Case {
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
	c, err := sc.Case(scenarios.BaseVariant)
	require.NoError(t, err)
	return c
}

// TestPartition: a partition is cut on the proxies that cross it:
// black-hole as timeout toxics on the crossing streams (requests
// upstream, answers downstream; one_way only those from groups[0]),
// refuse as the crossing proxies down. Isolating one instance of a
// caller leaves its own calls (its service's proxies) alone with a note;
// groups that split a caller's instances are refused.
func TestPartition(t *testing.T) {
	hole := map[string]any{"timeout": 0}
	up := func(proxy string) timeline.Change {
		return timeline.Change{Proxy: proxy, Stream: "upstream", Toxic: "f-up", Type: "timeout", Toxicity: 1, Attrs: hole}
	}
	down := func(proxy string) timeline.Change {
		return timeline.Change{Proxy: proxy, Stream: "downstream", Toxic: "f-down", Type: "timeout", Toxicity: 1, Attrs: hole}
	}
	for _, tc := range []struct {
		name, fault string
		want        []timeline.Change
		note        string
	}{
		{"isolate an instance", "{at: 1s, for: 2s, type: partition, isolate: api-1, mode: black-hole}",
			[]timeline.Change{up("gateway_api-1"), down("gateway_api-1")}, "api_db-0 (upstream)"},
		{"isolate a service, refused", "{at: 1s, for: 2s, type: partition, isolate: api, mode: refuse}",
			[]timeline.Change{{Proxy: "gateway_api-0"}, {Proxy: "gateway_api-1"}, {Proxy: "api_db-0"}}, ""},
		{"client cut off", "{at: 1s, for: 2s, type: partition, groups: [[client], [gateway, api, db]], mode: black-hole}",
			[]timeline.Change{up("client_gateway-0"), down("client_gateway-0")}, ""},
		{"one way, answers only", "{at: 1s, for: 2s, type: partition, groups: [[db], [api]], one_way: true, mode: black-hole}",
			[]timeline.Change{down("api_db-0")}, ""},
		{"one way refuse, answers only", "{at: 1s, for: 2s, type: partition, groups: [[db], [api]], one_way: true, mode: refuse}",
			[]timeline.Change{down("api_db-0")}, "black-holed, not refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, env, err := newSystem(t, partitionScenario(t, tc.fault), 1, 1)
			require.NoError(t, err)
			cs, notes := changes(t, s, env, 0)
			assert.Equal(t, tc.want, cs)
			if tc.note != "" {
				assert.Contains(t, strings.Join(notes, "\n"), tc.note)
			}
		})
	}
	s, env, err := newSystem(t, partitionScenario(t, "{at: 1s, for: 2s, type: partition, groups: [[api-0], [api-1, db]], mode: black-hole}"), 1, 1)
	require.NoError(t, err)
	_, _, err = timeline.Changes(s.Spec(), &env.Scenario.Faults[0])
	assert.True(t, errors.Is(err, timeline.ErrNoRealCounterpart), "api's instances share their proxy to db: %v", err)
}

// TestMapsEveryLinkFault: every link fault type becomes its toxic on the
// proxies into the target's instances, on the requests' stream (and the
// answers' with two_way); loss is a black hole with its probability as
// toxicity.
func TestMapsEveryLinkFault(t *testing.T) {
	c := loadCase(t, "retry-storm", "no-retries")
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
		s, env, err := newSystem(t, c, 1, 1)
		require.NoError(t, err, f.Type)
		cs, _ := changes(t, s, env, 0)
		instances := s.cfg.Services[0].Instances
		require.Len(t, cs, 2*instances, "%s: requests and answers on every instance's proxy", f.Type)
		for i, got := range cs {
			assert.Equal(t, []string{"upstream", "downstream"}[i%2], got.Stream, f.Type)
			assert.Equal(t, "client_api-"+string(rune('0'+i/2)), got.Proxy, f.Type)
			assert.Equal(t, tc.typ, got.Type, f.Type)
			assert.Equal(t, tc.toxicity, got.Toxicity, f.Type)
			assert.Equal(t, tc.attrs, got.Attrs, f.Type)
		}
	}
}
