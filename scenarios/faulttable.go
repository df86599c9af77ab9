package scenarios

import (
	"errors"
	"fmt"
	"reflect"
)

// FaultTable is one engine's part of every fault type: a row per type
// with the engine's implementation, or the reason it has none. Each
// engine (the simulated world, the search's generator, the real
// engine's systems) keeps one table, and a test in the engine's package
// calls Check, so a fault type added to the language cannot be forgotten
// by an engine. The rows keep their order, for engines that draw or list
// types in a fixed one.
type FaultTable[T any] []FaultRow[T]

// FaultRow is an engine's entry for one fault type: Do, its
// implementation, or None, why the engine has no counterpart for it
// (then Do is the zero value).
type FaultRow[T any] struct {
	Type FaultType
	Do   T
	None string
}

// Implemented reports whether the row has an implementation.
func (r FaultRow[T]) Implemented() bool {
	return !reflect.ValueOf(&r.Do).Elem().IsZero()
}

// Lookup returns the row for fault type t.
func (tab FaultTable[T]) Lookup(t FaultType) (FaultRow[T], bool) {
	for _, r := range tab {
		if r.Type == t {
			return r, true
		}
	}
	return FaultRow[T]{}, false
}

// Check returns an error naming every registered fault type the table
// neither implements nor explains, every row that both implements its
// type and says it has no counterpart, and every row for a type the
// language does not have or that is already in the table.
func (tab FaultTable[T]) Check() error {
	var errs []error
	for _, t := range FaultTypes() {
		if _, ok := tab.Lookup(t); !ok {
			errs = append(errs, fmt.Errorf("fault type %s: no row: neither an implementation nor the reason there is none", t))
		}
	}
	seen := map[FaultType]bool{}
	for _, r := range tab {
		switch {
		case r.Type.Spec() == nil:
			errs = append(errs, fmt.Errorf("fault type %q: a row, but the language has no such type", r.Type))
		case seen[r.Type]:
			errs = append(errs, fmt.Errorf("fault type %s: two rows", r.Type))
		case r.Implemented() && r.None != "":
			errs = append(errs, fmt.Errorf("fault type %s: implemented, yet it says it has no counterpart (%s)", r.Type, r.None))
		case !r.Implemented() && r.None == "":
			errs = append(errs, fmt.Errorf("fault type %s: neither an implementation nor the reason there is none", r.Type))
		}
		seen[r.Type] = true
	}
	return errors.Join(errs...)
}
