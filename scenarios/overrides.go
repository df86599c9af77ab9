package scenarios

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Override sets the field at Path (dotted, as in the file: a list element
// is addressed by its name or by [i], e.g. topology.services.api.instances
// or faults[0].for) to Value.
type Override struct {
	Path  string
	Value yaml.Node
}

// Overrides is an ordered set of overrides; in a file, a mapping from path
// to value, applied in the order written.
type Overrides []Override

// UnmarshalYAML keeps the order of the mapping.
func (o *Overrides) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return errors.New("set must be a mapping from field path to value")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		*o = append(*o, Override{Path: n.Content[i].Value, Value: *n.Content[i+1]})
	}
	return nil
}

// MarshalYAML writes the overrides back as a mapping.
func (o Overrides) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, ov := range o {
		v := ov.Value
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: ov.Path}, &v)
	}
	return m, nil
}

// Set returns an override of path with a Go value (for scenarios built in
// code): Set("topology.services.api.instances", 3).
func Set(path string, value any) (Override, error) {
	var n yaml.Node
	if err := n.Encode(value); err != nil {
		return Override{}, fmt.Errorf("set %s: %w", path, err)
	}
	return Override{Path: path, Value: n}, nil
}

// apply sets path in the document mapping root to a copy of v.
func apply(root *yaml.Node, path string, v *yaml.Node) error {
	segs, err := splitPath(path)
	if err != nil {
		return err
	}
	n := root
	for i, seg := range segs {
		last := i == len(segs)-1
		next, err := step(n, seg, last, v.Line)
		if err != nil {
			return fmt.Errorf("%s: %w", strings.Join(segs[:i+1], "."), err)
		}
		if last {
			key := next.Line
			*next = *deepCopy(v)
			if next.Line == 0 {
				next.Line = key // a value built in Go has no line
			}
			return nil
		}
		n = next
	}
	return nil
}

// splitPath splits "a.b[2].c" into ["a", "b", "[2]", "c"].
func splitPath(path string) ([]string, error) {
	if path == "" {
		return nil, fmt.Errorf("empty field path")
	}
	var segs []string
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			segs = append(segs, name)
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if !ok {
				return nil, fmt.Errorf("field path %q: unclosed [", path)
			}
			segs = append(segs, "["+idx+"]")
			rest = strings.TrimPrefix(after, "[")
		}
		if name == "" && !strings.Contains(part, "[") {
			return nil, fmt.Errorf("field path %q: empty segment", path)
		}
	}
	return segs, nil
}

// step descends from n by one segment; line is the override's, for nodes
// it creates. In a mapping a missing key is added
// when it is the last segment (setting a field the file left to its
// default). In a sequence a segment is an index [i] or the value of an
// element's name; a one-element sequence is entered transparently.
func step(n *yaml.Node, seg string, last bool, line int) (*yaml.Node, error) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				return n.Content[i+1], nil
			}
		}
		kind := yaml.MappingNode
		if last {
			kind = yaml.ScalarNode
		}
		// New nodes take the override's line, so errors point at the set.
		key := &yaml.Node{Kind: yaml.ScalarNode, Value: seg, Line: line}
		child := &yaml.Node{Kind: kind, Line: line}
		n.Content = append(n.Content, key, child)
		return child, nil
	case yaml.SequenceNode:
		if strings.HasPrefix(seg, "[") {
			i, err := strconv.Atoi(strings.Trim(seg, "[]"))
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, fmt.Errorf("index %s out of range [0, %d)", seg, len(n.Content))
			}
			return n.Content[i], nil
		}
		for _, el := range n.Content {
			if nameOf(el) == seg {
				return el, nil
			}
		}
		if len(n.Content) == 1 {
			return step(n.Content[0], seg, last, line)
		}
		return nil, fmt.Errorf("no element named %q", seg)
	}
	return nil, fmt.Errorf("cannot descend into a scalar")
}

func nameOf(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func deepCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = deepCopy(ch)
	}
	return &c
}
