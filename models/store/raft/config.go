package raft

import (
	"time"

	"github.com/faultline-sim/faultline/field"
)

// Read modes, the values of Config.ReadMode.
const (
	ReadLog   = "log"
	ReadLease = "lease"
	ReadLocal = "local"
	ReadStale = "stale"
)

// Config is a Raft store's settings. The zero value, after SetDefaults,
// is hashicorp/raft's defaults with linearizable reads.
type Config struct {
	// HeartbeatTimeout: a follower that hears nothing from a leader for a
	// random time in [T, 2T) becomes a candidate; the leader sends
	// heartbeats every T/10. Default 1s; must be >= 1ms.
	HeartbeatTimeout time.Duration `yaml:"heartbeat_timeout"`
	// ElectionTimeout: a candidate that does not win within a random time
	// in [T, 2T) starts a new election. Default 1s; must be >= 1ms.
	ElectionTimeout time.Duration `yaml:"election_timeout"`
	// LeaderLeaseTimeout: a leader that has not heard an AppendEntries
	// response from a majority (counting itself) for this long steps
	// down (except in read mode "local"). Being at most
	// heartbeat_timeout, it expires before another replica can be
	// elected, which makes "lease" reads safe. Default 500ms; must be in
	// (0, heartbeat_timeout].
	LeaderLeaseTimeout time.Duration `yaml:"leader_lease_timeout"`
	// ReadMode is how the leader serves reads: "log" (through the log,
	// linearizable), "lease" (at once while its lease holds; linearizable
	// without clock drift, which the simulator has none of) or "local"
	// (at once from its own state, without a lease: in this mode a leader
	// does not step down when it loses its majority either, but leads
	// until it hears of a higher term, so a deposed leader serves stale
	// reads), or "stale" (any replica, follower or leader, answers at
	// once from what it has applied, as Consul's stale reads: available
	// on both sides of a partition, stale on the side without the
	// leader; the leader keeps its lease as in "log"). Default "log".
	ReadMode string `yaml:"read_mode"`
	// ApplyTimeout is how long the leader waits for an op's entry to
	// commit and apply before answering StatusUnknown. Default 5s; must
	// be > 0.
	ApplyTimeout time.Duration `yaml:"apply_timeout"`
	// PreVoteDisabled turns off the pre-vote round, hashicorp/raft's
	// default since v1.7: with it, a replica that stops hearing the
	// leader first asks the others whether they would vote for it, and
	// moves to a new term only when a majority would, so a replica cut
	// off from the majority does not inflate its term and depose the
	// leader when the cut heals. Without it, every election timeout of
	// such a replica starts a real election in a higher term. Default
	// false (pre-vote on).
	PreVoteDisabled bool `yaml:"pre_vote_disabled"`
	// NoJitter makes every timeout exactly its base T instead of a draw in
	// [T, 2T): the no-randomness comparison of the Raft paper (§9.3). For
	// experiments only; not part of the scenario language.
	NoJitter bool `yaml:"-"`
}

// SetDefaults fills the zero fields with their defaults.
func (c *Config) SetDefaults() {
	if c.HeartbeatTimeout == 0 {
		c.HeartbeatTimeout = time.Second
	}
	if c.ElectionTimeout == 0 {
		c.ElectionTimeout = time.Second
	}
	if c.LeaderLeaseTimeout == 0 {
		c.LeaderLeaseTimeout = 500 * time.Millisecond
	}
	if c.ReadMode == "" {
		c.ReadMode = ReadLog
	}
	if c.ApplyTimeout == 0 {
		c.ApplyTimeout = 5 * time.Second
	}
}

// Validate names the first field out of range (a *field.Error).
func (c Config) Validate() error {
	switch {
	case c.HeartbeatTimeout < time.Millisecond:
		return field.Errorf("heartbeat_timeout", "must be >= 1ms, got %v", c.HeartbeatTimeout)
	case c.ElectionTimeout < time.Millisecond:
		return field.Errorf("election_timeout", "must be >= 1ms, got %v", c.ElectionTimeout)
	case c.LeaderLeaseTimeout <= 0 || c.LeaderLeaseTimeout > c.HeartbeatTimeout:
		return field.Errorf("leader_lease_timeout", "must be in (0, heartbeat_timeout (%v)], got %v",
			c.HeartbeatTimeout, c.LeaderLeaseTimeout)
	case c.ReadMode != ReadLog && c.ReadMode != ReadLease && c.ReadMode != ReadLocal && c.ReadMode != ReadStale:
		return field.Errorf("read_mode", "must be log, lease, local or stale, got %q", c.ReadMode)
	case c.ApplyTimeout <= 0:
		return field.Errorf("apply_timeout", "must be > 0, got %v", c.ApplyTimeout)
	}
	return nil
}
