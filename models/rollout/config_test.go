package rollout

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func decode(t *testing.T, src string) (Config, error) {
	t.Helper()
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	return c, dec.Decode(&c)
}

func TestConfigFromYAML(t *testing.T) {
	c, err := decode(t, `
max_surge: 3
max_unavailable: "25%"
min_ready: 10s
progress_deadline: 5m
rollback: {error_rate: 0.05, window: 30s, min_requests: 20}
`)
	require.NoError(t, err)
	assert.Equal(t, Config{
		MaxSurge: Count(3), MaxUnavailable: Percent(25), MinReady: 10 * time.Second, ProgressDeadline: 5 * time.Minute,
		Rollback: &RollbackConfig{ErrorRate: 0.05, Window: 30 * time.Second, MinRequests: 20},
	}, c)
	require.NoError(t, c.Validate())

	out, err := yaml.Marshal(Config{MaxSurge: Count(0), MaxUnavailable: Percent(10)})
	require.NoError(t, err)
	assert.Contains(t, string(out), "max_surge: 0\n")
	assert.Contains(t, string(out), "max_unavailable: 10%\n")

	for _, bad := range []string{`max_surge: "25"%`, `max_surge: "a%"`, `max_surge: 2.5`, `max_surge: [1]`} {
		_, err := decode(t, bad)
		assert.Error(t, err, bad)
	}
}

func TestConfigDefaults(t *testing.T) {
	var c Config
	c.SetDefaults()
	assert.Equal(t, Config{MaxSurge: Percent(25), MaxUnavailable: Percent(25), ProgressDeadline: 600 * time.Second}, c)

	rb := &RollbackConfig{ErrorRate: 0.1}
	c = Config{MaxSurge: Count(0), MaxUnavailable: Count(1), Rollback: rb}
	c.SetDefaults()
	assert.Equal(t, Count(0), c.MaxSurge, "an explicit 0 is kept")
	assert.Equal(t, 30*time.Second, c.Rollback.Window)
	assert.Zero(t, rb.Window, "the caller's rollback config is not written")
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{MaxSurge: Count(-1)}, "max_surge: must be >= 0, got -1"},
		{Config{MaxUnavailable: Percent(-5)}, "max_unavailable: must be >= 0, got -5%"},
		{Config{MaxUnavailable: Percent(101)}, "max_unavailable: a percentage must be at most 100%, got 101%"},
		{Config{MaxSurge: Count(0), MaxUnavailable: Count(0)}, "max_unavailable: may not be 0 when max_surge is 0"},
		{Config{MaxSurge: Percent(0), MaxUnavailable: Count(0)}, "max_unavailable: may not be 0 when max_surge is 0"},
		{Config{MinReady: -time.Second}, "min_ready: must be >= 0, got -1s"},
		{Config{MinReady: time.Hour}, "progress_deadline: must be > min_ready (1h0m0s), got 10m0s"},
		{Config{Rollback: &RollbackConfig{ErrorRate: 1}}, "rollback.error_rate: must be in [0, 1), got 1"},
		{Config{Rollback: &RollbackConfig{Window: -time.Second}}, "rollback.window: must be > 0, got -1s"},
		{Config{Rollback: &RollbackConfig{MinRequests: -1}}, "rollback.min_requests: must be >= 0, got -1"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrConfig))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	for _, ok := range []Config{{}, {MaxSurge: Percent(200)}, {MaxSurge: Count(0), MaxUnavailable: Percent(100)}} {
		_, err := New(ok)
		assert.NoError(t, err, "%+v", ok)
	}
}

// TestBounds checks the resolution of max_surge and max_unavailable
// against the Deployment documentation's examples.
func TestBounds(t *testing.T) {
	for _, tc := range []struct {
		name                string
		surge, unavailable  IntOrPercent
		desired             int
		wantSurge, wantUnav int
	}{
		{"10 replicas, 25%/25%: surge rounds up, unavailable down", Percent(25), Percent(25), 10, 3, 2},
		{"10 replicas, surge 0, unavailable 1", Count(0), Count(1), 10, 0, 1},
		{"3 replicas, 25%/25%", Percent(25), Percent(25), 3, 1, 0},
		{"1 replica, 25%/25%", Percent(25), Percent(25), 1, 1, 0},
		{"both round to 0: unavailable becomes 1", Count(0), Percent(25), 3, 0, 1},
		{"both percentages round to 0", Percent(0), Percent(10), 9, 0, 1},
		{"100 replicas, 10%/30%", Percent(10), Percent(30), 100, 10, 30},
		{"unavailable at most desired", Count(1), Count(5), 2, 1, 2},
		{"0 replicas", Percent(25), Percent(25), 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{MaxSurge: tc.surge, MaxUnavailable: tc.unavailable}
			c.SetDefaults()
			surge, unav := c.Bounds(tc.desired)
			assert.Equal(t, tc.wantSurge, surge, "surge")
			assert.Equal(t, tc.wantUnav, unav, "unavailable")
		})
	}
}

func TestParseIntOrPercent(t *testing.T) {
	for in, want := range map[string]IntOrPercent{"3": Count(3), "0": Count(0), "25%": Percent(25), " 40% ": Percent(40)} {
		got, err := ParseIntOrPercent(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		assert.True(t, got.IsSet())
	}
	for _, in := range []string{"", "%", "x", "2.5%", "25 %x"} {
		_, err := ParseIntOrPercent(in)
		assert.Error(t, err, in)
	}
	assert.Equal(t, "25%", Percent(25).String())
	assert.Equal(t, "3", Count(3).String())
	assert.False(t, IntOrPercent{}.IsSet())
}
