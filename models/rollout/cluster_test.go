package rollout

import "fmt"

// cluster is the test's stand-in for the lead's service model: it holds
// the pods of two versions, creates and deletes them as a Decision says
// and makes them available and gone after their delays. Time is in ticks.
type cluster struct {
	desired int
	now     int
	pods    []pod
	// availableAfter draws how long a new pod takes to become available.
	availableAfter func() int
	// goneAfter draws how long a deleted pod takes to terminate; 0 drops
	// it at once.
	goneAfter func() int
}

type pod struct {
	version     int // 0 old, 1 new
	availableAt int
	deleted     bool
	goneAt      int
}

func newCluster(desired int, availableAfter, goneAfter func() int) *cluster {
	c := &cluster{desired: desired, availableAfter: availableAfter, goneAfter: goneAfter}
	for range desired {
		c.pods = append(c.pods, pod{version: 0})
	}
	return c
}

// state counts the pods as the caller of Plan does.
func (c *cluster) state() State {
	s := State{Desired: c.desired}
	for _, p := range c.pods {
		rs := &s.Old
		if p.version == 1 {
			rs = &s.New
		}
		switch {
		case p.deleted:
			rs.Terminating++
		case p.availableAt <= c.now:
			rs.Pods++
			rs.Available++
		default:
			rs.Pods++
		}
	}
	return s
}

// apply resizes both versions, deleting unavailable pods first.
func (c *cluster) apply(d Decision) {
	c.resize(0, d.Old)
	c.resize(1, d.New)
	c.dropGone()
}

func (c *cluster) resize(version, size int) {
	have := 0
	for _, p := range c.pods {
		if p.version == version && !p.deleted {
			have++
		}
	}
	for ; have < size; have++ {
		c.pods = append(c.pods, pod{version: version, availableAt: c.now + c.availableAfter()})
	}
	for _, wantAvailable := range []bool{false, true} {
		for i := range c.pods {
			p := &c.pods[i]
			if have > size && p.version == version && !p.deleted && (p.availableAt <= c.now) == wantAvailable {
				p.deleted, p.goneAt = true, c.now+c.goneAfter()
				have--
			}
		}
	}
}

func (c *cluster) dropGone() {
	kept := c.pods[:0]
	for _, p := range c.pods {
		if !p.deleted || p.goneAt > c.now {
			kept = append(kept, p)
		}
	}
	c.pods = kept
}

// advance moves time to the next pod becoming available or gone, and
// reports false if nothing is pending.
func (c *cluster) advance() bool {
	next, ok := 0, false
	for _, p := range c.pods {
		at := p.availableAt
		if p.deleted {
			at = p.goneAt
		}
		if at > c.now && (!ok || at < next) {
			next, ok = at, true
		}
	}
	if ok {
		c.now = next
		c.dropGone()
	}
	return ok
}

// step is one decision that changed a size, at the tick it was made.
type step struct{ at, old, new int }

func (s step) String() string { return fmt.Sprintf("t=%d old=%d new=%d", s.at, s.old, s.new) }

// rollout calls Plan whenever something changed, as the lead's model
// will, until it reports Done; check sees every state before and after a
// change. It returns the changes and false if the rollout got stuck or
// ran past maxSteps.
func rollout(p *Planner, c *cluster, maxSteps int, check func(before, after State)) ([]step, bool) {
	var steps []step
	for len(steps) <= maxSteps {
		before := c.state()
		d := p.Plan(before)
		if d.Done {
			return steps, true
		}
		if d.Old == before.Old.Pods && d.New == before.New.Pods {
			if !c.advance() {
				return steps, false
			}
			continue
		}
		c.apply(d)
		steps = append(steps, step{c.now, d.Old, d.New})
		if check != nil {
			check(before, c.state())
		}
	}
	return steps, false
}

func constant(n int) func() int { return func() int { return n } }
