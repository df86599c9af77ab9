package store

import (
	"github.com/faultline-sim/faultline/results"
	"github.com/faultline-sim/faultline/sim"
)

// Outcome is how an operation ended for the client.
type Outcome uint8

const (
	// OK: the store answered StatusOK.
	OK Outcome = iota
	// Failed: definitely not applied (StatusUnavailable or a refused send).
	Failed
	// Unknown: timed out or StatusUnknown: may or may not have taken effect.
	Unknown
)

func (o Outcome) String() string { return [...]string{"ok", "failed", "unknown"}[min(int(o), 2)] }

// Result is the outcome in the result schema both engines share: failed is
// an error, unknown a timeout (no answer, or one that does not say).
func (o Outcome) Result() results.Outcome {
	switch o {
	case OK:
		return results.OK
	case Failed:
		return results.Error
	}
	return results.Timeout
}

// Record is one operation as the client saw it.
type Record struct {
	Client  int // index of the client (load generator)
	Replica int // replica the client sent it to
	Kind    OpKind
	Key     int
	Value   int64 // Put/CAS: value written
	Expect  int64 // CAS: value expected
	Out     int64 // Get: value read; CAS: 1 if swapped (valid when OK)
	Invoke  sim.Time
	Return  sim.Time // when the client learned the outcome (the deadline for timeouts)
	Outcome Outcome
}

// History is the list of records of a run, in order of return.
type History []Record
