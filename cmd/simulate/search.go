package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/faultline-sim/faultline/reports"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/search"
)

// searchCmd looks for a case that breaks the scenario's hypotheses and
// writes the smallest one found as a scenario file in its own folder
// (-out, by default out/<scenario>-search).
func searchCmd(ctx context.Context, opt options, stdout, stderr io.Writer) int {
	sc, err := scenarios.Load(opt.scenario)
	if err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return exitUsage
	}
	seed := opt.seed
	if seed == 0 {
		seed = sc.Seed
	}
	ce, err := search.Search(ctx, sc, opt.budget, seed, opt.parallel)
	if err != nil {
		return failure(ctx, stderr, opt.args, "search: ", err)
	}
	if ce == nil {
		fmt.Fprintf(stdout, "%s: no hypothesis broke in %d cases (search seed %d)\n", sc.Name, opt.budget, seed)
		return exitOK
	}
	out := opt.out
	if out == "" {
		out = filepath.Join("out", sc.Name+"-search")
	}
	folder, err := reports.OpenFolder(out, opt.force)
	if err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return exitUsage
	}
	defer folder.Abort()
	if err := ce.WriteFile(filepath.Join(folder.Dir(), "counterexample.yaml")); err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return exitUsage
	}
	if err := folder.Commit(); err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return exitUsage
	}
	path := filepath.Join(out, "counterexample.yaml")
	fmt.Fprintf(stdout, "%s\nwritten to %s\nreplay: %s\n", ce, path, search.ReplayCommand(path))
	return exitFailed
}
