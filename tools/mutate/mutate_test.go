package main

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTheListMatchesTheTree: every mutant of mutants.txt names a file of
// this module and text found in it exactly once. A change that moves a
// listed line fails here, with the mutant to update.
func TestTheListMatchesTheTree(t *testing.T) {
	l, err := readList("mutants.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Mutants) < 40 {
		t.Errorf("%d mutants; the list keeps at least 40", len(l.Mutants))
	}
	if err := l.Check("../.."); err != nil {
		t.Fatal(err)
	}
	for _, m := range l.Mutants {
		if _, ok := l.Tests[m.Pkg()]; !ok {
			t.Errorf("%s: no tests line for %s", m.ID, m.Pkg())
		}
	}
}

func TestParseListRejectsMistakes(t *testing.T) {
	for _, c := range []struct{ name, text, want string }{
		{"unknown key", "mutant a\nfile x.go\nfrom a\nto b\nwhy c\nhow d\n", `line 6: unknown key "how"`},
		{"duplicate id", "mutant a\nfile x.go\nfrom a\nto b\nwhy c\nmutant a\n", `line 6: mutant id "a" must be new`},
		{"no change", "mutant a\nfile x.go\nfrom a\nto a\nwhy c\n", "line 1: mutant a needs file, from, to (different from from) and why"},
		{"no why", "mutant a\nfile x.go\nfrom a\nto b\n", "line 1: mutant a needs file"},
		{"field first", "file x.go\n", "line 1: file before any mutant"},
	} {
		_, err := ParseList(strings.NewReader(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// module writes a tiny module under a temporary folder: package p with
// Max and a test of it, and a test that hangs while slow is true.
func module(t *testing.T) (root, src string) {
	t.Helper()
	root = t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.22\n",
		"p/p.go": "package p\n\nconst slow = false\n\n// Max returns the larger of a and b.\nfunc Max(a, b int) int {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}\n",
		"p/p_test.go": "package p\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\n" +
			"func TestMax(t *testing.T) {\n\tif Max(2, 1) != 2 || Max(1, 2) != 2 {\n\t\tt.Fatal(\"wrong\")\n\t}\n}\n\n" +
			"func TestSlow(t *testing.T) {\n\tif slow {\n\t\ttime.Sleep(time.Minute)\n\t}\n}\n",
		"q/q.go":      "package q\n\nconst one = 1\n",
		"q/q_test.go": "package q\n\nimport \"testing\"\n\nfunc TestFlaky(t *testing.T) { t.Fatal(\"fails without any mutant\") }\n",
	}
	for name, text := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root, files["p/p.go"]
}

func list(t *testing.T, text string) *List {
	t.Helper()
	l, err := ParseList(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func unchanged(t *testing.T, root, src string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "p/p.go"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != src {
		t.Errorf("p/p.go was left changed:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(root, JournalName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the journal is left behind (%v)", err)
	}
}

// TestRunKillsSurvivesAndRestores runs a killed, an equivalent (so
// surviving) and a broken mutant on the tiny module, and one in a package
// whose tests fail unmutated: each is classified, the score counts the
// first two, and the source is as it was.
func TestRunKillsSurvivesAndRestores(t *testing.T) {
	root, src := module(t)
	l := list(t, `tests p -run TestMax
mutant flipped
file p/p.go
from if a > b {
to   if a < b {
why  Max returns the larger

mutant equivalent
file p/p.go
from if a > b {
to   if a >= b {
why  equal values give the same answer

mutant broken
file p/p.go
from return b
to   return b +
why  does not build

mutant in-failing-package
file q/q.go
from const one = 1
to   const one = 2
why  its package's tests fail anyway
`)
	var log strings.Builder
	r := &Runner{Root: root, Timeout: time.Minute, Log: &log}
	res, err := r.Run(context.Background(), l, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Outcome{}
	for _, x := range res {
		got[x.Mutant.ID] = x.Outcome
	}
	want := map[string]Outcome{"flipped": Killed, "equivalent": Survived, "broken": Broken, "in-failing-package": NotRun}
	for id, o := range want {
		if got[id] != o {
			t.Errorf("%s: %s, want %s\n%s", id, got[id], o, log.String())
		}
	}
	if res[0].By != "TestMax" {
		t.Errorf("flipped killed by %q, want TestMax", res[0].By)
	}
	score, survivors, broken := Score(res)
	if score != 50 || len(survivors) != 1 || len(broken) != 2 {
		t.Errorf("score %v, %d survivors, %d broken or not run; want 50, 1, 2", score, len(survivors), len(broken))
	}
	unchanged(t, root, src)
}

// TestInterruptRestores cancels the run (as Ctrl-C does) while a mutant's
// tests hang: Run returns at once, the tests are stopped and the file is
// as it was.
func TestInterruptRestores(t *testing.T) {
	root, src := module(t)
	l := list(t, "mutant hang\nfile p/p.go\nfrom const slow = false\nto   const slow = true\nwhy  hangs\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the mutant is in place and its tests have had a
		// moment to start.
		for {
			if _, err := os.Stat(filepath.Join(root, JournalName)); err == nil {
				time.Sleep(2 * time.Second)
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	r := &Runner{Root: root, Timeout: 10 * time.Minute, Log: &strings.Builder{}}
	start := time.Now()
	_, err := r.Run(ctx, l, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 45*time.Second {
		t.Errorf("Run took %v after the cancel: the hanging test was not stopped", took)
	}
	unchanged(t, root, src)
}

// TestRecoverAfterKill: a runner killed with SIGKILL leaves the mutated
// file and the journal; the next start restores the file first.
func TestRecoverAfterKill(t *testing.T) {
	root, src := module(t)
	path := filepath.Join(root, "p/p.go")
	if err := os.WriteFile(filepath.Join(root, JournalName), []byte(`{"file":"p/p.go","original":"`+b64(src)+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(src, "a > b", "a < b", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Root: root, Timeout: time.Minute, Log: &strings.Builder{}}
	f, err := r.Recover()
	if err != nil || f != "p/p.go" {
		t.Fatalf("Recover = %q, %v; want p/p.go, nil", f, err)
	}
	unchanged(t, root, src)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
