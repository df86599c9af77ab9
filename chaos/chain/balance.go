package chain

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/faultline-sim/faultline/models/balance"
	"github.com/faultline-sim/faultline/sim"
)

// picker chooses the instance of each attempt for one caller (the load
// generator, or one instance's calls to a dependency) with the
// simulator's balancer (balance.New) and, if configured, its
// outlier detector (balance.Outlier), which filters the instances before
// the balancer picks and learns of every attempt's outcome. Every
// instance of the chain is always ready: the simulator's readiness
// (start-up, draining) has no counterpart here. The state machines are
// not safe for concurrent use: mu guards them; their virtual time is the
// real time since origin.
type picker struct {
	origin time.Time
	all    []int // every instance, 0..n-1

	mu      sync.Mutex
	bal     balance.Balancer
	outlier *balance.Outlier // nil: no outlier detection
}

// newPicker builds the picker of n instances with policy (a validated
// name, "" for round robin), r the balancer's random stream and od the
// outlier detection (nil: none), whose sweeps start at origin.
func newPicker(policy string, n int, r *rand.Rand, od *balance.OutlierConfig, origin time.Time) (*picker, error) {
	bal, err := balance.New(policy, n, r)
	if err != nil {
		return nil, err
	}
	p := &picker{origin: origin, bal: bal}
	for i := range n {
		p.all = append(p.all, i)
	}
	if od != nil {
		p.outlier = balance.NewOutlier(*od, 0)
	}
	return p, nil
}

func (p *picker) now() sim.Time { return sim.At(time.Since(p.origin)) }

// pick returns the instance of the next attempt; call done once it has
// ended.
func (p *picker) pick() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	ready := p.all
	if p.outlier != nil {
		ready = p.outlier.Filter(ready, p.now())
	}
	return p.bal.Pick(ready)
}

// done ends an attempt on instance i: ok if it was answered with a
// success; any other outcome, a timeout included, is a failure for the
// outlier detector.
func (p *picker) done(i int, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bal.Done(i)
	if p.outlier != nil {
		p.outlier.Observe(i, ok, p.now(), len(p.all))
	}
}

// ejections returns how many ejections the outlier detector has made (0
// without one).
func (p *picker) ejections() int64 {
	if p.outlier == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outlier.Ejections()
}
