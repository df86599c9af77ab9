package service

import (
	"sort"
	"time"

	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// Saga is the call mode of an orchestrated saga: the calls are its steps,
// made in order; when a step fails, the orchestrator runs the
// compensations (Call.Compensate) of the steps that succeeded, newest
// first, and the request fails. A step that timed out may have been
// applied: if it has a compensation, that runs first. A compensation that
// fails (after its retries) leaves the saga stuck.
const Saga = "saga"

// Ledger records what the steps of every saga of a world really did, as
// the services that ran them saw it, beside what the orchestrators
// believed: a step whose answer was lost was still applied, and a retried
// step may be applied twice. One ledger serves a world; a nil *Ledger
// records nothing.
type Ledger struct {
	attempts map[deadlineKey]effectRef // a step's or compensation's attempt in flight
	sagas    []sagaRecord
}

type effectRef struct {
	saga int32
	step int16
	comp bool // a compensation
}

// sagaRecord is one saga: its steps and how it ended.
type sagaRecord struct {
	steps      []stepRecord
	start      sim.Time // when the first step succeeded, as the orchestrator saw it; 0 before
	end        sim.Time
	state      sagaState
	idempotent []bool
}

type stepRecord struct {
	applied     int  // times the service applied the step
	compApplied int  // times its compensation was applied
	believed    bool // the orchestrator saw it succeed
	compensated bool // the orchestrator saw its compensation succeed
}

type sagaState uint8

const (
	sagaRunning sagaState = iota
	sagaCompleted
	sagaCompensated
	sagaAborted // failed at its first step: nothing to compensate
	sagaStuck
)

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{attempts: map[deadlineKey]effectRef{}} }

func (l *Ledger) begin(steps int, idempotent []bool) int32 {
	l.sagas = append(l.sagas, sagaRecord{steps: make([]stepRecord, steps), idempotent: idempotent})
	return int32(len(l.sagas) - 1)
}

// attempt notes that caller's request id is an attempt of a step (or its
// compensation) of saga s.
func (l *Ledger) attempt(caller sim.HandlerID, id int64, s int32, step int, comp bool) {
	l.attempts[deadlineKey{caller, id}] = effectRef{saga: s, step: int16(step), comp: comp}
}

// served is an instance having done request r successfully: if it is a
// saga step, the step's effect is applied.
func (l *Ledger) served(r Request) {
	if l == nil {
		return
	}
	ref, ok := l.attempts[deadlineKey{r.Caller, r.ID}]
	if !ok {
		return
	}
	st := &l.sagas[ref.saga].steps[ref.step]
	if ref.comp {
		st.compApplied++
	} else {
		st.applied++
	}
}

// SagaStats sums up the sagas of a world.
type SagaStats struct {
	Started, Completed, Compensated, Aborted, Stuck, Running int64
	// DuplicateEffects counts step effects applied more than once
	// (retries of a step whose first attempt was applied but not
	// answered), on steps that are not idempotent.
	DuplicateEffects int64
	// OrphanedEffects counts steps applied (at least once) that the
	// orchestrator believed had failed and that nothing compensated: the
	// saga ended inconsistent.
	OrphanedEffects int64
	// Windows are the inconsistency windows of the sagas that ended
	// (completed or compensated): from the first step's success to the
	// last step's or the last compensation's; a stuck saga's window runs
	// to the end of the run. Sorted.
	Windows []time.Duration
}

// Stats sums up the sagas, the open ones judged at now.
func (l *Ledger) Stats(now sim.Time) SagaStats {
	var s SagaStats
	if l == nil {
		return s
	}
	for i := range l.sagas {
		sg := &l.sagas[i]
		s.Started++
		switch sg.state {
		case sagaRunning:
			s.Running++
		case sagaCompleted:
			s.Completed++
		case sagaCompensated:
			s.Compensated++
		case sagaAborted:
			s.Aborted++
		case sagaStuck:
			s.Stuck++
		}
		for j, st := range sg.steps {
			if st.applied > 1 && !sg.idempotent[j] {
				s.DuplicateEffects += int64(st.applied - 1)
			}
			if st.applied > 0 && !st.believed && st.compApplied == 0 && sg.state != sagaRunning {
				s.OrphanedEffects++
			}
		}
		if sg.start != 0 {
			end := sg.end
			if sg.state == sagaStuck || sg.state == sagaRunning {
				end = now
			}
			s.Windows = append(s.Windows, end.Sub(sg.start))
		}
	}
	sort.Slice(s.Windows, func(i, j int) bool { return s.Windows[i] < s.Windows[j] })
	return s
}

// UseLedger makes the service's instances record saga effects in l, and,
// for a saga orchestrator, its sagas. Call it before Connect.
func (s *Service) UseLedger(l *Ledger) {
	s.ledger = l
	for _, in := range s.inst {
		in.ledger = l
	}
}

// sagaBegin starts the saga of worker w's request.
func (c *caller) sagaBegin(w int32) {
	idem := make([]bool, c.steps())
	for i := range c.steps() {
		idem[i] = c.deps[i].cfg.Idempotent
	}
	f := &c.fans[w]
	f.saga, f.unsure = c.in.ledger.begin(c.steps(), idem), -1
	c.start(w, 0)
}

// sagaEnded moves worker w's saga on after its op o ended with out.
func (c *caller) sagaEnded(o op, out results.Outcome) {
	success := out == results.OK
	f := &c.fans[o.worker]
	l := c.in.ledger
	sg := &l.sagas[f.saga]
	now := c.k.Now()
	switch {
	case o.compStep >= 0 && success: // a compensation done
		sg.steps[o.compStep].compensated = true
		c.compensate(o.worker, int(o.compStep)-1)
	case o.compStep >= 0: // a compensation failed: stuck
		sg.state, sg.end = sagaStuck, now
		c.answer(o.worker, StatusError)
	case success:
		sg.steps[o.dep].believed = true
		if sg.start == 0 {
			sg.start = now
		}
		if int(o.dep)+1 < c.steps() {
			c.start(o.worker, o.dep+1)
			return
		}
		sg.state, sg.end = sagaCompleted, now
		c.answer(o.worker, StatusOK)
	case out == results.Timeout && c.deps[o.dep].compensation >= 0:
		// The step may have been applied: undo it too (its compensation
		// must be safe when it was not, e.g. cancel by idempotency key).
		f.unsure = int(o.dep)
		c.compensate(o.worker, int(o.dep))
	default: // a step failed: undo the ones before it
		c.compensate(o.worker, int(o.dep)-1)
	}
}

// compensate runs the compensation of step, or of the step before it when
// it has none; below step 0 the saga is over.
func (c *caller) compensate(w int32, step int) {
	f := &c.fans[w]
	sg := &c.in.ledger.sagas[f.saga]
	for ; step >= 0; step-- {
		if d := c.deps[step].compensation; d >= 0 && (sg.steps[step].believed || step == f.unsure) {
			slot := c.ops.Alloc()
			o := c.ops.At(slot)
			o.worker, o.token, o.dep, o.attempt, o.compStep = w, f.token, d, 1, int16(step)
			o.deadline = f.deadline
			o.endpoint = c.calleeEndpoint(c.deps[d])
			c.deps[d].stats.Calls++
			c.try(slot)
			return
		}
	}
	sg.end = c.k.Now()
	sg.state = sagaCompensated
	if sg.start == 0 {
		sg.state = sagaAborted
	}
	c.answer(w, StatusError)
}

// steps is the number of a saga's steps: the service's calls (an
// endpoint's own calls cannot be a saga's, see Config.Validate).
func (c *caller) steps() int { return int(c.lists[0].n) }
