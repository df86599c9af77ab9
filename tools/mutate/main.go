// Command mutate measures how well the tests of Faultline's core packages
// catch wrong code: it applies, one at a time, the one-line mutations
// listed in mutants.txt (a file, the text to change, what it becomes, and
// what a test must notice), runs the tests of the package that owns the
// file, and restores the file. A mutant the tests fail on is killed; one
// they pass is a survivor, which docs/testing.md must explain (a test now
// kills it, or it is equivalent). It imports nothing of the project.
//
// Usage, from anywhere in the module (it finds the root with go env):
//
//	go run ./tools/mutate                 # every mutant; about 15 minutes on 2 cores
//	go run ./tools/mutate -only 'raft-'   # the mutants whose id matches
//	go run ./tools/mutate -check          # only check the list against the tree
//	go run ./tools/mutate -markdown       # end with the results as a table
//
// It changes files in the working tree it runs in, so run it in a tree of
// your own with nothing else building there. It never leaves a mutated
// file behind: the original is restored after each run, on an error, on
// Ctrl-C or SIGTERM (which also stop the tests), and, if the runner itself
// is killed with SIGKILL, at its next start from the journal it keeps at
// the module root (.mutate-journal). Exit status: 0 when the score is at
// least -min and every mutant built and ran, 1 otherwise, 2 for bad usage
// or a list out of date with the code, 130 when interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	list := fs.String("list", "tools/mutate/mutants.txt", "the mutant list, relative to the module root")
	only := fs.String("only", "", "run only the mutants whose id matches this regular expression")
	check := fs.Bool("check", false, "only check that every mutant's text is in its file exactly once")
	timeout := fs.Duration("timeout", 3*time.Minute, "go test -timeout for one run (a run that times out counts as killed)")
	procs := fs.Int("p", 1, "go test -p: packages built and tested at once")
	minScore := fs.Float64("min", 95, "the lowest score, in percent, that exits 0")
	markdown := fs.Bool("markdown", false, "end with the results as a markdown table")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var filter *regexp.Regexp
	if *only != "" {
		var err error
		if filter, err = regexp.Compile(*only); err != nil {
			fmt.Fprintf(stderr, "mutate: -only: %v\n", err)
			return 2
		}
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "mutate: %v\n", err)
		return 2
	}
	l, err := readList(filepath.Join(root, *list))
	if err != nil {
		fmt.Fprintf(stderr, "mutate: %v\n", err)
		return 2
	}
	if *check {
		if err := l.Check(root); err != nil {
			fmt.Fprintf(stderr, "mutate: %v\n", err)
			return 2
		}
		fmt.Fprintf(stdout, "%d mutants, each found once in its file\n", len(l.Mutants))
		return 0
	}
	r := &Runner{Root: root, Timeout: *timeout, Procs: *procs, Log: stdout}
	start := time.Now()
	res, err := r.Run(ctx, l, filter)
	report(stdout, res, time.Since(start), *markdown)
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "mutate: interrupted; every file is as it was")
		return 130
	case err != nil:
		fmt.Fprintf(stderr, "mutate: %v\n", err)
		return 2
	}
	score, _, broken := Score(res)
	if len(broken) > 0 || score < *minScore {
		return 1
	}
	return 0
}

func readList(path string) (*List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l, err := ParseList(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	return filepath.Dir(mod), nil
}

func report(w io.Writer, res []Result, took time.Duration, markdown bool) {
	if len(res) == 0 {
		return
	}
	score, survivors, broken := Score(res)
	fmt.Fprintf(w, "\n%d mutants in %v: score %.1f%% (%d survived, %d did not build or run)\n",
		len(res), took.Round(time.Second), score, len(survivors), len(broken))
	for _, s := range survivors {
		fmt.Fprintf(w, "survived: %s (%s): %s\n", s.Mutant.ID, s.Mutant.File, s.Mutant.Why)
	}
	for _, b := range broken {
		fmt.Fprintf(w, "%s: %s (%s): %s\n", strings.ToLower(string(b.Outcome)), b.Mutant.ID, b.Mutant.File, b.By)
	}
	if !markdown {
		return
	}
	fmt.Fprintln(w, "\n| mutant | file | what a test must notice | outcome | killed by |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range res {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.Mutant.ID, r.Mutant.File, r.Mutant.Why, r.Outcome, r.By)
	}
}
