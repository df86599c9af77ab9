package broker

import (
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/sim"
)

var seedFlag = flag.Uint64("seed", 0, "replay the randomised tests with this seed (0: draw one from the clock)")

// testSeed returns the seed of a randomised test, and on failure prints it
// with the command that replays the run.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("===== SEED %d =====\nreplay: go test ./models/broker -run '^%s$' -seed=%d", seed, t.Name(), seed)
		}
	})
	return seed
}

// constant is a service time of v seconds.
func constant(v float64) sim.DistSpec { return sim.DistSpec{Kind: "constant", Value: v} }

// baseConfig is a small group with fast timers, so that tests run
// seconds, not minutes, of virtual time.
func baseConfig() Config {
	return Config{
		Name:       "orders",
		Partitions: 6,
		Consumers:  2,
		Producer:   ProducerConfig{RequestTimeout: 50 * time.Millisecond, RetryBackoff: 10 * time.Millisecond},
		Group: GroupConfig{
			SessionTimeout: time.Second, HeartbeatInterval: 100 * time.Millisecond,
			RebalancePause: 200 * time.Millisecond, RebalanceTimeout: 5 * time.Second,
		},
		Consumer: ConsumerConfig{
			ServiceTime: constant(0.001), FetchMaxWait: 50 * time.Millisecond,
			RequestTimeout: 200 * time.Millisecond, AutoCommitInterval: 500 * time.Millisecond,
		},
	}
}

// build returns a kernel and a broker on a network whose links all have
// the given one-way latency and loss.
func build(t require.TestingT, seed uint64, cfg Config, latency time.Duration, loss float64) (*sim.Kernel, *Broker) {
	k := sim.New(seed)
	lat, err := sim.NewConstant(latency.Seconds())
	require.NoError(t, err)
	net, err := sim.NewNetwork(k, sim.LinkConfig{Latency: lat, Loss: loss})
	require.NoError(t, err)
	b, err := New(k, net, cfg)
	require.NoError(t, err)
	return k, b
}

func secs(s float64) sim.Time { return sim.At(time.Duration(s * float64(time.Second))) }
