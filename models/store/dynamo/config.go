package dynamo

import (
	"time"

	"github.com/faultline-sim/faultline/field"
)

// Config is a quorum store's settings. Zero fields take their defaults in
// SetDefaults; ReadRepair is a pointer so that an absent read_repair can
// default to true while an explicit false stays false.
type Config struct {
	// N is the number of replicas that hold each key: its preference list
	// is N consecutive replicas on the ring, starting at hash(key) mod
	// replicas. Default 3; must be in [1, replicas].
	N int `yaml:"n"`
	// R is the number of replies a read waits for. Default 2 (or N, if
	// smaller); must be in [1, n].
	R int `yaml:"r"`
	// W is the number of acknowledgements a write waits for. Default 2
	// (or N, if smaller); must be in [1, n].
	W int `yaml:"w"`
	// Sloppy enables sloppy quorums: when preference-list replicas have
	// not answered within RequestTimeout, the coordinator sends the op to
	// the next replicas on the ring beyond the preference list instead,
	// writes carrying a hint naming the intended replica, and waits
	// another RequestTimeout (repeating while the ring has replicas left).
	// Default false (strict quorums).
	Sloppy bool `yaml:"sloppy"`
	// HintedHandoff makes stand-ins that hold hinted writes deliver them
	// to the intended replica every HandoffInterval until it acknowledges.
	// Default false.
	HintedHandoff bool `yaml:"hinted_handoff"`
	// HandoffInterval is how often a stand-in retries its hints. Default
	// 1s; must be > 0. Not yet part of the scenario language.
	HandoffInterval time.Duration `yaml:"-"`
	// ReadRepair makes a read's coordinator write the newest value back
	// to the replicas that answered with an older one (also those that
	// answer after the read returned, until RequestTimeout). Default true.
	ReadRepair *bool `yaml:"read_repair"`
	// AntiEntropy is the interval at which every replica exchanges the
	// keys it shares with one random peer, both keeping the newer
	// versions. 0 = off. Default 0; must be >= 0.
	AntiEntropy time.Duration `yaml:"anti_entropy"`
	// RequestTimeout is how long a coordinator waits for R (W) replies
	// before answering StatusUnavailable to a read (StatusUnknown to a
	// write, which may have been applied). With Sloppy, each round of
	// stand-ins waits this long again. Default 500ms; must be > 0.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// QuorumOnly sends a read to R and a write to W replicas drawn
	// uniformly from the preference list, instead of to all N: no other
	// replica ever sees the write unless repair or anti-entropy brings it.
	// For PBS experiments (Bailis et al.); not part of the scenario
	// language.
	QuorumOnly bool `yaml:"-"`
}

// DefaultConfig returns a Config with every default filled in.
func DefaultConfig() Config {
	var c Config
	c.SetDefaults()
	return c
}

// SetDefaults fills the zero fields with their defaults.
func (c *Config) SetDefaults() {
	if c.N == 0 {
		c.N = 3
	}
	if c.R == 0 {
		c.R = min(2, c.N)
	}
	if c.W == 0 {
		c.W = min(2, c.N)
	}
	if c.HandoffInterval == 0 {
		c.HandoffInterval = time.Second
	}
	if c.ReadRepair == nil {
		c.ReadRepair = Bool(true)
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 500 * time.Millisecond
	}
}

// Bool returns a pointer to v, for Config.ReadRepair.
func Bool(v bool) *bool { return &v }

// Validate names the first field out of range (a *field.Error) for a
// store of replicas replicas.
func (c Config) Validate(replicas int) error {
	switch {
	case c.N < 1 || c.N > replicas:
		return field.Errorf("n", "must be in [1, replicas (%d)], got %d", replicas, c.N)
	case c.R < 1 || c.R > c.N:
		return field.Errorf("r", "must be in [1, n (%d)], got %d", c.N, c.R)
	case c.W < 1 || c.W > c.N:
		return field.Errorf("w", "must be in [1, n (%d)], got %d", c.N, c.W)
	case c.HandoffInterval <= 0:
		return field.Errorf("handoff_interval", "must be > 0, got %v", c.HandoffInterval)
	case c.AntiEntropy < 0:
		return field.Errorf("anti_entropy", "must be >= 0 (0 = off), got %v", c.AntiEntropy)
	case c.RequestTimeout <= 0:
		return field.Errorf("request_timeout", "must be > 0, got %v", c.RequestTimeout)
	}
	return nil
}

// Read sources, the values of AsyncConfig.ReadFrom.
const (
	ReadAny     = "any"
	ReadPrimary = "primary"
)

// AsyncConfig is the settings of a primary with asynchronous followers.
type AsyncConfig struct {
	// ReplicationDelay is how long after applying a write the primary
	// ships it to the followers (network latency comes on top). Default
	// 0; must be >= 0.
	ReplicationDelay time.Duration `yaml:"replication_delay"`
	// ReadFrom is where reads are served: "any" (the replica the client
	// contacts answers from its own state, so a follower may be stale) or
	// "primary" (followers forward reads). Default "any".
	ReadFrom string `yaml:"read_from"`
	// RequestTimeout is how long a follower waits for the primary's
	// answer to an op it forwarded; it is also the primary's interval for
	// resending what a follower has not acknowledged. Default 500ms; must
	// be > 0.
	RequestTimeout time.Duration `yaml:"request_timeout"`
}

// SetDefaults fills the zero fields with their defaults.
func (c *AsyncConfig) SetDefaults() {
	if c.ReadFrom == "" {
		c.ReadFrom = ReadAny
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 500 * time.Millisecond
	}
}

// Validate names the first field out of range (a *field.Error).
func (c AsyncConfig) Validate() error {
	switch {
	case c.ReplicationDelay < 0:
		return field.Errorf("replication_delay", "must be >= 0, got %v", c.ReplicationDelay)
	case c.ReadFrom != ReadAny && c.ReadFrom != ReadPrimary:
		return field.Errorf("read_from", "must be any or primary, got %q", c.ReadFrom)
	case c.RequestTimeout <= 0:
		return field.Errorf("request_timeout", "must be > 0, got %v", c.RequestTimeout)
	}
	return nil
}
