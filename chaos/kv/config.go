package kv

import (
	"time"

	"github.com/faultline-sim/faultline/field"
)

// Read modes, the values of NodeConfig.ReadMode (as in the simulator's
// models/store/raft).
const (
	// ReadLog sends every read through the log (raft.Apply of a read
	// command): linearizable.
	ReadLog = "log"
	// ReadLease has the leader confirm its leadership with a round of
	// heartbeats (raft.VerifyLeader) and then read its local state.
	// hashicorp/raft has no clock-based lease read; VerifyLeader is the
	// closest safe equivalent.
	ReadLease = "lease"
	// ReadLocal has the leader (as far as it knows) answer from its local
	// state without any check: stale reads are possible.
	ReadLocal = "local"
	// ReadStale has every node, follower or leader, answer from its own
	// applied state at once (Consul's stale reads).
	ReadStale = "stale"
)

// Peer is how one node reaches another.
type Peer struct {
	// ID is the raft server ID, e.g. "kv-3".
	ID string `json:"id"`
	// Raft is the address this node dials for raft RPCs to the peer (for
	// itself: its own raft address).
	Raft string `json:"raft"`
	// HTTP is the address this node forwards client requests to when the
	// peer leads (for itself: its own HTTP address).
	HTTP string `json:"http"`
}

// NodeConfig is one node of the store.
type NodeConfig struct {
	// ID is this node's raft server ID; it must be one of Peers.
	ID string `json:"id"`
	// RaftBind and HTTPBind are the loopback addresses this node listens on.
	RaftBind string `json:"raft_bind"`
	HTTPBind string `json:"http_bind"`
	// Peers lists every node of the cluster, this one included, in the
	// same order on every node. Every node bootstraps with the same
	// configuration.
	Peers []Peer `json:"peers"`
	// HeartbeatTimeout, ElectionTimeout and LeaderLeaseTimeout are raft's
	// (see raft.Config); zero means the simulator's defaults (1s, 1s,
	// 500ms).
	HeartbeatTimeout   time.Duration `json:"heartbeat_timeout"`
	ElectionTimeout    time.Duration `json:"election_timeout"`
	LeaderLeaseTimeout time.Duration `json:"leader_lease_timeout"`
	// PreVoteDisabled is raft's: false keeps the pre-vote round.
	PreVoteDisabled bool `json:"pre_vote_disabled,omitempty"`
	// ReadMode is ReadLog (default), ReadLease or ReadLocal.
	ReadMode string `json:"read_mode"`
	// ApplyTimeout bounds how long a request waits for its entry to
	// commit; zero means 2s.
	ApplyTimeout time.Duration `json:"apply_timeout"`
	// LogLevel is raft's hclog level: "warn" by default.
	LogLevel string `json:"log_level"`
	// DataDir, if set, is the folder of the node's raft log, term and
	// vote, kept across a kill and a restart (see fileStore); "" keeps
	// them in memory only, and a restarted node starts empty.
	DataDir string `json:"data_dir,omitempty"`
}

// SetDefaults fills the zero fields that have defaults.
func (c *NodeConfig) SetDefaults() {
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
		c.ApplyTimeout = 2 * time.Second
	}
	if c.LogLevel == "" {
		c.LogLevel = "warn"
	}
}

// Validate names the first field out of range (a *field.Error).
func (c *NodeConfig) Validate() error {
	switch {
	case c.ID == "":
		return field.Errorf("id", "must not be empty")
	case c.RaftBind == "":
		return field.Errorf("raft_bind", "must be set")
	case c.HTTPBind == "":
		return field.Errorf("http_bind", "must be set")
	case c.peer(c.ID) == nil:
		return field.Errorf("peers", "must include this node %q", c.ID)
	case c.HeartbeatTimeout < 5*time.Millisecond:
		return field.Errorf("heartbeat_timeout", "must be >= 5ms (raft's minimum), got %v", c.HeartbeatTimeout)
	case c.ElectionTimeout < 5*time.Millisecond:
		return field.Errorf("election_timeout", "must be >= 5ms (raft's minimum), got %v", c.ElectionTimeout)
	case c.LeaderLeaseTimeout < 5*time.Millisecond || c.LeaderLeaseTimeout > c.HeartbeatTimeout:
		return field.Errorf("leader_lease_timeout", "must be in [5ms, heartbeat_timeout %v], got %v", c.HeartbeatTimeout, c.LeaderLeaseTimeout)
	case c.ReadMode != ReadLog && c.ReadMode != ReadLease && c.ReadMode != ReadLocal && c.ReadMode != ReadStale:
		return field.Errorf("read_mode", "must be log, lease, local or stale, got %q", c.ReadMode)
	}
	return nil
}

func (c *NodeConfig) peer(id string) *Peer {
	for i := range c.Peers {
		if c.Peers[i].ID == id {
			return &c.Peers[i]
		}
	}
	return nil
}
