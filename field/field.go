// Package field holds the one validation error of Faultline: an Error at a
// field path, e.g. "topology.services[2].workers: must be >= 1, got 0".
//
// Every Validate returns its errors as *Error with the path of the field
// it is about, relative to the value it validates ("workers",
// "retry.backoff.base"); a caller that validates a part puts the part's
// path in front with Under, so the error bubbles up to the scenario's root
// with its full path and the loader finds the field's line in the file
// from the path alone, never from the message's text.
//
// It is the ground floor: it imports nothing of the project, and every
// package that validates (models, the language, the engines) may import
// it. The kernel (sim), which imports nothing of the project, names the
// field of its own errors through the Fielder methods instead.
package field

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Error is a validation error at a field path.
type Error struct {
	// Path is the field's yaml path relative to the value validated, in
	// the scenario language's notation: names joined by dots, list
	// elements by [i] ("calls[0].retry.max_attempts"); "" is the value
	// itself.
	Path string
	// Msg says what is wrong and what is allowed: "must be >= 1, got 0".
	Msg string
	// Err is what the error wraps, for errors.Is and errors.As: a
	// package's sentinel (e.g. resilience.ErrConfig) or the error of a
	// lower layer it was made from; nil for none. It is not part of the
	// message.
	Err error
}

// Error returns "path: msg", or msg alone at the root.
func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error at path with a formatted message.
func Errorf(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Fielder is an error of a layer that cannot import this package (the
// kernel's distribution errors) that names its field itself: Field is its
// path ("of[1].mean") and Rule what is wrong ("must be > 0, got 0").
type Fielder interface {
	error
	Field() string
	Rule() string
}

// Under places err under the path prefix, as a caller does with the error
// of a part it validates: an *Error's path gets prefix in front, a
// Fielder becomes an *Error at prefix and its field, and any other error
// an *Error at prefix whose message is err's text. The result wraps what
// err wrapped (an *Error's Err, or err itself otherwise), so errors.Is
// still finds sentinels. Under(prefix, nil) is nil.
func Under(prefix string, err error) error {
	switch e := err.(type) {
	case nil:
		return nil
	case *Error:
		return &Error{Path: Join(prefix, e.Path), Msg: e.Msg, Err: e.Err}
	case Fielder:
		return &Error{Path: Join(prefix, e.Field()), Msg: e.Rule(), Err: err}
	}
	return &Error{Path: prefix, Msg: err.Error(), Err: err}
}

// UnderAs places err under path as Under does, and makes the result match
// sentinel under errors.Is as well as what err matched: for a package
// whose errors all wrap its own sentinel, around the errors of the parts
// it validates (another package's settings, a kernel distribution).
// UnderAs(sentinel, path, nil) is nil.
func UnderAs(sentinel error, path string, err error) error {
	if err == nil {
		return nil
	}
	fe := Under(path, err).(*Error)
	if !errors.Is(fe, sentinel) {
		fe.Err = errors.Join(sentinel, fe.Err)
	}
	return fe
}

// Join returns the path of child under parent: "retry" and "budget" make
// "retry.budget", "calls" and "[2]" make "calls[2]"; an empty side is left
// out.
func Join(parent, child string) string {
	switch {
	case parent == "":
		return child
	case child == "":
		return parent
	case strings.HasPrefix(child, "["):
		return parent + child
	}
	return parent + "." + child
}

// Index returns the path of element i of the list at path: "calls[2]".
func Index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// Parent returns the path of the field that holds path's field:
// "calls[2].retry" for "calls[2].retry.base", "calls" for "calls[2]", and
// "" at the top.
func Parent(path string) string {
	if i := strings.LastIndexAny(path, ".["); i > 0 {
		return path[:i]
	}
	return ""
}
