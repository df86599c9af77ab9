package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/field"
)

// TestFaultSpecsAreComplete: every registered type documents both
// engines' semantics and every parameter, and can validate and label a
// fault; every field of Fault is read by some type.
func TestFaultSpecsAreComplete(t *testing.T) {
	read := map[string]bool{}
	require.NotEmpty(t, FaultSpecs())
	for _, s := range FaultSpecs() {
		assert.NotEmpty(t, s.Sim, "%s: Sim", s.Type)
		assert.NotEmpty(t, s.Real, "%s: Real", s.Type)
		assert.NotNil(t, s.check, "%s: check", s.Type)
		assert.NotNil(t, s.label, "%s: label", s.Type)
		for _, p := range s.Params {
			assert.NotEmpty(t, p.Meaning, "%s.%s: meaning", s.Type, p.Name)
		}
		for _, f := range s.Fields() {
			read[f] = true
		}
	}
	for _, name := range faultFieldNames {
		assert.True(t, read[name], "field %s of Fault is read by no fault type", name)
	}
}

// TestFaultValidation: each type's own rules, and the rules every fault
// shares, name the field and the allowed range.
func TestFaultValidation(t *testing.T) {
	const dur = time.Minute
	link := func(f Fault) Fault { f.At, f.For, f.To = time.Second, time.Second, "api"; return f }
	cases := []struct {
		name string
		f    Fault
		want string // "" when valid
	}{
		{"unknown type", Fault{Type: "slowness", For: time.Second}, `type: must be one of bandwidth, crash, latency, limit_data, loss, partition, pause, reset_peer, slicer, slow_close, timeout, window, got "slowness"`},
		{"negative start", Fault{Type: FaultWindow, At: -1, For: time.Second}, "at: must be >= 0, got -1ns"},
		{"no duration", Fault{Type: FaultWindow}, "for: must be > 0 (every fault has a bounded duration), got 0s"},
		{"past the end", Fault{Type: FaultWindow, At: dur, For: time.Second}, "for: fault ends at 1m1s, after the scenario's duration 1m0s"},
		{"field not read", Fault{Type: FaultWindow, For: time.Second, Latency: time.Second}, "latency: not read by fault type window (it reads: )"},
		{"link without targets", Fault{Type: FaultLatency, For: time.Second, Latency: time.Second}, "to: a link fault needs from and/or to (node selectors; * for any)"},
		{"latency", link(Fault{Type: FaultLatency, Latency: time.Millisecond}), ""},
		{"latency zero", link(Fault{Type: FaultLatency}), "latency: must be > 0, got 0s"},
		{"latency jitter", link(Fault{Type: FaultLatency, Latency: 1, Jitter: -1}), "jitter: must be >= 0, got -1ns"},
		{"loss", link(Fault{Type: FaultLoss, Probability: 1.5}), "probability: must be in (0, 1], got 1.5"},
		{"bandwidth", link(Fault{Type: FaultBandwidth, Bandwidth: -1}), "bytes_per_s: must be > 0, got -1"},
		{"timeout", link(Fault{Type: FaultTimeout, Timeout: -1}), "timeout: must be >= 0 (0 = hold forever), got -1ns"},
		{"reset_peer", link(Fault{Type: FaultResetPeer, Timeout: -1}), "timeout: must be >= 0, got -1ns"},
		{"reset_peer reads no probability", link(Fault{Type: FaultResetPeer, Probability: 0.5}), "probability: not read by fault type reset_peer (it reads: from, to, two_way, timeout)"},
		{"slow_close", link(Fault{Type: FaultSlowClose}), "delay: must be > 0, got 0s"},
		{"slicer size", link(Fault{Type: FaultSlicer}), "average_size: must be > 0 bytes, got 0"},
		{"slicer variation", link(Fault{Type: FaultSlicer, AverageSize: 10, SizeVariation: 10}), "size_variation: must be in [0, average_size (10)) bytes, got 10"},
		{"slicer delay", link(Fault{Type: FaultSlicer, AverageSize: 10, Delay: -1}), "delay: must be >= 0, got -1ns"},
		{"limit_data", link(Fault{Type: FaultLimitData}), "bytes: must be > 0, got 0"},
		{"crash", Fault{Type: FaultCrash, For: time.Second}, "target: must name a service or an instance (e.g. api or api-2)"},
		{"pause", Fault{Type: FaultPause, For: time.Second, Target: "api"}, ""},
		{"pause reads no link", Fault{Type: FaultPause, For: time.Second, Target: "api", To: "db"}, "to: not read by fault type pause (it reads: target)"},
		{"partition mode", Fault{Type: FaultPartition, For: time.Second, Isolate: "api", Mode: "drop"}, `mode: must be black-hole or refuse, got "drop"`},
		{"partition isolate and groups", Fault{Type: FaultPartition, For: time.Second, Isolate: "api", Mode: PartitionRefuse, OneWay: true}, "isolate: excludes groups and one_way"},
		{"partition one group", Fault{Type: FaultPartition, For: time.Second, Groups: [][]string{{"a"}}, Mode: PartitionRefuse}, "groups: a partition needs isolate or at least 2 groups, got 1"},
		{"partition empty group", Fault{Type: FaultPartition, For: time.Second, Groups: [][]string{{"a"}, {}}, Mode: PartitionRefuse}, "groups[1]: must not be empty"},
		{"partition reads no empty groups", Fault{Type: FaultLatency, For: time.Second, To: "a", Latency: 1, Groups: [][]string{}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.f
			f.setDefaults()
			err := f.validate(dur)
			if c.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, c.want, err.Error())
			var fe *field.Error
			assert.ErrorAs(t, err, &fe, "a field error, so the scenario places it under the fault's path")
		})
	}
}

func TestPartitionModeDefaultsToBlackHole(t *testing.T) {
	f := Fault{Type: FaultPartition, Isolate: "api"}
	f.setDefaults()
	assert.Equal(t, PartitionBlackHole, f.Mode)
	g := Fault{Type: FaultLatency}
	g.setDefaults()
	assert.Empty(t, g.Mode, "only a partition has a mode")
}

func TestFaultLabels(t *testing.T) {
	for _, c := range []struct {
		f    Fault
		want string
	}{
		{Fault{Type: FaultLatency, To: "api-1", Latency: 200 * time.Millisecond}, "latency +200ms *->api-1"},
		{Fault{Type: FaultLatency, From: "a", To: "b", TwoWay: true, Latency: time.Second, Jitter: time.Millisecond}, "latency +1s±1ms a<->b"},
		{Fault{Type: FaultLoss, To: "db", Probability: 0.25}, "loss 25% *->db"},
		{Fault{Type: FaultTimeout, From: "api"}, "timeout(0s) api->*"},
		{Fault{Type: FaultCrash, Target: "api-2"}, "crash api-2"},
		{Fault{Type: FaultPartition, Groups: [][]string{{"a", "b"}, {"c"}}, Mode: PartitionRefuse, OneWay: true}, "partition a,b -/-> c (refuse)"},
		{Fault{Type: FaultPartition, Isolate: "kv.leader", Mode: PartitionBlackHole}, "isolate kv.leader (black-hole)"},
		{Fault{Type: FaultWindow, At: time.Second, For: time.Second}, "window 1s–2s"},
		{Fault{Type: "slowness"}, "slowness"},
	} {
		assert.Equal(t, c.want, c.f.Label())
	}
}

// TestFaultTableCheck: an engine's table must give every registered type
// an implementation or a reason, and nothing else.
func TestFaultTableCheck(t *testing.T) {
	do := func() {}
	full := FaultTable[func()]{}
	for _, ft := range FaultTypes() {
		full = append(full, FaultRow[func()]{Type: ft, Do: do})
	}
	require.NoError(t, full.Check())

	explained := append(FaultTable[func()]{}, full...)
	explained[0] = FaultRow[func()]{Type: explained[0].Type, None: "not here"}
	assert.NoError(t, explained.Check(), "a reason stands in for an implementation")

	for _, c := range []struct {
		name string
		edit func(FaultTable[func()]) FaultTable[func()]
		want string
	}{
		{"missing", func(tab FaultTable[func()]) FaultTable[func()] { return tab[1:] }, "no row"},
		{"neither", func(tab FaultTable[func()]) FaultTable[func()] { tab[0].Do = nil; return tab }, "neither an implementation nor the reason"},
		{"both", func(tab FaultTable[func()]) FaultTable[func()] { tab[0].None = "none"; return tab }, "implemented, yet it says it has no counterpart"},
		{"unknown", func(tab FaultTable[func()]) FaultTable[func()] {
			return append(tab, FaultRow[func()]{Type: "slowness", Do: do})
		}, "the language has no such type"},
		{"twice", func(tab FaultTable[func()]) FaultTable[func()] { return append(tab, tab[0]) }, "two rows"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tab := c.edit(append(FaultTable[func()]{}, full...))
			assert.ErrorContains(t, tab.Check(), c.want)
		})
	}
	row, ok := full.Lookup(FaultLatency)
	assert.True(t, ok && row.Implemented() && row.Type == FaultLatency)
	_, ok = full.Lookup("slowness")
	assert.False(t, ok)
}
