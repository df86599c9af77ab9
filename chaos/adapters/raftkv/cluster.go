package raftkv

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/faultline-sim/faultline/chaos/kv"
	"github.com/faultline-sim/faultline/chaos/timeline"
)

// statuses asks every node for its status, in parallel, each within
// timeout; a node that does not answer has State "".
func (s *System) statuses(ctx context.Context, timeout time.Duration) []kv.Status {
	out := make([]kv.Status, len(s.control))
	var wg sync.WaitGroup
	for i, cl := range s.control {
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			if st, err := cl.Status(sctx); err == nil {
				out[i] = st
			}
		})
	}
	wg.Wait()
	return out
}

// leader returns the index of the node that is leader in the highest
// term, or -1.
func leader(sts []kv.Status) int {
	best := -1
	for i, st := range sts {
		if st.State == "Leader" && (best < 0 || st.Term > sts[best].Term) {
			best = i
		}
	}
	return best
}

// waitLeader waits until a node is leader and every node knows it.
func (s *System) waitLeader(ctx context.Context, limit time.Duration) (int, error) {
	deadline := time.Now().Add(limit)
	for {
		if id := s.procs.Exited(); id != "" {
			return -1, fmt.Errorf("%w: node %s exited during start-up (see its log)", timeline.ErrHarness, id)
		}
		sts := s.statuses(ctx, 500*time.Millisecond)
		if l := leader(sts); l >= 0 && allKnow(sts, s.ids[l]) {
			return l, nil
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("%w: no leader known to every node within %v", timeline.ErrHarness, limit)
		}
		if !timeline.SleepUntil(ctx, time.Now().Add(20*time.Millisecond)) {
			return -1, ctx.Err()
		}
	}
}

// moveLeader makes replica want the leader, by leadership transfer from
// whichever replica leads, and waits until every node knows it; a few
// tries, as a transfer can lose to an election.
func (s *System) moveLeader(ctx context.Context, want int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		l, err := s.waitLeader(ctx, time.Until(deadline))
		if err != nil {
			return err
		}
		if l == want {
			return nil
		}
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = s.control[l].TransferLeadership(tctx, s.ids[want])
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if last == nil {
			// Wait for the new leader to be known to every node.
			timeline.SleepUntil(ctx, time.Now().Add(50*time.Millisecond))
		}
	}
	return fmt.Errorf("%w: leadership not moved to %s within %v (last error: %v)", timeline.ErrHarness, s.ids[want], limit, last)
}

func allKnow(sts []kv.Status, id string) bool {
	for _, st := range sts {
		if st.Leader != id {
			return false
		}
	}
	return true
}

// dumps returns every node's state (nil for a node that did not answer).
func (s *System) dumps(ctx context.Context) []map[int]int64 {
	out := make([]map[int]int64, len(s.control))
	var wg sync.WaitGroup
	for i, cl := range s.control {
		wg.Go(func() {
			dctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			if m, err := cl.Dump(dctx); err == nil {
				out[i] = m
			}
		})
	}
	wg.Wait()
	return out
}

// finalValues returns, for every key any replica holds, the value most
// replicas hold (ties to the lowest value... of the lowest replica), and
// the number of keys on which the answering replicas disagree.
func finalValues(ds []map[int]int64) (final map[int]int64, divergence int) {
	keys := map[int]bool{}
	for _, d := range ds {
		for k := range d {
			keys[k] = true
		}
	}
	sorted := make([]int, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Ints(sorted)
	final = map[int]int64{}
	for _, k := range sorted {
		votes := map[int64]int{}
		best, bestVotes := int64(0), -1
		for _, d := range ds {
			if d == nil {
				continue
			}
			v := d[k]
			votes[v]++
			if votes[v] > bestVotes {
				best, bestVotes = v, votes[v]
			}
		}
		final[k] = best
		if len(votes) > 1 {
			divergence++
		}
	}
	return final, divergence
}

// Sample implements timeline.System: it records every node's latest raft
// state and, once the last fault has ended, when the replicas first
// agree. Each node is asked on its own, each ask bounded by
// statusTimeout, so that one that does not answer (paused, crashed,
// slow) delays no other: its last answer stands until its ask times out,
// then it reads as not answering (State "").
func (s *System) Sample(ctx context.Context) {
	at := s.env.Since()
	sts := s.poll(ctx)
	s.mu.Lock()
	s.samples = append(s.samples, sample{at: at, sts: sts})
	conv := s.converged
	s.mu.Unlock()
	if len(s.env.Scenario.Faults) > 0 && conv < 0 && at >= s.lastFaultEnd() {
		if _, div := finalValues(s.dumps(ctx)); div == 0 && ctx.Err() == nil {
			s.mu.Lock()
			s.converged = s.env.Since()
			s.mu.Unlock()
		}
	}
}

// poll asks every node with no ask in flight for its status and returns
// every node's latest answer; the first time, it asks every node and
// waits for the answers.
func (s *System) poll(ctx context.Context) []kv.Status {
	s.pollMu.Lock()
	first := !s.polled
	s.polled = true
	s.pollMu.Unlock()
	if first {
		sts := s.statuses(ctx, statusTimeout)
		s.pollMu.Lock()
		copy(s.latest, sts)
		s.pollMu.Unlock()
		return sts
	}
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	for i, cl := range s.control {
		if s.asking[i] {
			continue
		}
		s.asking[i] = true
		s.asks.Go(func() {
			actx, cancel := context.WithTimeout(ctx, statusTimeout)
			st, err := cl.Status(actx)
			cancel()
			if err != nil {
				st = kv.Status{}
			}
			s.pollMu.Lock()
			defer s.pollMu.Unlock()
			s.asking[i] = false
			if ctx.Err() == nil { // an ask cut short by the end of sampling says nothing
				s.latest[i] = st
			}
		})
	}
	return append([]kv.Status(nil), s.latest...)
}

// lastFaultEnd is when the scenario's last fault ends: the end of its
// During phase (results.PhasesOf), as in the simulator.
func (s *System) lastFaultEnd() time.Duration {
	return s.env.Scenario.PhaseWindows().During.End
}
