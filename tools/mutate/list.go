package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Mutant is one one-line change to the source: in File, the text From,
// which must occur exactly once, becomes To.
type Mutant struct {
	ID   string
	File string // relative to the module root, slash-separated
	From string
	To   string
	Why  string // what a test must notice
	Line int    // of the mutant's entry in the list, for errors
}

// Pkg is the package directory of the mutant's file, as go test names
// it ("./sim").
func (m Mutant) Pkg() string { return "./" + filepath.ToSlash(filepath.Dir(m.File)) }

// List is a parsed mutant list: the mutants in order and, per package
// directory, the go test arguments that run its tests.
type List struct {
	Mutants []Mutant
	Tests   map[string][]string // "./sim" -> ["-short"]
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// ParseList reads the list format (see mutants.txt): "tests DIR ARGS..."
// lines, and entries that open with "mutant ID" followed by "file",
// "from", "to" and "why" lines, each key then its value. Blank lines and
// lines starting with # are ignored.
func ParseList(r io.Reader) (*List, error) {
	l := &List{Tests: map[string][]string{}}
	sc := bufio.NewScanner(r)
	var cur *Mutant
	ids := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		key, val, _ := strings.Cut(line, " ")
		val = strings.TrimLeft(val, " \t")
		switch key {
		case "tests":
			f := strings.Fields(val)
			if len(f) == 0 {
				return nil, fmt.Errorf("line %d: tests needs a package directory", n)
			}
			l.Tests["./"+strings.TrimPrefix(f[0], "./")] = f[1:]
		case "mutant":
			if !idRE.MatchString(val) || ids[val] {
				return nil, fmt.Errorf("line %d: mutant id %q must be new and lower-case letters, digits and dashes", n, val)
			}
			ids[val] = true
			l.Mutants = append(l.Mutants, Mutant{ID: val, Line: n})
			cur = &l.Mutants[len(l.Mutants)-1]
		case "file", "from", "to", "why":
			if cur == nil {
				return nil, fmt.Errorf("line %d: %s before any mutant", n, key)
			}
			set(cur, key, val)
		default:
			return nil, fmt.Errorf("line %d: unknown key %q (known: tests, mutant, file, from, to, why)", n, key)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, m := range l.Mutants {
		if m.File == "" || m.From == "" || m.Why == "" || m.From == m.To {
			return nil, fmt.Errorf("line %d: mutant %s needs file, from, to (different from from) and why", m.Line, m.ID)
		}
	}
	return l, nil
}

func set(m *Mutant, key, val string) {
	switch key {
	case "file":
		m.File = val
	case "from":
		m.From = val
	case "to":
		m.To = val
	case "why":
		m.Why = val
	}
}

// Check reports, for every mutant, whether its file exists under root
// and holds From exactly once: a list gone stale after the code moved
// fails here, before anything is changed.
func (l *List) Check(root string) error {
	var errs []string
	for _, m := range l.Mutants {
		b, err := os.ReadFile(filepath.Join(root, m.File))
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", m.ID, err))
			continue
		}
		if n := strings.Count(string(b), m.From); n != 1 {
			errs = append(errs, fmt.Sprintf("%s: %q occurs %d times in %s, must be once (did the code move? update the list)", m.ID, m.From, n, m.File))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("mutant list out of date:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}
