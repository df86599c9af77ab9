package dynamo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	c := DefaultConfig()
	require.Equal(t, 3, c.N)
	require.Equal(t, 2, c.R)
	require.Equal(t, 2, c.W)
	require.True(t, *c.ReadRepair)
	require.Equal(t, 500*time.Millisecond, c.RequestTimeout)
	require.Equal(t, time.Second, c.HandoffInterval)
	require.Zero(t, c.AntiEntropy)
	off := Config{ReadRepair: Bool(false)}
	off.SetDefaults()
	require.False(t, *off.ReadRepair, "an explicit false must stay false")
	one := Config{N: 1}
	one.SetDefaults()
	require.Equal(t, 1, one.R)
	require.Equal(t, 1, one.W)

	var a AsyncConfig
	a.SetDefaults()
	require.Equal(t, AsyncConfig{ReadFrom: ReadAny, RequestTimeout: 500 * time.Millisecond}, a)
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name     string
		replicas int
		cfg      Config
		err      string
	}{
		{"defaults", 3, Config{}, ""},
		{"n too large", 3, Config{N: 4}, "n: must be in [1, replicas (3)], got 4"},
		{"n negative", 3, Config{N: -1}, "n: must be in [1, replicas (3)], got -1"},
		{"r too large", 5, Config{N: 3, R: 4}, "r: must be in [1, n (3)], got 4"},
		{"w too large", 5, Config{N: 3, W: 4}, "w: must be in [1, n (3)], got 4"},
		{"w negative", 5, Config{W: -2}, "w: must be in [1, n (3)], got -2"},
		{"handoff", 3, Config{HandoffInterval: -time.Second}, "handoff_interval: must be > 0, got -1s"},
		{"anti-entropy", 3, Config{AntiEntropy: -time.Second}, "anti_entropy: must be >= 0 (0 = off), got -1s"},
		{"timeout", 3, Config{RequestTimeout: -time.Millisecond}, "request_timeout: must be > 0, got -1ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.SetDefaults()
			err := tc.cfg.Validate(tc.replicas)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.err)
		})
	}
}

func TestAsyncConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  AsyncConfig
		err  string
	}{
		{"defaults", AsyncConfig{}, ""},
		{"primary", AsyncConfig{ReadFrom: ReadPrimary, ReplicationDelay: time.Second}, ""},
		{"delay", AsyncConfig{ReplicationDelay: -time.Second}, "replication_delay: must be >= 0, got -1s"},
		{"read_from", AsyncConfig{ReadFrom: "leader"}, `read_from: must be any or primary, got "leader"`},
		{"timeout", AsyncConfig{RequestTimeout: -time.Second}, "request_timeout: must be > 0, got -1s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.SetDefaults()
			err := tc.cfg.Validate()
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.err)
		})
	}
}

func TestNewRejects(t *testing.T) {
	e := newNet(t, 1, constant(t, time.Millisecond))
	_, err := New(e.k, e.net, "kv", 0, e.ops, Config{})
	require.EqualError(t, err, "store kv: replicas: must be in [1, 256], got 0")
	_, err = New(e.k, e.net, "kv", 2, e.ops, Config{})
	require.EqualError(t, err, "store kv: n: must be in [1, replicas (2)], got 3")
	_, err = New(e.k, e.net, "kv", 3, nil, Config{})
	require.EqualError(t, err, "store kv: nil op table")
	_, err = NewAsync(e.k, e.net, "kv", 3, e.ops, AsyncConfig{ReadFrom: "x"})
	require.EqualError(t, err, `store kv: read_from: must be any or primary, got "x"`)
}
