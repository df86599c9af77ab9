package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// NodeID names a node of a Network.
type NodeID int32

// LinkConfig describes a directed link. The zero value is an ideal link:
// no delay, no loss, unlimited bandwidth.
type LinkConfig struct {
	// Latency is the one-way propagation delay in seconds; nil means 0.
	Latency Dist
	// Jitter adds a uniform draw in [-Jitter, +Jitter] to each message's
	// delay, clamped so the delay never goes below 0 (Toxiproxy's latency
	// toxic). 0 means none; must be >= 0.
	Jitter time.Duration
	// Loss is the probability, in [0, 1], that a message silently vanishes.
	Loss float64
	// Bandwidth in bytes per second; 0 means unlimited. Messages are
	// serialised one after another, so a busy link queues them.
	Bandwidth float64
}

// Validate reports the first field out of range.
func (c LinkConfig) Validate() error {
	switch {
	case c.Jitter < 0:
		return fmt.Errorf("jitter must be >= 0, got %v", c.Jitter)
	case !(c.Loss >= 0 && c.Loss <= 1):
		return fmt.Errorf("loss must be in [0, 1], got %v", c.Loss)
	case !(c.Bandwidth >= 0) || math.IsInf(c.Bandwidth, 0):
		return fmt.Errorf("bandwidth must be in [0, +Inf) bytes/s (0 = unlimited), got %v", c.Bandwidth)
	}
	return nil
}

// CutMode is what a partition does to a message that crosses it.
type CutMode uint8

const (
	// BlackHole drops the message silently: the sender learns only by its
	// own timeout (Toxiproxy's timeout toxic with timeout=0).
	BlackHole CutMode = iota
	// Refuse fails fast: the sender receives its Refused target about one
	// round trip later (a disabled proxy, or reset_peer).
	Refuse
)

func (m CutMode) String() string {
	if m == Refuse {
		return "refuse"
	}
	return "black-hole"
}

// Partition describes a cut in the network.
//
// With Isolate set, every link to and from that node is cut. Otherwise
// nodes in different Groups cannot reach each other; nodes in no group are
// unaffected. With OneWay, only messages from Groups[0] to the other groups
// are cut; replies in the other direction still flow.
type Partition struct {
	Groups  [][]NodeID
	OneWay  bool
	Isolate *NodeID
	Mode    CutMode
}

// PartitionID names an active partition, for Heal.
type PartitionID int

// Message is what Send carries. Size matters only on links with a
// bandwidth. Deliver is scheduled at the receiver when the message arrives;
// Refused, if valid, is scheduled at the sender when a Refuse cut rejects it.
type Message struct {
	From, To NodeID
	Size     int
	Deliver  Target
	Refused  Target
}

// NetStats counts what happened to messages.
type NetStats struct {
	Sent, Delivered, Lost, BlackHoled, Refused int64
}

// ErrUnknownNode is returned for a NodeID the network does not have.
var ErrUnknownNode = errors.New("sim: unknown node")

// link is a directed link's configuration and state. A rule's link
// (SetLinks, and the default) is shared by every pair routed to it for as
// long as none of them needs state of its own: a random stream to draw
// from, a bandwidth to book, a fault. Then the pair gets a link of its own
// with the rule's configuration. A pair's stream is named after its
// endpoints and created at its first draw, so its draws are the same
// whatever else exists, and a link that never draws (a constant latency)
// costs no stream at all.
type link struct {
	cfg      LinkConfig
	shared   bool // a rule's link; never drawn from, never faulted
	stateful bool // shared: a pair routed to it needs a link of its own to send
	net      *Network
	from, to NodeID     // a pair's own link: its endpoints
	rng      *rand.Rand // a pair's own link: its stream, from the first draw on
	busyTill Time
	faults   []activeFault
	held     []heldMsg // messages a Flush fault delays, until it is removed
}

// stateful reports whether sending on a link configured with cfg draws
// from its stream or books its bandwidth.
func stateful(cfg LinkConfig) bool {
	_, constant := cfg.Latency.(*constDist)
	return (cfg.Latency != nil && !constant) || cfg.Jitter > 0 || cfg.Loss > 0 || cfg.Bandwidth > 0
}

// random returns the link's stream, creating it at the first draw.
func (l *link) random() *rand.Rand {
	if l.rng == nil {
		if l.shared {
			panic("sim: a draw from a shared link")
		}
		l.rng = l.net.k.Stream("net/link/" + l.net.names[l.from] + "->" + l.net.names[l.to])
	}
	return l.rng
}

// heldMsg is a message in flight whose delay includes a Flush fault's:
// its arrival timer, and when it would arrive without the faults.
type heldMsg struct {
	fault LinkFaultID
	timer Timer
	slot  int32
	bare  Time // the arrival without any fault's latency
}

// LinkFault is a temporary change to a directed link, as a fault injects
// it for a window (Toxiproxy's toxics, one link at a time). Several faults
// on one link add up: latencies add, each loss is drawn, the lowest
// bandwidth wins, and any drop or reset applies.
type LinkFault struct {
	Latency   time.Duration // added to every message
	Jitter    time.Duration // plus a uniform draw in [-Jitter, +Jitter]
	Loss      float64       // probability in [0, 1] that a message vanishes
	Bandwidth float64       // bytes/s cap; 0 = no cap
	// Drop black-holes every message. With After > 0 the sender's send
	// fails After later (the connection is closed), else it never learns.
	Drop bool
	// Reset refuses every message: the sender learns After later, or after
	// about one round trip when After is 0.
	Reset bool
	After time.Duration
	// SliceBytes and SliceDelay slice every message as Toxiproxy's slicer
	// does: halved until a piece is at most SliceBytes (its average size
	// plus its variation), the slices sent SliceDelay apart, so a message
	// of n slices arrives (n-1)·SliceDelay late. Messages are not queued
	// behind each other: Toxiproxy slices each connection on its own, and
	// a link's concurrent requests travel on separate connections. 0
	// slices nothing.
	SliceBytes int
	SliceDelay time.Duration
	// LimitBytes closes the link's connection once it has carried that
	// many bytes, as Toxiproxy's limit_data: the message that would pass
	// the limit is refused (the sender learns after about a round trip)
	// and the next one starts a new connection. 0 has no limit.
	LimitBytes int64
	// Flush delivers, when the fault is removed, the messages its latency
	// still holds at once (or when they would have arrived without any
	// fault's latency, if later), as Toxiproxy's latency toxic does when
	// it is removed and as a congested queue drains: the end of a
	// slowdown comes as a burst. Without it each message keeps the delay
	// it was sent with.
	Flush bool
}

// Validate reports the first field out of range.
func (f LinkFault) Validate() error {
	switch {
	case f.Latency < 0 || f.Jitter < 0 || f.After < 0:
		return fmt.Errorf("latency, jitter and after must be >= 0, got %v, %v, %v", f.Latency, f.Jitter, f.After)
	case !(f.Loss >= 0 && f.Loss <= 1):
		return fmt.Errorf("loss must be in [0, 1], got %v", f.Loss)
	case !(f.Bandwidth >= 0) || math.IsInf(f.Bandwidth, 0):
		return fmt.Errorf("bandwidth must be in [0, +Inf) bytes/s (0 = no cap), got %v", f.Bandwidth)
	case f.Drop && f.Reset:
		return errors.New("a link fault cannot both drop and reset")
	case f.SliceBytes < 0 || f.SliceDelay < 0 || f.LimitBytes < 0:
		return fmt.Errorf("slice bytes, slice delay and limit bytes must be >= 0, got %d, %v, %d", f.SliceBytes, f.SliceDelay, f.LimitBytes)
	}
	return nil
}

// LinkFaultID names an active link fault, for RemoveLinkFault.
type LinkFaultID int

type activeFault struct {
	id   LinkFaultID
	f    LinkFault
	used int64 // LimitBytes: bytes the current connection has carried
}

type cut struct {
	id     PartitionID
	side   []int8 // per node: -1 unaffected, else group index
	rest   int8   // side of nodes added after the cut, or not listed
	oneWay bool
	mode   CutMode
}

// Network is a set of nodes joined by directed links, on a kernel. Links
// not configured explicitly use the default configuration.
type Network struct {
	k        *Kernel
	id       HandlerID
	names    []string
	def      LinkConfig
	links    []*link   // links[0] is the default; then rules' and pairs' own
	route    [][]int32 // route[from][to]: the pair's link in links; 0 (or none) is the default
	cuts     []cut
	nextCut  PartitionID
	inflight Slab[Message]
	stats    NetStats
	faultIDs LinkFaultID
}

const netArrive uint32 = 0

// NewNetwork returns an empty network whose links default to def.
func NewNetwork(k *Kernel, def LinkConfig) (*Network, error) {
	if err := def.Validate(); err != nil {
		return nil, fmt.Errorf("network default link: %w", err)
	}
	n := &Network{k: k, def: def}
	n.links = []*link{{cfg: def, shared: true, stateful: stateful(def), net: n}}
	n.id = k.Register("net", n)
	return n, nil
}

// AddNode adds a node with a stable name and returns its ID.
func (n *Network) AddNode(name string) NodeID {
	n.names = append(n.names, name)
	id := NodeID(len(n.names) - 1)
	for i := range n.cuts {
		n.cuts[i].side = append(n.cuts[i].side, n.cuts[i].rest)
	}
	return id
}

// Name returns the node's name.
func (n *Network) Name(id NodeID) string { return n.names[id] }

// Nodes returns the number of nodes.
func (n *Network) Nodes() int { return len(n.names) }

// Stats returns the message counters so far.
func (n *Network) Stats() NetStats { return n.stats }

func (n *Network) valid(id NodeID) bool { return id >= 0 && int(id) < len(n.names) }

// SetLink configures the directed link from -> to. The link's random stream
// is named after its endpoints, so it is the same whatever else exists.
func (n *Network) SetLink(from, to NodeID, cfg LinkConfig) error {
	if !n.valid(from) || !n.valid(to) {
		return fmt.Errorf("link %d->%d: %w", from, to, ErrUnknownNode)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("link %s->%s: %w", n.names[from], n.names[to], err)
	}
	n.own(from, to).cfg = cfg
	return nil
}

// SetLinks configures every directed link from a node of from to a node
// of to (but a node's link to itself) as SetLink does, in one rule: the
// pairs share one link until one needs state of its own, so a rule over
// every pair of n nodes costs n² small route entries, not n² links.
func (n *Network) SetLinks(from, to []NodeID, cfg LinkConfig) error {
	for _, set := range [][]NodeID{from, to} {
		for _, id := range set {
			if !n.valid(id) {
				return fmt.Errorf("links: node %d: %w", id, ErrUnknownNode)
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("links: %w", err)
	}
	n.links = append(n.links, &link{cfg: cfg, shared: true, stateful: stateful(cfg), net: n})
	rule := int32(len(n.links) - 1)
	for _, a := range from {
		for _, b := range to {
			if a == b {
				continue
			}
			if l := n.routed(a, b); !l.shared {
				l.cfg = cfg // the pair keeps its state
				continue
			}
			n.setRoute(a, b, rule)
		}
	}
	return nil
}

// Link returns the configuration of the directed link from -> to.
func (n *Network) Link(from, to NodeID) LinkConfig { return n.routed(from, to).cfg }

// routed returns the link the pair is routed to: its own, a rule's or the
// default.
func (n *Network) routed(from, to NodeID) *link {
	if int(from) < len(n.route) {
		if r := n.route[from]; int(to) < len(r) {
			return n.links[r[to]]
		}
	}
	return n.links[0]
}

func (n *Network) setRoute(from, to NodeID, i int32) {
	if int(from) >= len(n.route) {
		n.route = append(n.route, make([][]int32, int(from)+1-len(n.route))...)
	}
	r := n.route[from]
	if int(to) >= len(r) {
		r = append(r, make([]int32, max(len(n.names), int(to)+1)-len(r))...)
		n.route[from] = r
	}
	r[to] = i
}

// own returns the pair's own link, giving it one with its rule's
// configuration if it has none yet.
func (n *Network) own(from, to NodeID) *link {
	l := n.routed(from, to)
	if !l.shared {
		return l
	}
	l = &link{cfg: l.cfg, net: n, from: from, to: to}
	n.links = append(n.links, l)
	n.setRoute(from, to, int32(len(n.links)-1))
	return l
}

// sending returns the link a message from -> to travels on now.
func (n *Network) sending(from, to NodeID) *link {
	l := n.routed(from, to)
	if l.shared && l.stateful {
		return n.own(from, to)
	}
	return l
}

// delay draws the link's one-way delay for a message of size bytes that
// starts now, and books the link's bandwidth for it.
func (l *link) delay(now Time, size int) (d, added time.Duration) {
	switch lat := l.cfg.Latency.(type) {
	case nil:
	case *constDist:
		d = Seconds(lat.v)
	default:
		d = Seconds(lat.Sample(l.random()))
	}
	if j := l.cfg.Jitter; j > 0 {
		d += time.Duration(l.random().Int64N(2*int64(j)+1)) - j
		d = max(d, 0)
	}
	bw := l.cfg.Bandwidth
	base := d
	for i := range l.faults {
		f := &l.faults[i].f
		d += f.Latency
		if f.Jitter > 0 {
			d = max(d+time.Duration(l.random().Int64N(2*int64(f.Jitter)+1))-f.Jitter, 0)
		}
		if f.Bandwidth > 0 && (bw == 0 || f.Bandwidth < bw) {
			bw = f.Bandwidth
		}
	}
	for i := range l.faults {
		f := &l.faults[i].f
		if f.SliceBytes > 0 && size > 0 {
			d += time.Duration(sliceCount(size, f.SliceBytes)-1) * f.SliceDelay
		}
	}
	added = max(d-base, 0)
	if bw > 0 && size > 0 {
		start := max(now, l.busyTill)
		l.busyTill = start.Add(Seconds(float64(size) / bw))
		d += l.busyTill.Sub(now)
	}
	return d, added
}

// sliceCount counts the pieces Toxiproxy's slicer cuts size bytes into:
// halves, until a piece is at most limit bytes.
func sliceCount(size, limit int) int {
	if size <= limit {
		return 1
	}
	return sliceCount(size/2, limit) + sliceCount(size-size/2, limit)
}

// overLimit counts a message of size bytes against every limit fault's
// connection and reports whether one of them closes on it (its count
// starts again: the next message opens a new connection).
func (l *link) overLimit(size int) bool {
	over := false
	for i := range l.faults {
		af := &l.faults[i]
		if af.f.LimitBytes <= 0 {
			continue
		}
		af.used += int64(size)
		if af.used > af.f.LimitBytes {
			af.used, over = 0, true
		}
	}
	return over
}

// lost draws the link's own loss and every fault's.
func (l *link) lost() bool {
	if l.cfg.Loss > 0 && l.random().Float64() < l.cfg.Loss {
		return true
	}
	for i := range l.faults {
		if p := l.faults[i].f.Loss; p > 0 && l.random().Float64() < p {
			return true
		}
	}
	return false
}

// blocked returns the first drop or reset fault on the link, if any.
func (l *link) blocked() *LinkFault {
	for i := range l.faults {
		if f := &l.faults[i].f; f.Drop || f.Reset {
			return f
		}
	}
	return nil
}

// Send puts a message on the link From -> To. What happens next is
// decided now, from the link's own stream: it arrives (Deliver runs at the
// receiver), it is lost or black-holed (nothing happens), or it is refused
// (Refused runs at the sender after about one round trip). A message is
// also black-holed if a cut is in place when it would arrive.
func (n *Network) Send(m Message) {
	if !n.valid(m.From) || !n.valid(m.To) {
		panic(fmt.Sprintf("sim: send %d->%d: unknown node", m.From, m.To))
	}
	n.stats.Sent++
	if cut, mode := n.cutBetween(m.From, m.To); cut {
		n.reject(m, mode)
		return
	}
	l := n.sending(m.From, m.To)
	if f := l.blocked(); f != nil {
		n.faulted(m, f)
		return
	}
	if l.overLimit(m.Size) {
		n.reject(m, Refuse)
		return
	}
	d, added := l.delay(n.k.now, m.Size)
	if l.lost() {
		n.stats.Lost++
		return
	}
	slot := n.inflight.Put(m)
	if id, ok := l.flushing(); ok && added > 0 {
		if len(l.held) >= 64 && len(l.held) == cap(l.held) {
			l.held = slices.DeleteFunc(l.held, func(h heldMsg) bool { return !n.k.Pending(h.timer) })
		}
		t := n.k.AfterTimer(d, n.id, netArrive, int64(slot), 0)
		l.held = append(l.held, heldMsg{fault: id, timer: t, slot: slot, bare: n.k.now.Add(d - added)})
		return
	}
	n.k.After(d, n.id, netArrive, int64(slot), 0)
}

// flushing returns the latest active Flush fault of the link, if any.
func (l *link) flushing() (LinkFaultID, bool) {
	for i := len(l.faults) - 1; i >= 0; i-- {
		if l.faults[i].f.Flush {
			return l.faults[i].id, true
		}
	}
	return 0, false
}

// flush delivers now (or at their bare arrival, if later) the messages
// fault id still holds on l, in the order they were sent.
func (n *Network) flush(l *link, id LinkFaultID) {
	kept := l.held[:0]
	for _, h := range l.held {
		switch {
		case h.fault != id:
			kept = append(kept, h)
		case n.k.Cancel(h.timer):
			n.k.Schedule(max(n.k.now, h.bare), n.id, netArrive, int64(h.slot), 0)
		}
	}
	clear(l.held[len(kept):])
	l.held = kept
}

func (n *Network) reject(m Message, mode CutMode) {
	if mode == BlackHole {
		n.stats.BlackHoled++
		return
	}
	n.stats.Refused++
	there, _ := n.sending(m.From, m.To).delay(n.k.now, 0)
	back, _ := n.sending(m.To, m.From).delay(n.k.now, 0)
	rtt := there + back
	n.k.ScheduleTarget(n.k.now.Add(rtt), m.Refused)
}

// faulted handles a message that a drop or reset fault stops.
func (n *Network) faulted(m Message, f *LinkFault) {
	switch {
	case f.Reset && f.After == 0:
		n.reject(m, Refuse)
	case f.Reset || f.After > 0:
		n.stats.Refused++
		n.k.ScheduleTarget(n.k.now.Add(f.After), m.Refused)
	default:
		n.stats.BlackHoled++
	}
}

// AddLinkFault applies f to the directed link from -> to until removed.
func (n *Network) AddLinkFault(from, to NodeID, f LinkFault) (LinkFaultID, error) {
	if !n.valid(from) || !n.valid(to) {
		return 0, fmt.Errorf("link fault %d->%d: %w", from, to, ErrUnknownNode)
	}
	if err := f.Validate(); err != nil {
		return 0, fmt.Errorf("link fault %s->%s: %w", n.names[from], n.names[to], err)
	}
	n.faultIDs++
	l := n.own(from, to)
	l.faults = append(l.faults, activeFault{id: n.faultIDs, f: f})
	return n.faultIDs, nil
}

// RemoveLinkFault removes a link fault; it reports whether it was active.
func (n *Network) RemoveLinkFault(from, to NodeID, id LinkFaultID) bool {
	l := n.routed(from, to)
	if l.shared {
		return false
	}
	for i := range l.faults {
		if l.faults[i].id == id {
			flush := l.faults[i].f.Flush
			l.faults = append(l.faults[:i], l.faults[i+1:]...)
			if flush {
				n.flush(l, id)
			}
			return true
		}
	}
	return false
}

// HandleEvent delivers a message that reached the end of its link.
func (n *Network) HandleEvent(ev Event) {
	m := n.inflight.Take(int32(ev.A))
	if cut, _ := n.cutBetween(m.From, m.To); cut {
		n.stats.BlackHoled++ // the cut came up while it was on the wire
		return
	}
	n.stats.Delivered++
	n.k.ScheduleTarget(n.k.now, m.Deliver)
}

// KindName names the network's only event kind in traces.
func (n *Network) KindName(uint32) string { return "arrive" }

// Reachable reports whether a message sent now from -> to would cross no
// cut (it may still be lost to the link's loss probability).
func (n *Network) Reachable(from, to NodeID) bool {
	c, _ := n.cutBetween(from, to)
	return !c
}

func (n *Network) cutBetween(from, to NodeID) (bool, CutMode) {
	if from == to {
		return false, 0
	}
	for i := range n.cuts {
		c := &n.cuts[i]
		sf, st := c.side[from], c.side[to]
		if sf < 0 || st < 0 || sf == st {
			continue
		}
		if c.oneWay && sf != 0 {
			continue
		}
		return true, c.mode
	}
	return false, 0
}

// Cut puts a partition in place now and returns its ID for Heal.
func (n *Network) Cut(p Partition) (PartitionID, error) {
	c, err := n.compile(p)
	if err != nil {
		return 0, err
	}
	n.nextCut++
	c.id = n.nextCut
	n.cuts = append(n.cuts, c)
	return c.id, nil
}

// Heal removes a partition; it reports whether it was in place.
func (n *Network) Heal(id PartitionID) bool {
	for i := range n.cuts {
		if n.cuts[i].id == id {
			n.cuts = append(n.cuts[:i], n.cuts[i+1:]...)
			return true
		}
	}
	return false
}

// HealAll removes every partition.
func (n *Network) HealAll() { n.cuts = n.cuts[:0] }

// ScheduleCut validates p now, puts it in place at time at and heals it d
// later (d > 0).
func (n *Network) ScheduleCut(at Time, d time.Duration, p Partition) error {
	if d <= 0 {
		return fmt.Errorf("partition duration must be > 0, got %v", d)
	}
	if _, err := n.compile(p); err != nil {
		return err
	}
	n.k.AtFunc(at, func() {
		id, _ := n.Cut(p) // validated above; nodes are never removed
		n.k.AfterFunc(d, func() { n.Heal(id) })
	})
	return nil
}

func (n *Network) compile(p Partition) (cut, error) {
	c := cut{side: make([]int8, len(n.names)), rest: -1, oneWay: p.OneWay, mode: p.Mode}
	if p.Mode > Refuse {
		return c, fmt.Errorf("partition mode must be black-hole or refuse, got %d", p.Mode)
	}
	if p.Isolate != nil {
		if len(p.Groups) > 0 || p.OneWay {
			return c, errors.New("partition: isolate excludes groups and one-way")
		}
		if !n.valid(*p.Isolate) {
			return c, fmt.Errorf("partition isolate %d: %w", *p.Isolate, ErrUnknownNode)
		}
		c.rest = 1
		for i := range c.side {
			c.side[i] = 1
		}
		c.side[*p.Isolate] = 0
		return c, nil
	}
	return c, n.fillGroups(&c, p.Groups)
}

func (n *Network) fillGroups(c *cut, groups [][]NodeID) error {
	if len(groups) < 2 || len(groups) > 127 {
		return fmt.Errorf("partition groups: need 2 to 127 groups, got %d", len(groups))
	}
	for i := range c.side {
		c.side[i] = -1
	}
	for g, nodes := range groups {
		if len(nodes) == 0 {
			return fmt.Errorf("partition groups[%d]: must not be empty", g)
		}
		for j, id := range nodes {
			if !n.valid(id) {
				return fmt.Errorf("partition groups[%d][%d] = %d: %w", g, j, id, ErrUnknownNode)
			}
			if c.side[id] >= 0 {
				return fmt.Errorf("partition groups[%d][%d]: node %s is already in groups[%d]", g, j, n.names[id], c.side[id])
			}
			c.side[id] = int8(g)
		}
	}
	return nil
}
