package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/faultline-sim/faultline/chaos"
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/world"
)

// runReal runs the scenario's variants that have a real counterpart on
// the real engine, on -real-seeds seeds from the report's first, and adds
// them to rep.
func runReal(ctx context.Context, opt options, sc *scenarios.Scenario, rep *results.Report, out string, stderr io.Writer) error {
	eng := &chaos.Engine{Dir: out, TimeScale: opt.timeScale, Toxiproxy: opt.toxiproxy, Log: stderr}
	fmt.Fprintf(stderr, "simulate: real runs at time scale %g (real processes on 127.0.0.1, Toxiproxy on every link)...\n", opt.timeScale)
	skipped, err := scenarios.Compare(ctx, rep, sc, eng, world.Engine{}, scenarios.Options{Seeds: opt.realSeeds, Seed: rep.Seeds[0]},
		func(err error) bool { return errors.Is(err, chaos.ErrNoRealCounterpart) })
	for _, s := range skipped {
		fmt.Fprintf(stderr, "simulate: no real run for %s\n", s)
	}
	return err
}

// dryRun prints the plan of every variant's real run, or why it has
// none, and starts nothing.
func dryRun(opt options, stdout, stderr io.Writer) int {
	sc, err := scenarios.Load(opt.scenario)
	if err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return exitUsage
	}
	cases, err := sc.Cases()
	if err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return exitUsage
	}
	seed := sc.Seed
	if opt.seed != 0 {
		seed = opt.seed
	}
	eng := &chaos.Engine{TimeScale: opt.timeScale, Toxiproxy: opt.toxiproxy}
	fmt.Fprintf(stdout, "dry run of %s -real: nothing is started; times are the real run's (time scale %g)\n\n", sc.Name, opt.timeScale)
	for _, c := range cases {
		if err := eng.Plan(stdout, c, seed); err != nil {
			if !errors.Is(err, chaos.ErrNoRealCounterpart) {
				fmt.Fprintf(stderr, "simulate: %s: %v\n", c.Name, err)
				return exitUsage
			}
			fmt.Fprintf(stdout, "%s: no real run: %v\n", c.Name, err)
		}
		fmt.Fprintln(stdout)
	}
	return exitOK
}
