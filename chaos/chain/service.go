package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// Headers of the chain's protocol.
const (
	// HeaderTimeout carries the attempt's remaining time (a Go duration,
	// e.g. "412ms"). A callee with HonorDeadlines counts its deadline from
	// the request's arrival, drops the request (504) if it passes before a
	// worker takes it, and gives its own calls at most the time left.
	HeaderTimeout = "X-Faultline-Timeout"
	// HeaderDegraded is set on a 200 built with a fallback, here or
	// downstream: the targets whose calls failed and fell back,
	// comma-separated (a service passes on its dependencies' list).
	HeaderDegraded = "X-Faultline-Degraded"
)

// Paths a service serves: StatusPath answers a Status as JSON; every
// other path is the service's work.
const StatusPath = "/status"

// Status is what a service instance has seen so far, as StatusPath
// answers it (or, from Chain.Status, the sum over a service's instances).
// Incoming requests are counted by how they ended.
type Status struct {
	Name        string `json:"name"`
	Instance    int    `json:"instance"`
	Requests    uint64 `json:"requests"`
	OK          uint64 `json:"ok"`       // 200, degraded or not
	Degraded    uint64 `json:"degraded"` // 200 built with a fallback
	Errors      uint64 `json:"errors"`   // 500 (error_rate) and 502 (a dependency failed)
	Rejected    uint64 `json:"rejected"` // 503: no worker and the queue full
	RateLimited uint64 `json:"rate_limited"`
	// Expired counts requests dropped (504) because their deadline passed
	// while queued or working.
	Expired uint64 `json:"expired"`
	// Active is the number of requests holding a worker, Waiting the
	// number queued for one.
	Active  int `json:"active"`
	Waiting int `json:"waiting"`
	// Worker time, measured. Served counts the requests that did their
	// work and have released their worker; over them, HeldNs sums the
	// time each held it (from taking it to releasing it), ServiceNs the
	// service times drawn, WorkNs the time from taking the worker to the
	// end of the work (the drawn time plus what delayed its end) and
	// CallsNs the time spent in calls, so that HeldNs - WorkNs - CallsNs
	// is the rest of the hold: building the answer and letting go.
	// Handoffs counts the requests that were waiting when a worker was
	// released to them, and HandoffNs sums the time from the release to
	// their taking it: time the worker sat idle with work queued.
	Served    uint64 `json:"served"`
	HeldNs    uint64 `json:"held_ns"`
	ServiceNs uint64 `json:"service_ns"`
	WorkNs    uint64 `json:"work_ns"`
	CallsNs   uint64 `json:"calls_ns"`
	Handoffs  uint64 `json:"handoffs"`
	HandoffNs uint64 `json:"handoff_ns"`

	Calls []CallStatus `json:"calls"`
}

// Service is one running service instance's logic, as an http.Handler.
type Service struct {
	cfg   ServiceConfig
	work  sim.Dist // nil: no work
	rl    *rate.Limiter
	free  chan time.Time // one per idle worker: when it was last released
	inSys atomic.Int64   // requests holding or waiting for a worker
	calls []*caller

	mu  sync.Mutex // guards rng
	rng *rand.Rand

	requests, ok, degraded, errs, rejected, rateLimited, expired    atomic.Uint64
	served, heldNs, serviceNs, workNs, callsNs, handoffs, handoffNs atomic.Uint64
}

// NewService applies the defaults, validates cfg (every call needs its
// Addrs) and returns the service instance.
func NewService(cfg ServiceConfig) (*Service, error) {
	cfg = cfg.Clone()
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Per-entity streams: (seed, instance<<32 | 0) for the work,
	// (seed, instance<<32 | call+1) for each call's back-offs and
	// (seed, instance<<32 | 1<<16 | call+1) for its balancer.
	stream := func(k int) *rand.Rand { return rand.New(rand.NewPCG(cfg.Seed, uint64(cfg.Instance)<<32|uint64(k))) }
	s := &Service{cfg: cfg, free: make(chan time.Time, cfg.Workers), rng: stream(0)}
	for range cfg.Workers {
		s.free <- time.Time{} // never released: taking it is no handoff
	}
	if cfg.ServiceTime.Kind != "" {
		s.work, _ = cfg.ServiceTime.Build() // validated
	}
	if l := cfg.RateLimit; l != nil {
		s.rl = rate.NewLimiter(rate.Limit(l.Rate), l.Burst)
	}
	origin := time.Now()
	for i, cc := range cfg.Calls {
		if len(cc.Addrs) == 0 {
			return nil, invalid(field.Index("calls", i)+".addrs", "required (127.0.0.1:port, one per instance)")
		}
		c, err := newCaller(cc, stream(i+1), stream(1<<16|(i+1)), origin, cfg.Workers+cfg.QueueLimit)
		if err != nil {
			return nil, under(field.Index("calls", i), err)
		}
		s.calls = append(s.calls, c)
	}
	return s, nil
}

// Status returns the service's counters and its calls' state.
func (s *Service) Status() Status {
	st := Status{Name: s.cfg.Name, Instance: s.cfg.Instance, Requests: s.requests.Load(), OK: s.ok.Load(), Degraded: s.degraded.Load(),
		Errors: s.errs.Load(), Rejected: s.rejected.Load(), RateLimited: s.rateLimited.Load(), Expired: s.expired.Load(),
		Served: s.served.Load(), HeldNs: s.heldNs.Load(), ServiceNs: s.serviceNs.Load(), WorkNs: s.workNs.Load(),
		CallsNs: s.callsNs.Load(), Handoffs: s.handoffs.Load(), HandoffNs: s.handoffNs.Load()}
	st.Active = cap(s.free) - len(s.free)
	st.Waiting = max(int(s.inSys.Load())-st.Active, 0)
	for _, c := range s.calls {
		st.Calls = append(st.Calls, c.status())
	}
	return st
}

// ServeHTTP answers StatusPath with the Status, and anything else with
// the service's work.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == StatusPath {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Status())
		return
	}
	s.requests.Add(1)
	code, degraded := s.handle(r)
	if len(degraded) > 0 {
		w.Header().Set(HeaderDegraded, strings.Join(degraded, ","))
	}
	w.WriteHeader(code)
}

// handle runs one request through admission, the service's work and its
// calls, counts how it ended, and returns the status code.
func (s *Service) handle(r *http.Request) (int, []string) {
	ctx, cancel, ok := s.requestContext(r)
	defer cancel()
	if !ok {
		s.expired.Add(1)
		return http.StatusGatewayTimeout, nil
	}
	if s.rl != nil && !s.rl.Allow() {
		s.rateLimited.Add(1)
		return http.StatusTooManyRequests, nil
	}
	defer s.inSys.Add(-1)
	if s.inSys.Add(1) > int64(s.cfg.Workers+s.cfg.QueueLimit) {
		s.rejected.Add(1)
		return http.StatusServiceUnavailable, nil
	}
	queued := time.Now()
	var t turn
	select {
	case t.freed = <-s.free:
	case <-ctx.Done():
		s.expired.Add(1)
		return http.StatusGatewayTimeout, nil
	}
	t.taken = time.Now()
	defer s.release(queued, &t)
	if ctx.Err() != nil {
		s.expired.Add(1) // the deadline passed in the queue: dropped unserved
		return http.StatusGatewayTimeout, nil
	}
	// The work is not cut short: a busy worker does not watch deadlines.
	// It ends at a deadline counted from the taking of the worker, so
	// that what the worker did before the sleep is part of the drawn time,
	// not added to it.
	t.service = s.serviceTime()
	workUntil(t.taken.Add(t.service))
	t.work, t.served = time.Since(t.taken), true
	if s.fails() {
		s.errs.Add(1)
		return http.StatusInternalServerError, nil
	}
	return s.answer(ctx, &t)
}

// turn is one request's hold of a worker: when the worker was last
// released (zero if never) and taken, the service time drawn, and how
// long the work and the calls took.
type turn struct {
	freed, taken         time.Time
	service, work, calls time.Duration
	served               bool // the work was done
}

// release gives the worker back and accounts for the turn of a request
// queued since queued.
func (s *Service) release(queued time.Time, t *turn) {
	now := time.Now()
	s.free <- now
	// A request waiting for the worker has just been made ready to run
	// next on this thread, but only once this goroutine blocks, after
	// writing its answer (0.08 ms later, measured): yield to it now.
	runtime.Gosched()
	if t.freed.After(queued) {
		s.handoffs.Add(1)
		s.handoffNs.Add(uint64(t.taken.Sub(t.freed)))
	}
	if !t.served {
		return
	}
	s.served.Add(1)
	s.heldNs.Add(uint64(now.Sub(t.taken)))
	s.serviceNs.Add(uint64(t.service))
	s.workNs.Add(uint64(t.work))
	s.callsNs.Add(uint64(t.calls))
}

// answer makes the calls and turns their results into the answer.
func (s *Service) answer(ctx context.Context, t *turn) (int, []string) {
	start := time.Now()
	degraded, failed := s.callAll(ctx)
	t.calls = time.Since(start)
	switch {
	case failed && ctx.Err() != nil:
		s.expired.Add(1)
		return http.StatusGatewayTimeout, nil
	case failed:
		s.errs.Add(1)
		return http.StatusBadGateway, nil
	}
	s.ok.Add(1)
	if len(degraded) > 0 {
		s.degraded.Add(1)
	}
	return http.StatusOK, degraded
}

// requestContext is the context a request is worked on in. Without
// HonorDeadlines it is never done: work goes on for callers that gave up
// or hung up. With it, it ends at the deadline HeaderTimeout gives (from
// the request's arrival) or when the caller hangs up; ok is false when
// the remaining time is already spent or the header is malformed.
func (s *Service) requestContext(r *http.Request) (context.Context, context.CancelFunc, bool) {
	if !s.cfg.HonorDeadlines {
		return context.WithoutCancel(r.Context()), func() {}, true
	}
	h := r.Header.Get(HeaderTimeout)
	if h == "" {
		ctx, cancel := context.WithCancel(r.Context())
		return ctx, cancel, true
	}
	d, err := time.ParseDuration(h)
	ctx, cancel := context.WithTimeout(r.Context(), d)
	return ctx, cancel, err == nil && d > 0
}

// serviceTime draws the work of one request.
func (s *Service) serviceTime() time.Duration {
	if s.work == nil {
		return 0
	}
	s.mu.Lock()
	v := s.work.Sample(s.rng)
	s.mu.Unlock()
	return max(sim.Seconds(v), 0)
}

// fails draws whether the request is answered 500.
func (s *Service) fails() bool {
	if s.cfg.ErrorRate == 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64() < s.cfg.ErrorRate
}

// callResult is how one call of a request ended.
type callResult struct {
	ok       bool   // succeeded, or failed with a fallback
	fellBack string // the target, if the fallback answered
	down     string // the callee's own HeaderDegraded list
}

// degrade appends the targets r marks as degraded.
func (r callResult) degrade(list []string) []string {
	if r.fellBack != "" {
		list = append(list, r.fellBack)
	}
	if r.down != "" {
		list = append(list, strings.Split(r.down, ",")...)
	}
	return list
}

// callOne makes call i and counts how it ended.
func (s *Service) callOne(ctx context.Context, i int) callResult {
	c := s.calls[i]
	o, down := c.do(ctx)
	switch {
	case o == results.OK:
		return callResult{ok: true, down: down}
	case c.cfg.Fallback:
		c.n.fallbacks.Add(1)
		return callResult{ok: true, fellBack: c.cfg.Target}
	}
	c.n.failed.Add(1)
	return callResult{}
}

// callAll makes the service's calls in its mode. A failed call with a
// fallback counts as a success, marked degraded. Sequential mode stops
// at the first failure; parallel mode answers once CallQuorum calls (all
// by default) have succeeded, or fails once too many have failed; the
// calls still running go on, as in the simulator, and are counted.
func (s *Service) callAll(ctx context.Context) (degraded []string, failed bool) {
	if s.cfg.Mode == Sequential {
		for i := range s.calls {
			r := s.callOne(ctx, i)
			if degraded = r.degrade(degraded); !r.ok {
				return degraded, true
			}
		}
		return degraded, false
	}
	need := len(s.calls)
	if s.cfg.CallQuorum > 0 {
		need = s.cfg.CallQuorum
	}
	ch := make(chan callResult, len(s.calls))
	bg, stop := detach(ctx)
	var wg sync.WaitGroup
	for i := range s.calls {
		wg.Go(func() { ch <- s.callOne(bg, i) })
	}
	go func() { wg.Wait(); stop() }()
	ok, bad := 0, 0
	for ok < need && bad <= len(s.calls)-need {
		r := <-ch
		if r.ok {
			ok++
			degraded = r.degrade(degraded)
		} else {
			bad++
		}
	}
	return degraded, ok < need
}

// detach returns a context with ctx's deadline that the end of the
// request does not cancel, for calls that outlive their answer; stop
// releases it.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	bg := context.WithoutCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(bg, dl)
	}
	return bg, func() {}
}

// Serve runs one service on cfg.Listen until ctx is done, then shuts it
// down (in-flight requests get up to a second). It returns an error if
// the config is invalid or the address cannot be bound.
func Serve(ctx context.Context, cfg ServiceConfig) error {
	if cfg.Listen == "" {
		return invalid("listen", "required (127.0.0.1:port)")
	}
	s, err := NewService(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger := log.New(os.Stderr, cfg.Name+" ", log.LstdFlags|log.Lmicroseconds)
	for _, c := range s.calls {
		c.log = logger
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second, ErrorLog: logger}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err = <-done:
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil {
		_ = srv.Close()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if st, jerr := json.Marshal(s.Status()); jerr == nil {
		logger.Printf("stopped; status %s", st)
	}
	return err
}
