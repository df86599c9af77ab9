package check

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/faultline-sim/faultline/models/store"
)

// Verdict is the outcome of the linearizability check.
type Verdict string

const (
	// VerdictLinearizable: every key's history is linearizable.
	VerdictLinearizable Verdict = "linearizable"
	// VerdictIllegal: at least one key's history is not linearizable.
	VerdictIllegal Verdict = "not linearizable"
	// VerdictUnknown: no key is illegal, but porcupine timed out on some.
	VerdictUnknown Verdict = "unknown"
)

// Linearizability is the result of checking each key as a register.
type Linearizability struct {
	Verdict     Verdict
	Keys        int   // keys checked
	IllegalKeys []int // keys whose history is not linearizable (sorted)
	UnknownKeys []int // keys porcupine gave up on (sorted)
	Ops         int   // ops checked: OK ones, and Unknown puts and CASes
	UnknownOps  int   // of Ops, those with outcome Unknown
}

// Linearizable checks that each key of h behaves as a linearizable
// register (get, put, compare-and-swap). Failed ops are dropped; Unknown
// puts and CASes may take effect at any time after their invocation or
// never; Unknown gets are dropped.
//
// timeout bounds each of at most two passes: one over all keys, which
// produces the LinearizationInfo for WriteVisualization, and, only when
// that pass finds a problem, one over the keys it could not linearize, to
// tell the illegal keys from those porcupine gave up on.
func Linearizable(h store.History, timeout time.Duration) (Linearizability, porcupine.LinearizationInfo) {
	ops := operations(h)
	parts := partitionByKey(ops)
	res := Linearizability{Keys: len(parts), Ops: len(ops), Verdict: VerdictLinearizable}
	for _, op := range ops {
		if op.Output.(regOutput).Unknown {
			res.UnknownOps++
		}
	}
	result, info := porcupine.CheckOperationsVerbose(registerModel, ops, timeout)
	if result == porcupine.Ok {
		return res, info
	}
	suspects := incomplete(parts, info)
	for i, r := range recheck(suspects, timeout) {
		key := suspects[i][0].Input.(regInput).Key
		switch r {
		case porcupine.Illegal:
			res.IllegalKeys = append(res.IllegalKeys, key)
		case porcupine.Unknown:
			res.UnknownKeys = append(res.UnknownKeys, key)
		}
	}
	switch {
	case len(res.IllegalKeys) > 0:
		res.Verdict = VerdictIllegal
	case len(res.UnknownKeys) > 0:
		res.Verdict = VerdictUnknown
	}
	return res, info
}

// incomplete returns the partitions (in key order) for which info holds
// no complete linearization. porcupine's verdict covers all partitions at
// once, and after a timeout it cannot say which ones were illegal.
func incomplete(parts [][]porcupine.Operation, info porcupine.LinearizationInfo) [][]porcupine.Operation {
	partials := info.PartialLinearizations()
	var out [][]porcupine.Operation
	for i, part := range parts {
		complete := false
		for _, seq := range partials[i] {
			complete = complete || len(seq) == len(part)
		}
		if !complete {
			out = append(out, part)
		}
	}
	return out
}

// recheck checks each partition on its own, in parallel, each within
// timeout, without computing visualisation data (so an illegal key stops
// at the first dead end).
func recheck(parts [][]porcupine.Operation, timeout time.Duration) []porcupine.CheckResult {
	results := make([]porcupine.CheckResult, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() {
			results[i] = porcupine.CheckOperationsTimeout(registerModel, part, timeout)
		})
	}
	wg.Wait()
	return results
}

// Visualize writes porcupine's HTML view of history h, with info from
// Linearizable, to out; the records the check left out are annotated.
func Visualize(out io.Writer, h store.History, info porcupine.LinearizationInfo) error {
	info.AddAnnotations(dropped(h))
	return porcupine.Visualize(registerModel, info, out)
}

// WriteVisualization is Visualize into a new file at path.
func WriteVisualization(path string, h store.History, info porcupine.LinearizationInfo) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	werr := Visualize(f, h, info)
	if err := f.Close(); werr == nil {
		werr = err
	}
	return werr
}

// dropped annotates the records operations leaves out.
func dropped(h store.History) []porcupine.Annotation {
	var out []porcupine.Annotation
	for _, r := range h {
		if r.Outcome == store.OK || (r.Outcome == store.Unknown && r.Kind != store.Get) {
			continue
		}
		op := operation(r)
		out = append(out, porcupine.Annotation{ClientId: r.Client,
			Start: int64(r.Invoke), End: int64(r.Return),
			Description:     describe(op.Input.(regInput), op.Output.(regOutput)),
			Details:         "not checked: outcome " + r.Outcome.String(),
			BackgroundColor: "#dddddd"})
	}
	return out
}
