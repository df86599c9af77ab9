// Package scenarios is Faultline's scenario language and experiment
// runner: what a YAML file (or the equivalent Go value) says about an
// architecture, its load, its faults, the variants to compare and the
// hypotheses to check; how it is loaded strictly (every error names the file,
// line and field path); and how an Engine's runs over variants, sweep points
// and seeds become one results.Report.
//
// Each fault type lives in one file, fault_<type>.go: its FaultType
// constant and its FaultSpec (the fields it reads, their validation, its
// label and its documented semantics in both engines, from which the fault
// types of docs/scenarios.md are generated). Every engine keeps a
// FaultTable with a row per type, checked by a test in the engine's
// package.
//
// The built-in scenarios are the YAML files in this directory, embedded in
// the binary. `go test ./scenarios` runs every one of them and checks its
// hypotheses.
package scenarios
