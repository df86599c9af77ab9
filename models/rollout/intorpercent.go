package rollout

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// valueKind tells an unset IntOrPercent from a count and a percentage.
type valueKind int8

const (
	unset valueKind = iota
	count
	percent
)

// IntOrPercent is Kubernetes' IntOrString as max_surge and
// max_unavailable use it: a number of pods (3) or a percentage of the
// desired replicas ("25%"). The zero value is unset, which SetDefaults
// replaces; an explicit 0 is a count of 0.
type IntOrPercent struct {
	kind  valueKind
	value int
}

// Count returns a number of pods.
func Count(n int) IntOrPercent { return IntOrPercent{kind: count, value: n} }

// Percent returns p percent of the desired replicas.
func Percent(p int) IntOrPercent { return IntOrPercent{kind: percent, value: p} }

// IsSet reports whether the value was given (or defaulted).
func (v IntOrPercent) IsSet() bool { return v.kind != unset }

// IsPercent reports whether the value is a percentage.
func (v IntOrPercent) IsPercent() bool { return v.kind == percent }

// Value returns the number of pods or the percentage, as written.
func (v IntOrPercent) Value() int { return v.value }

// String returns the value as written in a scenario: "3", "25%", or ""
// when unset.
func (v IntOrPercent) String() string {
	switch v.kind {
	case count:
		return strconv.Itoa(v.value)
	case percent:
		return strconv.Itoa(v.value) + "%"
	default:
		return ""
	}
}

// Scaled returns the number of pods the value stands for out of total,
// a percentage rounded up or down as Kubernetes'
// GetScaledValueFromIntOrPercent does. An unset value is 0.
func (v IntOrPercent) Scaled(total int, roundUp bool) int {
	if v.kind != percent {
		return v.value
	}
	n := v.value * total
	if roundUp && n%100 != 0 {
		return n/100 + 1
	}
	return n / 100
}

// UnmarshalYAML accepts an integer or a string "N%" with an integer N.
// Kubernetes also accepts a digit string ("3") for a count; so does this.
// Its errors say what is wrong with the value, not where it is: the
// caller names the field and the line.
func (v *IntOrPercent) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return errors.New("want a count or a percentage like \"25%\"")
	}
	parsed, err := ParseIntOrPercent(node.Value)
	if err != nil {
		return err
	}
	*v = parsed
	return nil
}

// MarshalYAML writes a count as an integer and a percentage as "N%".
func (v IntOrPercent) MarshalYAML() (any, error) {
	switch v.kind {
	case count:
		return v.value, nil
	case percent:
		return v.String(), nil
	default:
		return nil, nil
	}
}

// ParseIntOrPercent parses "3" or "25%".
func ParseIntOrPercent(s string) (IntOrPercent, error) {
	digits, isPercent := strings.CutSuffix(strings.TrimSpace(s), "%")
	n, err := strconv.Atoi(digits)
	if err != nil {
		return IntOrPercent{}, fmt.Errorf("%q is neither a count nor a percentage like \"25%%\"", s)
	}
	if isPercent {
		return Percent(n), nil
	}
	return Count(n), nil
}
