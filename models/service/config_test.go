package service

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/faultline-sim/faultline/sim"
)

func validConfig() Config {
	return Config{Name: "api", ServiceTime: sim.DistSpec{Kind: "exponential", Mean: 0.01}}
}

func TestSetDefaults(t *testing.T) {
	c := validConfig()
	c.SetDefaults()
	want := Config{
		Name: "api", Instances: 1, Workers: 1, QueueLimit: 0, Discipline: "fifo",
		ServiceTime:  sim.DistSpec{Kind: "exponential", Mean: 0.01},
		RequestBytes: 512, ResponseBytes: 1024,
	}
	if c.Name != want.Name || c.Instances != want.Instances || c.Workers != want.Workers ||
		c.QueueLimit != want.QueueLimit || c.Discipline != want.Discipline ||
		c.RequestBytes != want.RequestBytes || c.ResponseBytes != want.ResponseBytes {
		t.Errorf("SetDefaults: got %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

// TestValidateNamesFieldAndRange checks each rule of Validate: the error
// starts with the yaml field and states the allowed range.
func TestValidateNamesFieldAndRange(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"missing name", func(c *Config) { c.Name = "" }, "name: is required (lower-case letters, digits and dashes)"},
		{"bad name", func(c *Config) { c.Name = "API_1" }, `name: must be lower-case letters, digits and dashes, not starting with a dash, got "API_1"`},
		{"leading dash", func(c *Config) { c.Name = "-api" }, `name: must be lower-case letters, digits and dashes, not starting with a dash, got "-api"`},
		{"instances", func(c *Config) { c.Instances = -1 }, "instances: must be >= 1, got -1"},
		{"workers", func(c *Config) { c.Workers = 0 }, "workers: must be >= 1, got 0"},
		{"queue limit", func(c *Config) { c.QueueLimit = -3 }, "queue_limit: must be >= 0 (0 = unbounded), got -3"},
		{"discipline", func(c *Config) { c.Discipline = "random" }, `discipline: must be fifo or lifo, got "random"`},
		{"request bytes", func(c *Config) { c.RequestBytes = -1 }, "request_bytes: must be >= 0, got -1"},
		{"response bytes", func(c *Config) { c.ResponseBytes = -1 }, "response_bytes: must be >= 0, got -1"},
		{"no service time", func(c *Config) { c.ServiceTime = sim.DistSpec{} }, "service_time: is required: a distribution in seconds, e.g. {kind: exponential, mean: 0.01}"},
		{"service time mean", func(c *Config) { c.ServiceTime.Mean = -0.01 }, "service_time.mean: must be in (0, +Inf), got -0.01"},
		{"service time kind", func(c *Config) { c.ServiceTime.Kind = "gamma" }, `service_time.kind: must be one of constant, uniform, exponential, normal, lognormal, pareto, empirical, histogram, mixture, got "gamma"`},
		{"service time unused field", func(c *Config) { c.ServiceTime.Sigma = 1 }, "service_time.sigma: is not used by kind exponential (it uses mean)"},
		{"service time nested", func(c *Config) {
			c.ServiceTime = sim.DistSpec{Kind: "mixture", Weights: []float64{1, 1}, Of: []sim.DistSpec{{Kind: "constant", Value: 1}, {Kind: "exponential"}}}
		}, "service_time.of[1].mean: must be in (0, +Inf), got 0"},
		{"negative mean", func(c *Config) { c.ServiceTime = sim.DistSpec{Kind: "normal", Mean: -1, Stddev: 1} }, "service_time: must have a mean >= 0 s, got normal(mean=-1, stddev=1)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			c.SetDefaults()
			tc.edit(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate(%+v) = nil, want %q", c, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("Validate:\n got %q\nwant %q", err, tc.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("errors.Is(%v, ErrConfig) = false", err)
			}
			if strings.HasPrefix(tc.want, "service_time.") && !errors.Is(err, sim.ErrParam) {
				t.Errorf("errors.Is(%v, sim.ErrParam) = false", err)
			}
			// New fills defaults first: a zero that has one is no error.
			d := c
			d.SetDefaults()
			want := d.Validate()
			k := sim.New(1)
			if _, err := New(k, newNet(t, k), c); fmt.Sprint(err) != fmt.Sprint(want) {
				t.Errorf("New: got %v, want %v", err, want)
			}
		})
	}
}

func TestConstantZeroServiceTimeIsAllowed(t *testing.T) {
	c := validConfig()
	c.ServiceTime = sim.DistSpec{Kind: "constant"}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Errorf("constant 0 service time: %v", err)
	}
}
