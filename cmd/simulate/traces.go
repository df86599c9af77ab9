package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/faultline-sim/faultline/reports"
)

// traces opens one JSON-lines trace file per run.
type traces struct {
	dir   string
	files []*os.File
}

func newTraces(dir string) (*traces, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &traces{dir: dir}, nil
}

func (t *traces) open(variant string, seed uint64) io.Writer {
	f, err := os.Create(filepath.Join(t.dir, reports.SafeFileName(fmt.Sprintf("%s-seed%d-%d.jsonl", variant, seed, len(t.files)))))
	if err != nil {
		fmt.Fprintf(os.Stderr, "simulate: trace: %v\n", err)
		return nil
	}
	t.files = append(t.files, f)
	return f
}

func (t *traces) close() {
	for _, f := range t.files {
		f.Close()
	}
}
