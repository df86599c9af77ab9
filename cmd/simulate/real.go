package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"faultline/chaos"
	"faultline/models/world"
	"faultline/reports/results"
	"faultline/scenarios"
)

// runReal runs the scenario's variants that have a real counterpart on
// the real engine, one seed (the report's first), and adds them to rep.
func runReal(ctx context.Context, opt options, sc *scenarios.Scenario, rep *results.Report, out string, stderr io.Writer) error {
	eng := &chaos.Engine{Dir: out, TimeScale: opt.timeScale, Toxiproxy: opt.toxiproxy, Log: stderr}
	fmt.Fprintf(stderr, "simulate: real runs at time scale %g (real processes on 127.0.0.1, Toxiproxy on every link)...\n", opt.timeScale)
	skipped, err := scenarios.Compare(ctx, rep, sc, eng, world.Engine{}, scenarios.Options{Seeds: 1, Seed: rep.Seeds[0]},
		func(err error) bool { return errors.Is(err, chaos.ErrNoRealCounterpart) })
	for _, s := range skipped {
		fmt.Fprintf(stderr, "simulate: no real run for %s\n", s)
	}
	return err
}
