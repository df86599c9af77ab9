package service

import (
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// Event kinds of an instance's lifecycle (kindDone is the first).
const (
	kindReady uint32 = 3 // a launched instance has finished starting; A the generation
	kindGrace uint32 = 4 // a draining instance's grace period is over; A the generation
)

// DrainGrace bounds a graceful stop, as Kubernetes' default
// terminationGracePeriodSeconds does: a draining instance that still holds
// requests (or awaits requests lost on the way) this long after it began
// to drain is stopped, and what it holds is answered StatusReset.
const DrainGrace = 30 * time.Second

// phase is where an instance is in its life as the service scales. The
// zero value is ready: the instances a service starts with are.
type phase uint8

const (
	phaseReady    phase = iota // takes traffic
	phaseStarting              // launched, not ready yet: no traffic
	phaseDraining              // finishing what it holds, then stopping: no new traffic
	phaseStopped               // gone; a later scale-up may launch it again
)

// Ready reports whether the instance takes new traffic. Readiness probes
// are not modelled: a crashed or paused instance that is ready stays so,
// as it does between two failed probes.
func (in *Instance) Ready() bool { return in.phase == phaseReady }

// Live reports whether the instance's process exists: starting, ready or
// draining (it costs an instance's resources).
func (in *Instance) Live() bool { return in.phase != phaseStopped }

// Starting reports whether the instance was launched and is not ready yet.
func (in *Instance) Starting() bool { return in.phase == phaseStarting }

// Started returns when the instance was launched (0 for the instances the
// service starts with).
func (in *Instance) Started() sim.Time { return in.started }

// ReadySince returns when the instance last became ready.
func (in *Instance) ReadySince() sim.Time { return in.readyAt }

// RequestTime returns the integral over time of the requests present at
// the instance, waiting or in service: its mean concurrency over a
// window is the change of RequestTime divided by the window.
func (in *Instance) RequestTime() time.Duration {
	return in.reqAcc + time.Duration(in.present)*in.k.Now().Sub(in.reqSince)
}

// setPresent records that n requests are present from now on.
func (in *Instance) setPresent(n int) {
	now := in.k.Now()
	in.reqAcc += time.Duration(in.present) * now.Sub(in.reqSince)
	in.reqSince, in.present = now, n
}

// launch starts a new process in a stopped (or new) slot: idle, empty,
// ready after startup.
func (in *Instance) launch(startup time.Duration) {
	in.gen++
	in.down, in.paused = false, false
	in.started = in.k.Now()
	in.phase = phaseStarting
	if startup == 0 {
		in.becomeReady()
		return
	}
	in.k.After(startup, in.id, kindReady, in.gen, 0)
}

func (in *Instance) becomeReady() {
	in.phase, in.readyAt = phaseReady, in.k.Now()
	in.owner.refreshReady()
	in.owner.rollout.changed(in)
}

// drain takes the instance out of rotation: it serves what it holds and
// what is already on the way to it, then stops (or is stopped after
// DrainGrace). A starting instance is stopped at once.
func (in *Instance) drain() {
	if in.phase == phaseStarting {
		in.stop()
		return
	}
	in.phase = phaseDraining
	in.owner.refreshReady()
	in.k.After(DrainGrace, in.id, kindGrace, in.gen, 0)
	in.stopIfDrained()
}

// stopIfDrained stops a draining instance that holds nothing and expects
// nothing.
func (in *Instance) stopIfDrained() {
	if in.phase == phaseDraining && in.present == 0 && in.inbound == 0 {
		in.stop()
	}
}

// stop ends the process: whatever it still holds is reset, and requests
// that arrive later are reset at once (the connection is refused).
func (in *Instance) stop() {
	in.resetAll()
	wasReady := in.phase == phaseReady
	in.phase = phaseStopped
	in.gen++
	in.owner.setLive(in.owner.live - 1)
	if wasReady {
		in.owner.refreshReady()
	}
	in.owner.rollout.changed(nil)
}
