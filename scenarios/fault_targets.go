package scenarios

import (
	"fmt"

	"github.com/faultline-sim/faultline/field"
)

// The targets fault types share: a link fault acts on the messages from
// `from` to `to` (and back with two_way) for its window; a process fault
// acts on `target`, a service (every instance) or one instance.

// linkTargets are the fields that say which links a link fault acts on.
var linkTargets = []string{"from", "to", "two_way"}

// processTarget is the field that says which process a process fault acts on.
var processTarget = []string{"target"}

func checkLinkTargets(f *Fault) error {
	if f.From == "" && f.To == "" {
		return &field.Error{Path: "to", Msg: "a link fault needs from and/or to (node selectors; * for any)"}
	}
	return nil
}

// linkLabel describes the links a link fault targets.
func linkLabel(f *Fault) string {
	from, to := or(f.From, "*"), or(f.To, "*")
	arrow := "->"
	if f.TwoWay {
		arrow = "<->"
	}
	return from + arrow + to
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func checkTarget(f *Fault) error {
	if f.Target == "" {
		return &field.Error{Path: "target", Msg: "must name a service or an instance (e.g. api or api-2)"}
	}
	return nil
}

// processLabel describes a process fault: its type and target.
func processLabel(f *Fault) string { return fmt.Sprintf("%s %s", f.Type, f.Target) }
