package load

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/sim"
)

func TestSetDefaults(t *testing.T) {
	c := Config{Target: "api", Open: &Schedule{RPS: 10}}
	c.SetDefaults()
	if c.Balancer != "round_robin" || c.Timeout != time.Second || c.Open.Shape != "constant" {
		t.Errorf("SetDefaults: %+v, open %+v", c, *c.Open)
	}
	cl := Config{Target: "api", Closed: &Closed{Users: 3}}
	cl.SetDefaults()
	if cl.Closed.ThinkTime.Kind != "exponential" || cl.Closed.ThinkTime.Mean != 1 {
		t.Errorf("closed think time default: %+v", cl.Closed.ThinkTime)
	}
	for _, c := range []Config{c, cl} {
		if err := c.Validate(); err != nil {
			t.Errorf("defaults do not validate: %v", err)
		}
	}
}

// TestValidateNamesFieldAndRange checks each rule: the error starts with
// the field's yaml path and states the allowed range.
func TestValidateNamesFieldAndRange(t *testing.T) {
	openCfg := func(s Schedule) Config { return Config{Target: "api", Open: &s} }
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no target", Config{Open: open(1)}, "target: is required (the name of a service)"},
		{"timeout", Config{Target: "api", Timeout: -time.Second, Open: open(1)}, "timeout: must be > 0, got -1s"},
		{"neither", Config{Target: "api"}, "open: exactly one of open and closed must be set, got neither"},
		{"both", Config{Target: "api", Open: open(1), Closed: &Closed{Users: 1}}, "open: exactly one of open and closed must be set, got both"},
		{"balancer", Config{Target: "api", Balancer: "fastest", Open: open(1)}, `balancer: must be one of round_robin, random, least_outstanding, p2c, got "fastest"`},
		{"shape", openCfg(Schedule{Shape: "square", RPS: 1}), `open.shape: must be one of constant, step, ramp, spike, diurnal, got "square"`},
		{"constant rps", openCfg(Schedule{}), "open.rps: must be > 0 and finite (requests/s), got 0"},
		{"constant rps inf", openCfg(Schedule{RPS: posInf}), "open.rps: must be > 0 and finite (requests/s), got +Inf"},
		{"unread field", openCfg(Schedule{RPS: 1, Peak: 5}), "open.peak: not read by shape constant (it reads: rps)"},
		{"step negative", openCfg(Schedule{Shape: "step", RPS: -1, To: 5}), "open.rps: must be >= 0 and finite (requests/s), got -1"},
		{"step to", openCfg(Schedule{Shape: "step", RPS: 1, To: -5}), "open.to: must be >= 0 and finite (requests/s), got -5"},
		{"step at", openCfg(Schedule{Shape: "step", RPS: 1, To: 5, At: -s}), "open.at: must be >= 0, got -1s"},
		{"step from 0 to 0", openCfg(Schedule{Shape: "step", At: s}), "open.to: must be > 0 when rps is 0 (a step from 0 to 0 sends nothing), got 0"},
		{"ramp over", openCfg(Schedule{Shape: "ramp", RPS: 1, To: 5}), "open.over: must be > 0, got 0s"},
		{"ramp unread", openCfg(Schedule{Shape: "ramp", RPS: 1, To: 5, Over: s, Period: s}), "open.period: not read by shape ramp (it reads: rps, to, at, over)"},
		{"spike rps", openCfg(Schedule{Shape: "spike", Peak: 5, Over: s}), "open.rps: must be > 0 and finite (requests/s), got 0"},
		{"spike peak", openCfg(Schedule{Shape: "spike", RPS: 5, Over: s}), "open.peak: must be > 0 and finite (requests/s), got 0"},
		{"spike over", openCfg(Schedule{Shape: "spike", RPS: 5, Peak: 9}), "open.over: must be > 0, got 0s"},
		{"diurnal period", openCfg(Schedule{Shape: "diurnal", RPS: 5, Amplitude: 0.5}), "open.period: must be > 0, got 0s"},
		{"diurnal amplitude", openCfg(Schedule{Shape: "diurnal", RPS: 5, Period: s, Amplitude: 1.5}), "open.amplitude: must be in [0, 1], got 1.5"},
		{"users", Config{Target: "api", Closed: &Closed{}}, "closed.users: must be >= 1, got 0"},
		{"think time", Config{Target: "api", Closed: &Closed{Users: 1, ThinkTime: exponential(-1)}}, "closed.think_time.mean: must be in (0, +Inf), got -1"},
		{"think time mean", Config{Target: "api", Closed: &Closed{Users: 1, ThinkTime: sim.DistSpec{Kind: "normal", Mean: -1}}}, "closed.think_time: must have a mean > 0 s, got normal(mean=-1, stddev=0)"},
		{"think time zero", Config{Target: "api", Closed: &Closed{Users: 1, ThinkTime: constant(0)}}, "closed.think_time: must have a mean > 0 s, got constant(value=0)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg.clone()
			cfg.SetDefaults()
			err := cfg.Validate()
			if err == nil || err.Error() != c.want {
				t.Fatalf("Validate:\n got %v\nwant %s", err, c.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("errors.Is(%v, ErrConfig) = false", err)
			}
		})
	}
}

var posInf = math.Inf(1)

func TestNewClientChecksTarget(t *testing.T) {
	r := newRig(t, 1, service.Config{Name: "api", ServiceTime: constant(0)}, Config{Open: open(1)})
	_, err := NewClient(r.k, r.net, r.c.Node(), "other", Config{Target: "web", Open: open(1)}, r.svc, nil)
	if want := `target: the client is configured for "web" but was given service "api"`; err == nil || err.Error() != want {
		t.Errorf("NewClient: got %v, want %s", err, want)
	}
	_, err = NewClient(r.k, r.net, r.c.Node(), "other", Config{Target: "web", Open: open(1)}, nil, nil)
	if want := `target: the client is configured for "web" but was given no service`; err == nil || err.Error() != want {
		t.Errorf("NewClient: got %v, want %s", err, want)
	}
	_, err = NewClient(r.k, r.net, r.c.Node(), "other", Config{Target: "api", Open: &Schedule{}}, r.svc, nil)
	if want := "open.rps: must be > 0 and finite (requests/s), got 0"; err == nil || err.Error() != want {
		t.Errorf("NewClient: got %v, want %s", err, want)
	}
}

// TestNewClientLeavesConfigAlone: defaults are filled in the client's
// copy, never in the caller's schedule.
func TestNewClientLeavesConfigAlone(t *testing.T) {
	sched := &Schedule{RPS: 3}
	closed := &Closed{Users: 2}
	newRig(t, 1, service.Config{Name: "api", ServiceTime: constant(0)}, Config{Open: sched})
	newRig(t, 1, service.Config{Name: "api", ServiceTime: constant(0)}, Config{Closed: closed})
	if sched.Shape != "" || closed.ThinkTime.Kind != "" {
		t.Errorf("NewClient wrote into the caller's config: %+v, %+v", *sched, *closed)
	}
}
