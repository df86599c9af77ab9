package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/field"
)

// DefaultSettle is how long a run with stores goes on after the load stops.
const DefaultSettle = 10 * time.Second

func (st *Store) setDefaults() {
	if st.Replicas == 0 {
		st.Replicas = 3
	}
	if st.Design == "" {
		st.Design = DesignRaft
	}
	if st.Settle == 0 {
		st.Settle = DefaultSettle
	}
	st.Raft.SetDefaults()
	st.Quorum.SetDefaults()
	st.Async.SetDefaults()
}

func (st *Store) validate() error {
	switch {
	case !nameRE.MatchString(st.Name):
		return field.Errorf("name", "must be lower-case letters, digits and dashes, got %q", st.Name)
	case st.Replicas < 1 || st.Replicas > 15:
		return field.Errorf("replicas", "must be in [1, 15], got %d", st.Replicas)
	case st.Settle < 0:
		return field.Errorf("settle", "must be >= 0, got %v", st.Settle)
	case st.FirstLeader != "" && st.FirstLeaderIndex() < 0:
		return field.Errorf("first_leader", "must be one of %s-0 .. %s-%d, got %q", st.Name, st.Name, st.Replicas-1, st.FirstLeader)
	}
	switch st.Design {
	case DesignRaft:
		return field.Under("raft", st.Raft.Validate())
	case DesignQuorum:
		return field.Under("quorum", st.Quorum.Validate(st.Replicas))
	case DesignAsync:
		return field.Under("async", st.Async.Validate())
	}
	return field.Errorf("design", "must be raft, quorum or async, got %q", st.Design)
}

// store returns the store with that name, or nil.
func (s *Scenario) store(name string) *Store {
	for i := range s.Topology.Stores {
		if s.Topology.Stores[i].Name == name {
			return &s.Topology.Stores[i]
		}
	}
	return nil
}

// StoreClientReplica returns the replica index client i of the scenario
// sends to: its via, or its rank among the store's clients mod replicas.
func (s *Scenario) StoreClientReplica(i int) int {
	c := &s.Load[i]
	st := s.store(c.Target)
	if c.Via != "" {
		n, _ := strconv.Atoi(strings.TrimPrefix(c.Via, st.Name+"-"))
		return n
	}
	rank := 0
	for j := 0; j < i; j++ {
		if s.Load[j].Target == c.Target {
			rank++
		}
	}
	return rank % st.Replicas
}

func (s *Scenario) validateStoreClient(i int) error {
	c := &s.Load[i]
	st := s.store(c.Target)
	path := fmt.Sprintf("load[%d]", i)
	switch {
	case c.Open == nil:
		return &field.Error{Path: path + ".open", Msg: "a store client needs an open-loop rate (closed loops are for services)"}
	case c.Ops == nil:
		return &field.Error{Path: path + ".ops", Msg: "a store client needs its operation mix (read, write, cas, keys)"}
	}
	if err := c.Ops.Validate(); err != nil {
		return field.Under(path+".ops", err)
	}
	if err := c.Open.Validate(); err != nil {
		return field.Under(path+".open", err)
	}
	if c.Timeout <= 0 {
		return field.Errorf(path+".timeout", "must be > 0, got %v", c.Timeout)
	}
	if c.Via != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c.Via, st.Name+"-"))
		if !strings.HasPrefix(c.Via, st.Name+"-") || err != nil || n < 0 || n >= st.Replicas {
			return field.Errorf(path+".via", "must be a replica of %s (%s-0 .. %s-%d), got %q", st.Name, st.Name, st.Name, st.Replicas-1, c.Via)
		}
	}
	return nil
}

// LeaderFailoverMetric names the mean time to a new leader over the
// faults that cut a store's leader off alone; see LeaderFailoverMS.
const LeaderFailoverMetric = "leader_failover_ms"

// LeaderFailoverMS averages a store's failover_ms_fault<i> metrics (named
// after prefix, as both engines name them) over the faults that cut its
// leader off alone (isolate: <store>.leader), where a new election is
// certain, leaving out those after which no leader was elected before the
// cut healed (-1); -1 if every one of them was. ok is false when the
// scenario has no such fault. One number over several cuts is a steadier
// estimate than any one cut, whose time depends on where the followers'
// timers stood.
func LeaderFailoverMS(sc *Scenario, store, prefix string, metrics map[string]float64) (ms float64, ok bool) {
	sum, n := 0.0, 0
	for i, f := range sc.Faults {
		if f.Type != FaultPartition || f.Isolate != store+LeaderSuffix {
			continue
		}
		ok = true
		if v, has := metrics[fmt.Sprintf("%sfailover_ms_fault%d", prefix, i+1)]; has && v >= 0 {
			sum += v
			n++
		}
	}
	if n == 0 {
		return -1, ok
	}
	return sum / float64(n), ok
}
