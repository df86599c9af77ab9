package timeline

import (
	"context"
	"net"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/chaos/proxy"
)

// TestFaultRevertRestoresEveryProxy applies a partition's action (a
// disabled proxy) and a link fault's (a toxic on one stream of another)
// through the embedded Toxiproxy, then reverts them: every proxy is
// enabled again and carries no toxic, and traffic passes. This checks the
// revert itself, without the raft processes and timing of the real runs.
func TestFaultRevertRestoresEveryProxy(t *testing.T) {
	api, err := proxy.Embedded()
	require.NoError(t, err)
	up, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer up.Close()
	go func() {
		for {
			c, err := up.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ctx := context.Background()
	h := proxy.New(api, "revert-test-", time.Now())
	defer func() { assert.NoError(t, h.Cleanup()) }()
	listen := map[string]string{}
	for _, name := range []string{"a", "b"} {
		listen[name], err = h.Create(ctx, name, up.Addr().String())
		require.NoError(t, err)
	}
	c := changes{h: h}
	as := []Change{
		{Proxy: "a"},
		{Proxy: "b", Stream: "downstream", Toxic: "f1-down", Type: "latency", Toxicity: 1, Attrs: map[string]any{"latency": 100}},
	}
	state := func() (enabled map[string]bool, toxics map[string]int) {
		all, err := toxiclient.NewClient(api).Proxies()
		require.NoError(t, err)
		enabled, toxics = map[string]bool{}, map[string]int{}
		for _, name := range []string{"a", "b"} {
			p := all["revert-test-"+name]
			require.NotNil(t, p, name)
			enabled[name], toxics[name] = p.Enabled, len(p.ActiveToxics)
		}
		return enabled, toxics
	}
	require.NoError(t, c.apply(ctx, as))
	enabled, toxics := state()
	require.Equal(t, map[string]bool{"a": false, "b": true}, enabled, "applied: a disabled")
	require.Equal(t, map[string]int{"a": 0, "b": 1}, toxics, "applied: one toxic on b")

	require.NoError(t, c.revertFunc(as)(false))
	enabled, toxics = state()
	assert.Equal(t, map[string]bool{"a": true, "b": true}, enabled, "reverted: every proxy enabled")
	assert.Equal(t, map[string]int{"a": 0, "b": 0}, toxics, "reverted: no toxic left")
	conn, err := net.DialTimeout("tcp", listen["a"], time.Second)
	if assert.NoError(t, err, "a accepts connections again") {
		conn.Close()
	}
}
