package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress shows runs done and an ETA on a terminal, once a run has taken
// longer than a second; it is silent when stderr is not a terminal.
type progress struct {
	w     io.Writer
	tty   bool
	now   func() time.Time
	start time.Time
	shown bool
}

func newProgress(w io.Writer, now func() time.Time) *progress {
	p := &progress{w: w, now: now, start: now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) update(done, total int) {
	elapsed := p.now().Sub(p.start)
	if !p.tty || elapsed < time.Second {
		return
	}
	eta := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
	fmt.Fprintf(p.w, "\rruns %d/%d, %s elapsed, ETA %s   ", done, total, elapsed.Round(time.Second), eta.Round(time.Second))
	p.shown = true
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprintln(p.w)
	}
}
