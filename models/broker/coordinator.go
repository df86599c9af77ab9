package broker

import (
	"github.com/faultline-sim/faultline/sim"
)

// The group coordinator runs Kafka's eager rebalance protocol, reduced to
// what shapes delivery and lag:
//
//   - A consumer joins by heartbeating. A heartbeat from an unknown member
//     (new, restarted with a new incarnation, or expired) starts a
//     rebalance, as does a member leaving or missing heartbeats for
//     SessionTimeout.
//   - During a rebalance every member stops, commits what it has
//     processed and rejoins. The rebalance completes when every live
//     member has rejoined and RebalancePause has passed; members that
//     have not rejoined within RebalanceTimeout are removed.
//   - On completion the generation increases, partitions are assigned to
//     the live members in consumer order, and each consumer starts from
//     the committed offsets. Commits from an older generation or from a
//     consumer that does not own the partition are rejected.
//
// The coordinator tells members the group's state (generation,
// rebalancing or not) when a rebalance starts and ends and in answer to
// every heartbeat, so a lost notice is repaired by the next heartbeat.

type member struct {
	alive    bool
	joined   bool // rejoined during the current rebalance
	inc      int64
	lastSeen sim.Time
}

type group struct {
	members     []member // by consumer index
	gen         uint32
	rebalancing bool
	pauseDone   bool
	round       int64   // numbers rebalances, so stale timers are ignored
	owner       []int   // per partition: consumer index in gen, or -1
	assigned    [][]int // per consumer: partitions in gen
	rebalances  int64
	expiries    int64
}

func (g *group) init(partitions int) {
	g.owner = make([]int, partitions)
	for p := range g.owner {
		g.owner[p] = -1
	}
}

func (g *group) member(c int) *member {
	for len(g.members) <= c {
		g.members = append(g.members, member{})
	}
	return &g.members[c]
}

func (b *Broker) handleGroup(ev sim.Event) {
	switch ev.Kind {
	case kindHeartbeat:
		b.onHeartbeat(int(ev.A), ev.B>>32)
	case kindJoin:
		b.onJoin(int(ev.A), ev.B)
	case kindLeave:
		b.onLeave(int(ev.A), ev.B)
	case kindSessionCheck:
		b.onSessionCheck(int(ev.A), ev.B)
	case kindPauseOver:
		if ev.A == b.group.round && b.group.rebalancing {
			b.group.pauseDone = true
			b.maybeCompleteRebalance()
		}
	case kindRebalanceOver:
		if ev.A == b.group.round && b.group.rebalancing {
			b.evictStragglers()
		}
	default:
		panic("broker: unknown event kind " + kindName(ev.Kind))
	}
}

// onHeartbeat records that a member is alive, admits a new one, and
// answers with the group's state.
func (b *Broker) onHeartbeat(c int, inc int64) {
	m := b.group.member(c)
	if !m.alive || m.inc != inc {
		*m = member{alive: true, inc: inc, lastSeen: b.k.Now()}
		b.k.After(b.cfg.Group.SessionTimeout, b.id, kindSessionCheck, int64(c), inc)
		b.startRebalance()
		if b.group.rebalancing {
			m.joined = false
		}
	}
	m.lastSeen = b.k.Now()
	b.tellState(c)
}

func (b *Broker) onJoin(c int, inc int64) {
	m := b.group.member(c)
	if !m.alive || m.inc != inc || !b.group.rebalancing {
		return
	}
	m.lastSeen = b.k.Now()
	m.joined = true
	b.maybeCompleteRebalance()
}

func (b *Broker) onLeave(c int, inc int64) {
	if m := b.group.member(c); m.alive && m.inc == inc {
		m.alive = false
		b.startRebalance()
		b.maybeCompleteRebalance()
	}
}

// onSessionCheck removes a member not heard from for SessionTimeout, or
// checks again when it would be.
func (b *Broker) onSessionCheck(c int, inc int64) {
	m := b.group.member(c)
	if !m.alive || m.inc != inc || b.k.Now() > b.until {
		return // after the run's end heartbeats stop, and so do expiries
	}
	deadline := m.lastSeen.Add(b.cfg.Group.SessionTimeout)
	if b.k.Now() < deadline {
		b.k.Schedule(deadline, b.id, kindSessionCheck, int64(c), inc)
		return
	}
	m.alive = false
	b.group.expiries++
	b.startRebalance()
	b.maybeCompleteRebalance()
}

// startRebalance begins a rebalance unless one is under way, and tells
// every live member to stop and rejoin.
func (b *Broker) startRebalance() {
	g := &b.group
	if g.rebalancing {
		return
	}
	g.rebalancing, g.pauseDone = true, false
	g.round++
	g.rebalances++
	b.k.After(b.cfg.Group.RebalancePause, b.id, kindPauseOver, g.round, 0)
	b.k.After(b.cfg.Group.RebalanceTimeout, b.id, kindRebalanceOver, g.round, 0)
	for c := range g.members {
		g.members[c].joined = false
		if g.members[c].alive {
			b.tellState(c)
		}
	}
}

// evictStragglers removes the members that did not rejoin in time and
// completes the rebalance without them.
func (b *Broker) evictStragglers() {
	g := &b.group
	for c := range g.members {
		if m := &g.members[c]; m.alive && !m.joined {
			m.alive = false
		}
	}
	g.pauseDone = true
	b.maybeCompleteRebalance()
}

func (b *Broker) maybeCompleteRebalance() {
	g := &b.group
	if !g.rebalancing || !g.pauseDone {
		return
	}
	var live []int
	for c := range g.members {
		if m := g.members[c]; m.alive {
			if !m.joined {
				return
			}
			live = append(live, c)
		}
	}
	b.completeRebalance(live)
}

// completeRebalance starts a new generation with partitions assigned to
// the live members, and tells them.
func (b *Broker) completeRebalance(live []int) {
	g := &b.group
	g.gen++
	g.rebalancing = false
	for p := range g.owner {
		g.owner[p] = -1
	}
	for len(g.assigned) < len(g.members) {
		g.assigned = append(g.assigned, nil)
	}
	for c := range g.assigned {
		g.assigned[c] = nil
	}
	for i, parts := range Assign(b.cfg.Group.Assignor, len(b.parts), len(live)) {
		g.assigned[live[i]] = parts
		for _, p := range parts {
			g.owner[p] = live[i]
		}
	}
	for _, c := range live {
		b.tellState(c)
	}
}

// tellState sends consumer c the group's generation and whether a
// rebalance is under way.
func (b *Broker) tellState(c int) {
	g := &b.group
	reb := int64(0)
	if g.rebalancing {
		reb = 1
	}
	cs := b.consumers[c]
	send(b.net, b.node, cs.node, 0, sim.Target{H: cs.id, Kind: kindGroupState,
		A: int64(g.gen), B: g.members[c].inc<<1 | reb})
}

// assignment returns consumer c's partitions and their committed offsets
// in generation gen, and false if gen is not the current stable one.
func (b *Broker) assignment(c int, gen uint32) ([]int, bool) {
	g := &b.group
	if g.rebalancing || g.gen != gen || c >= len(g.assigned) {
		return nil, false
	}
	return g.assigned[c], true
}
