package load

import (
	"math"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

const s = time.Second

var (
	step    = Schedule{Shape: "step", RPS: 50, To: 200, At: 30 * s}
	ramp    = Schedule{Shape: "ramp", To: 300, At: 10 * s, Over: 40 * s}
	spike   = Schedule{Shape: "spike", RPS: 20, Peak: 500, At: 10 * s, Over: 5 * s}
	diurnal = Schedule{Shape: "diurnal", RPS: 100, Period: 40 * s, Amplitude: 0.8}
)

func TestRate(t *testing.T) {
	cases := []struct {
		name  string
		sched Schedule
		at    time.Duration
		want  float64
	}{
		{"constant at 0", Schedule{Shape: "constant", RPS: 7}, 0, 7},
		{"constant later", Schedule{Shape: "constant", RPS: 7}, 1000 * s, 7},
		{"empty shape is constant", Schedule{RPS: 7}, 3 * s, 7},
		{"step before", step, 29 * s, 50},
		{"step at", step, 30 * s, 200},
		{"step after", step, 100 * s, 200},
		{"step down", Schedule{Shape: "step", RPS: 100, At: 5 * s}, 5 * s, 0},
		{"ramp before", ramp, 5 * s, 0},
		{"ramp start", ramp, 10 * s, 0},
		{"ramp quarter", ramp, 20 * s, 75},
		{"ramp half", ramp, 30 * s, 150},
		{"ramp end", ramp, 50 * s, 300},
		{"ramp after", ramp, 80 * s, 300},
		{"ramp down half", Schedule{Shape: "ramp", RPS: 100, To: 20, At: 0, Over: 10 * s}, 5 * s, 60},
		{"spike before", spike, 9 * s, 20},
		{"spike start", spike, 10 * s, 500},
		{"spike inside", spike, 14 * s, 500},
		{"spike end", spike, 15 * s, 20},
		{"diurnal 0", diurnal, 0, 100},
		{"diurnal quarter", diurnal, 10 * s, 180},
		{"diurnal half", diurnal, 20 * s, 100},
		{"diurnal three quarters", diurnal, 30 * s, 20},
		{"diurnal next period quarter", diurnal, 50 * s, 180},
		{"diurnal after a year", diurnal, 365*24*time.Hour + 10*s, 180},
	}
	for _, c := range cases {
		if got := c.sched.Rate(c.at); math.Abs(got-c.want) > 1e-9*math.Max(1, c.want) {
			t.Errorf("%s: Rate(%v) = %v, want %v", c.name, c.at, got, c.want)
		}
	}
}

func TestMaxBoundsRate(t *testing.T) {
	scheds := []Schedule{
		{Shape: "constant", RPS: 7}, step, ramp, spike, diurnal,
		{Shape: "step", RPS: 100, At: 5 * s},
		{Shape: "ramp", RPS: 100, To: 20, Over: 10 * s},
		{Shape: "spike", RPS: 100, Peak: 10, At: s, Over: s},
		{Shape: "diurnal", RPS: 10, Period: 7 * s, Amplitude: 1},
	}
	wantMax := []float64{7, 200, 300, 500, 180, 100, 100, 100, 20}
	for i, sc := range scheds {
		if err := sc.Validate(); err != nil {
			t.Fatalf("%+v: %v", sc, err)
		}
		if sc.Max() != wantMax[i] {
			t.Errorf("%+v: Max = %v, want %v", sc, sc.Max(), wantMax[i])
		}
		peak := 0.0
		for at := time.Duration(0); at <= 100*s; at += 10 * time.Millisecond {
			r := sc.Rate(at)
			if r > sc.Max()*(1+1e-12) || r < 0 {
				t.Fatalf("%+v: Rate(%v) = %v outside [0, Max = %v]", sc, at, r, sc.Max())
			}
			peak = math.Max(peak, r)
		}
		if peak < 0.999*sc.Max() {
			t.Errorf("%+v: Max = %v but the rate never exceeds %v: thinning would waste draws", sc, sc.Max(), peak)
		}
	}
}

// TestArrivalCounts: the number of arrivals in [0, T] is Poisson with
// mean ∫rate, so it must lie within 4 standard deviations (√mean) of it.
func TestArrivalCounts(t *testing.T) {
	cases := []struct {
		name  string
		sched Schedule
		end   time.Duration
		want  float64 // ∫ rate over [0, end]
	}{
		{"constant", Schedule{Shape: "constant", RPS: 100}, 30 * s, 3000},
		{"step", step, 60 * s, 50*30 + 200*30},
		{"ramp from 0", ramp, 60 * s, 300.0/2*40 + 300*10},
		{"spike", spike, 30 * s, 20*25 + 500*5},
		// 100·T + 100·0.8·(P/2π)(1 - cos(2πT/P)), T = 100 s = 2.5 periods
		{"diurnal", diurnal, 100 * s, 100*100 + 80*40/(2*math.Pi)*2},
	}
	for i, c := range cases {
		seed := uint64(20 + i)
		svc := service.Config{Name: "sink", Workers: 1000, ServiceTime: constant(0)}
		r := newRig(t, seed, svc, Config{Open: &c.sched})
		r.c.Start(sim.At(c.end))
		r.k.Run()
		got := float64(r.c.Sent())
		z := (got - c.want) / math.Sqrt(c.want)
		t.Logf("seed=%d %s: %v arrivals, ∫rate = %.1f, z = %+.2f", seed, c.name, got, c.want, z)
		if math.Abs(z) > 4 {
			t.Errorf("%s: %s: %v arrivals, want %.1f ± 4σ (z = %.2f)", replay(t, seed), c.name, got, c.want, z)
		}
	}
}

// TestArrivalShape compares arrivals per 10 s window of a ramp with the
// rate's integral over the window, so that a generator that gets the
// total right but the shape wrong is caught too.
func TestArrivalShape(t *testing.T) {
	const seed = 30
	sched := Schedule{Shape: "ramp", RPS: 100, To: 1000, At: 20 * s, Over: 60 * s}
	svc := service.Config{Name: "sink", Workers: 1000, ServiceTime: constant(0)}
	r := newRig(t, seed, svc, Config{Open: &sched})
	var counts [10]float64
	r.obs = func(start, _ sim.Time, _ results.Outcome) { counts[int(start.Seconds()/10)]++ }
	r.c.Start(sim.At(100 * s))
	r.k.Run()
	for w := range counts {
		var want float64
		for ms := 0; ms < 10000; ms++ { // midpoint rule, exact for a piecewise-linear rate
			want += sched.Rate(time.Duration(w)*10*s+time.Duration(ms)*time.Millisecond+time.Millisecond/2) / 1000
		}
		if z := (counts[w] - want) / math.Sqrt(want); math.Abs(z) > 4 {
			t.Errorf("%s: window [%d s, %d s): %v arrivals, want %.1f ± 4σ (z = %.2f)", replay(t, seed), 10*w, 10*w+10, counts[w], want, z)
		}
	}
}
