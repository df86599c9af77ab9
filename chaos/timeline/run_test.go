package timeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/chaos/proxy"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
)

// fake is a System with no processes: two "processes" a and b, a load
// client c, c dialling a and a dialling b, the role x.leader held by a.
// Its load reports a request every 5 ms, failed once fail says so; it
// records what the timeline asked of it.
type fake struct {
	env  *Env
	fail func(at time.Duration) bool

	mu       sync.Mutex
	calls    []string // Bind, Start, Crash [0], Revert crash stopping=false, ...
	samples  int
	requests int
	driven   time.Duration // how long Drive ran
	listen   []string
}

func (f *fake) log(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fake) Spec() Spec {
	return Spec{
		Nodes:       []Node{{Name: "a", Group: "x", Process: true}, {Name: "b", Group: "x", Process: true}, {Name: "c"}},
		Links:       []Link{{Name: "c_a", From: []int{2}, To: 0}, {Name: "a_b", From: []int{0}, To: 1}},
		Roles:       []string{"x.leader"},
		SampleEvery: 20 * time.Millisecond,
		Settle:      100 * time.Millisecond,
		Drain:       50 * time.Millisecond,
	}
}

func (f *fake) Plan(w io.Writer) { fmt.Fprintln(w, "  processes: a and b, pretend") }

func (f *fake) Bind() ([]string, error) {
	f.log("Bind")
	return []string{"127.0.0.1:1", "127.0.0.1:2"}, nil // a proxy dials its upstream only when used
}

func (f *fake) Start(_ context.Context, listen []string) error {
	f.log("Start")
	f.listen = listen
	return nil
}

func (f *fake) Role(context.Context, string) (int, error) { return 0, nil }

func (f *fake) revert(what string) Revert {
	return func(stopping bool) error {
		f.log("revert %s stopping=%v", what, stopping)
		return nil
	}
}

func (f *fake) Crash(_ context.Context, nodes []int) (Revert, error) {
	f.log("Crash %v", nodes)
	return f.revert("crash"), nil
}

func (f *fake) Pause(_ context.Context, nodes []int) (Revert, error) {
	f.log("Pause %v", nodes)
	return f.revert("pause"), nil
}

func (f *fake) Drive(ctx context.Context) error {
	t0 := f.env.T0()
	for at := time.Duration(0); at < f.env.Scenario.Duration; at += 5 * time.Millisecond {
		if !SleepUntil(ctx, t0.Add(at)) {
			break
		}
		f.env.Ended(f.env.Since(), f.fail != nil && f.fail(at))
		f.mu.Lock()
		f.requests++
		f.mu.Unlock()
	}
	f.mu.Lock()
	f.driven = f.env.Since()
	f.mu.Unlock()
	return nil
}

func (f *fake) Sample(context.Context) {
	f.mu.Lock()
	f.samples++
	f.mu.Unlock()
}

func (f *fake) Exited() string { return "" }

func (f *fake) Results(_ context.Context, rec *results.Recorder, faults []Applied) ([]results.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec.Metric("fake_samples", float64(f.samples))
	rec.Metric("fake_faults", float64(len(faults)))
	return nil, nil
}

func (f *fake) Close() error {
	f.log("Close")
	return nil
}

// fakeRun runs sc on a fake for real (proxies in the embedded Toxiproxy).
func fakeRun(ctx context.Context, t *testing.T, sc *scenarios.Scenario, fail func(time.Duration) bool, opt Options) (results.Run, *fake, *proxy.Harness, []Applied, error) {
	t.Helper()
	f := &fake{fail: fail}
	var h *proxy.Harness
	var applied []Applied
	opt.Hooks.Finished = func(_ *Env, p *proxy.Harness, a []Applied) { h, applied = p, a }
	res, err := Run(ctx, opt, scenarios.Case{Name: "base", Scenario: sc}, 1, func(env *Env) (System, error) {
		f.env = env
		return f, nil
	})
	return res, f, h, applied, err
}

// TestFaultsOnTheTimeline: each fault is applied at its time and undone
// at its end: a link fault as toxics on the streams it crosses, a
// partition of a role resolved at its start, a crash through the system
// and reverted (not stopping); the samplers ran, the system was closed
// and every proxy is gone.
func TestFaultsOnTheTimeline(t *testing.T) {
	ms := time.Millisecond
	sc := &scenarios.Scenario{Name: "fake", Duration: time.Second, Faults: []scenarios.Fault{
		{At: 200 * ms, For: 300 * ms, Type: "latency", From: "c", To: "a", Latency: 50 * ms},
		{At: 300 * ms, For: 200 * ms, Type: "crash", Target: "b"},
		{At: 600 * ms, For: 200 * ms, Type: "partition", Isolate: "x.leader", Mode: "refuse"},
	}}
	dir := t.TempDir()
	res, f, h, applied, err := fakeRun(context.Background(), t, sc, nil, Options{Dir: dir})
	require.NoError(t, err)
	require.Len(t, applied, 3)
	for i, a := range applied {
		want := sc.Faults[i]
		assert.Empty(t, a.Err, "fault %d", i)
		assert.InDelta(t, want.At.Seconds(), a.Start.Seconds(), 0.15, "fault %d starts at its time", i)
		assert.InDelta(t, want.End().Seconds(), a.End.Seconds(), 0.15, "fault %d ends at its time", i)
		assert.Equal(t, a.Start.Seconds(), res.Metrics[fmt.Sprintf("real_fault%d_start_s", i+1)])
	}
	assert.Equal(t, 1, applied[0].Actions, "c->a: the requests on c_a")
	assert.Equal(t, [][]int{{0, 2}}, applied[1].Sides, "a and c keep running while b is down")
	assert.Equal(t, "a", applied[2].Target, "x.leader resolved at the fault's start")
	assert.Equal(t, [][]int{{0}, {1, 2}}, applied[2].Sides)
	var events []string
	for _, e := range h.Events() {
		events = append(events, e.Action+" "+e.Proxy[len(e.Proxy)-3:]+" "+e.Toxic)
	}
	assert.Subset(t, events, []string{"add c_a f1-up", "remove c_a f1-up", "disable c_a ", "disable a_b ", "enable c_a ", "enable a_b "})
	f.mu.Lock()
	assert.Equal(t, []string{"Bind", "Start", "Crash [1]", "revert crash stopping=false", "Close"}, f.calls)
	assert.Greater(t, f.samples, 30, "sampled every 20 ms for 1.1 s")
	f.mu.Unlock()
	assert.Equal(t, 3.0, res.Metrics["fake_faults"])
	assert.Equal(t, 1.0, res.Metrics["time_scale"])
	require.NotEmpty(t, res.Files)
	assert.FileExists(t, dir+"/"+res.Files[0].Path, "the fault log")
	p, x, err := h.Remaining(context.Background())
	require.NoError(t, err)
	assert.Zero(t, p+x, "proxies or toxics left")
}

// TestStopConditionEndsLoadAndFaults: once more than half of the last
// 200 ms of requests failed, the load and the faults end at once, the
// crash is reverted as at its end (not as a teardown), the run settles,
// and it is recorded as stopped, not failed.
func TestStopConditionEndsLoadAndFaults(t *testing.T) {
	ms := time.Millisecond
	sc := &scenarios.Scenario{Name: "fake", Duration: 3 * time.Second,
		Faults: []scenarios.Fault{{At: 250 * ms, For: 2 * time.Second, Type: "crash", Target: "x"}},
		Stop:   &scenarios.Stop{ErrorRate: 0.5, Over: 200 * ms, MinRequests: 5}}
	res, f, _, applied, err := fakeRun(context.Background(), t, sc, func(at time.Duration) bool { return at >= 300*ms }, Options{})
	require.NoError(t, err, "a stopped run is not a failed one")
	m := res.Metrics
	require.Equal(t, 1.0, m["stopped"])
	assert.InDelta(t, 0.45, m["stopped_at_s"], 0.15, "half the window failed about 100 ms after the failures began")
	require.Len(t, applied, 1)
	assert.InDelta(t, m["stopped_at_s"], applied[0].End.Seconds(), 0.1, "the crash ends at the stop")
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Less(t, f.driven, time.Second, "the load ended at the stop")
	assert.Equal(t, []string{"Bind", "Start", "Crash [0 1]", "revert crash stopping=false", "Close"}, f.calls)
	assert.Contains(t, res.Notes[0], "stopped by the stop condition")
}

// TestCancelTearsDown: a run cancelled during a crash and a pause returns
// the context's error, reverts the pause, leaves the crashed process down
// (stopping), closes the system and removes every toxic and proxy.
func TestCancelTearsDown(t *testing.T) {
	ms := time.Millisecond
	sc := &scenarios.Scenario{Name: "fake", Duration: 5 * time.Second, Faults: []scenarios.Fault{
		{At: 100 * ms, For: 4 * time.Second, Type: "crash", Target: "b"},
		{At: 100 * ms, For: 4 * time.Second, Type: "pause", Target: "a"},
		{At: 100 * ms, For: 4 * time.Second, Type: "timeout", From: "c", To: "a"},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n sync.WaitGroup
	n.Add(3)
	go func() { n.Wait(); time.Sleep(100 * ms); cancel() }()
	opt := Options{Hooks: Hooks{FaultApplied: func(int) { n.Done() }}}
	start := time.Now()
	_, f, h, _, err := fakeRun(ctx, t, sc, nil, opt)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 2*time.Second)
	f.mu.Lock()
	assert.Contains(t, f.calls, "revert crash stopping=true")
	assert.Contains(t, f.calls, "revert pause stopping=true")
	assert.Equal(t, "Close", f.calls[len(f.calls)-1])
	f.mu.Unlock()
	p, x, err := h.Remaining(context.Background())
	require.NoError(t, err)
	assert.Zero(t, p+x, "proxies or toxics left")
}

// TestCheckFaults: before anything starts, a crash of what is not a
// process has no real counterpart, and a selector that names nothing is
// an error naming what there is.
func TestCheckFaults(t *testing.T) {
	f := &fake{}
	tp := newTopo(f.Spec())
	err := checkFaults(tp, []scenarios.Fault{{Type: "crash", Target: "c", For: time.Second}})
	assert.ErrorIs(t, err, ErrNoRealCounterpart)
	err = checkFaults(tp, []scenarios.Fault{{Type: "latency", From: "nobody", For: time.Second}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"nobody" names no node of the real system (a, b, c, x, x.leader)`)
	assert.NoError(t, checkFaults(tp, []scenarios.Fault{{Type: "pause", Target: "x.leader", For: time.Second}}))
	err = Plan(io.Discard, Options{}, scenarios.Case{Name: "base", Scenario: &scenarios.Scenario{Name: "fake", Duration: time.Second,
		Faults: []scenarios.Fault{{Type: "pause", Target: "c", For: time.Second}}}}, 1, func(*Env) (System, error) { return f, nil })
	assert.True(t, errors.Is(err, ErrNoRealCounterpart), "Plan refuses what Run would: %v", err)
}

// TestPlan: a dry run says what the system starts, where Toxiproxy is,
// how each fault is applied, the stop condition and how long the run
// lasts, and starts nothing.
func TestPlan(t *testing.T) {
	ms := time.Millisecond
	sc := &scenarios.Scenario{Name: "fake", Duration: 2 * time.Second, Faults: []scenarios.Fault{
		{At: 200 * ms, For: 300 * ms, Type: "latency", From: "c", To: "a", Latency: 50 * ms},
		{At: time.Second, For: 200 * ms, Type: "partition", Isolate: "x.leader", Mode: "black-hole"},
	}, Stop: &scenarios.Stop{ErrorRate: 0.5}}
	f := &fake{}
	var b bytes.Buffer
	require.NoError(t, Plan(&b, Options{TimeScale: 0.5}, scenarios.Case{Name: "base", Scenario: sc}, 7, func(env *Env) (System, error) { f.env = env; return f, nil }))
	out := b.String()
	for _, want := range []string{
		"base: real run at time scale 0.5, seed 7",
		"  processes: a and b, pretend",
		"  toxiproxy: embedded in this process (no fault outlives it)",
		"  faults[0] 100ms .. 250ms: latency +50ms c->a: Toxiproxy latency toxic map[jitter:0 latency:50], toxicity 1, on the streams from c to a: 1 proxy change (c_a upstream)",
		"  faults[1] 500ms .. 600ms: isolate x.leader (black-hole): a timeout toxic (timeout 0: a black hole) on every proxy stream that carries a cut direction (x.leader is whichever node holds that role at the fault's start)",
		"  stop: when more than 0.5 of the requests that ended in the last 5s failed (at least 10 of them)",
		"  lasts: start-up (a few seconds) + load 1s + its last requests (at most 50ms) + settle 100ms",
	} {
		assert.Contains(t, out, want+"\n")
	}
	assert.Empty(t, f.calls, "a dry run starts nothing")
	_, err := os.Stat("real-base-seed7")
	assert.True(t, os.IsNotExist(err))
}
