package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Outcome is what the tests made of a mutant.
type Outcome string

// The outcomes. A mutant that does not build is a mistake in the list,
// not a kill: it counts against nothing and is reported as an error.
const (
	Killed   Outcome = "killed"
	TimedOut Outcome = "timeout" // counted as killed: the tests did not pass
	Survived Outcome = "SURVIVED"
	Broken   Outcome = "BROKEN"
	NotRun   Outcome = "NOT RUN" // its package's tests fail without it
)

// Result is one mutant's outcome.
type Result struct {
	Mutant  Mutant
	Outcome Outcome
	By      string // the first failing test, if the output names one
	Took    time.Duration
}

// JournalName is the file, at the module root, that holds the original
// of the file being mutated while its tests run. Run restores from it
// first, so a runner killed with SIGKILL (which no handler sees) leaves
// nothing mutated past its next start.
const JournalName = ".mutate-journal"

type journal struct {
	File     string `json:"file"`
	Original []byte `json:"original"`
}

// Runner applies mutants one at a time under Root and runs the tests of
// the package that owns each.
type Runner struct {
	Root    string
	Timeout time.Duration // go test -timeout for one run
	Procs   int           // go test -p
	Log     io.Writer     // progress, one line per run
}

// Recover restores a file left mutated by an earlier run that was killed,
// and reports which (or "").
func (r *Runner) Recover() (string, error) {
	path := filepath.Join(r.Root, JournalName)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		return "", fmt.Errorf("%s: %w (restore the file it names by hand, then delete it)", path, err)
	}
	if err := writeKeepingMode(filepath.Join(r.Root, j.File), j.Original); err != nil {
		return "", err
	}
	return j.File, os.Remove(path)
}

// Run checks the list against the tree, runs every package's tests once
// unmutated (they must pass), then each mutant whose id matches only (nil:
// all). It returns the results so far when ctx ends (Ctrl-C), with every
// file as it was.
func (r *Runner) Run(ctx context.Context, l *List, only *regexp.Regexp) ([]Result, error) {
	if f, err := r.Recover(); err != nil {
		return nil, err
	} else if f != "" {
		fmt.Fprintf(r.Log, "restored %s, left mutated by an interrupted run\n", f)
	}
	if err := l.Check(r.Root); err != nil {
		return nil, err
	}
	var todo []Mutant
	for _, m := range l.Mutants {
		if only == nil || only.MatchString(m.ID) {
			todo = append(todo, m)
		}
	}
	// A package whose tests fail unmutated (a flaky test on a busy
	// machine) would kill every mutant: its mutants are not run.
	failing := map[string]bool{}
	seen := map[string]bool{}
	for _, m := range todo {
		if pkg := m.Pkg(); !seen[pkg] {
			seen[pkg] = true
			out, err := r.test(ctx, pkg, l.Tests[pkg])
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err != nil {
				failing[pkg] = true
				fmt.Fprintf(r.Log, "baseline %s: FAILS without any mutant (go test %s); its mutants are not run:\n%s\n",
					pkg, strings.Join(l.Tests[pkg], " "), tail(out))
				continue
			}
			fmt.Fprintf(r.Log, "baseline %s: pass\n", pkg)
		}
	}
	var res []Result
	for _, m := range todo {
		if failing[m.Pkg()] {
			res = append(res, Result{Mutant: m, Outcome: NotRun, By: "its package's tests fail without it"})
			continue
		}
		got, err := r.one(ctx, m, l.Tests[m.Pkg()])
		if err != nil {
			return res, err
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		fmt.Fprintf(r.Log, "%-8s %-34s %5.1fs  %s\n", got.Outcome, m.ID, got.Took.Seconds(), got.By)
		res = append(res, got)
	}
	return res, nil
}

// one applies m, runs the tests and restores the file, whatever happens
// in between (an error, a panic, a cancelled context).
func (r *Runner) one(ctx context.Context, m Mutant, args []string) (res Result, err error) {
	path := filepath.Join(r.Root, m.File)
	orig, err := os.ReadFile(path)
	if err != nil {
		return res, err
	}
	if strings.Count(string(orig), m.From) != 1 {
		return res, fmt.Errorf("%s: %q is no longer in %s exactly once", m.ID, m.From, m.File)
	}
	j, err := json.Marshal(journal{File: m.File, Original: orig})
	if err != nil {
		return res, err
	}
	if err := writeSynced(filepath.Join(r.Root, JournalName), j); err != nil {
		return res, err
	}
	defer func() {
		if rerr := r.restore(path, orig); rerr != nil && err == nil {
			err = rerr
		}
	}()
	if err := writeKeepingMode(path, []byte(strings.Replace(string(orig), m.From, m.To, 1))); err != nil {
		return res, err
	}
	start := time.Now()
	out, terr := r.test(ctx, m.Pkg(), args)
	res = Result{Mutant: m, Took: time.Since(start)}
	res.Outcome, res.By = classify(out, terr)
	return res, nil
}

func (r *Runner) restore(path string, orig []byte) error {
	if err := writeKeepingMode(path, orig); err != nil {
		return fmt.Errorf("restoring %s failed (%v): its original is in %s", path, err, JournalName)
	}
	return os.Remove(filepath.Join(r.Root, JournalName))
}

// test runs go test on pkg with args, in its own process group so that a
// cancel stops the test binary too, not only the go command.
func (r *Runner) test(ctx context.Context, pkg string, args []string) ([]byte, error) {
	full := append([]string{"test", "-count=1", fmt.Sprintf("-p=%d", max(r.Procs, 1)), "-timeout=" + r.Timeout.String()}, args...)
	cmd := exec.CommandContext(ctx, "go", append(full, pkg)...)
	cmd.Dir = r.Root
	ownGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

var failRE = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)

func classify(out []byte, err error) (Outcome, string) {
	switch s := string(out); {
	case err == nil:
		return Survived, ""
	case strings.Contains(s, "[build failed]") || strings.Contains(s, "[setup failed]"):
		return Broken, firstLine(s)
	case strings.Contains(s, "panic: test timed out"):
		return TimedOut, "the test run timed out"
	default:
		if m := failRE.FindStringSubmatch(s); m != nil {
			return Killed, m[1]
		}
		return Killed, firstLine(s)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func tail(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// writeKeepingMode replaces path's content, keeping its permissions.
func writeKeepingMode(path string, b []byte) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, st.Mode().Perm())
}

// writeSynced writes a new file and flushes it to disk before returning.
func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Score is the share of mutants the tests killed (timeouts included),
// in percent, over those that built and ran; and the survivors, and the
// broken or not run ones.
func Score(res []Result) (score float64, survivors, broken []Result) {
	killed, built := 0, 0
	for _, r := range res {
		switch r.Outcome {
		case Killed, TimedOut:
			killed++
			built++
		case Survived:
			built++
			survivors = append(survivors, r)
		case Broken, NotRun:
			broken = append(broken, r)
		}
	}
	if built == 0 {
		return 0, survivors, broken
	}
	return 100 * float64(killed) / float64(built), survivors, broken
}
