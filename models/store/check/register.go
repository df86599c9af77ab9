package check

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/anishathalye/porcupine"

	"github.com/faultline-sim/faultline/models/store"
)

// regInput is an operation on one key's register, as porcupine sees it.
type regInput struct {
	Kind   store.OpKind
	Key    int
	Value  int64 // put: written; cas: new value
	Expect int64 // cas
}

// regOutput is what the client saw. Unknown marks an op whose outcome the
// client never learned: it matches any state.
type regOutput struct {
	Value   int64 // get: value read
	Swapped bool  // cas
	Unknown bool
}

// registerModel is a register per key (state: the int64 value, 0 =
// absent), partitioned by key in ascending key order.
var registerModel = porcupine.Model{
	Partition: partitionByKey,
	Init:      func() any { return int64(0) },
	Step: func(state, input, output any) (bool, any) {
		return step(state.(int64), input.(regInput), output.(regOutput))
	},
	DescribeOperation: func(input, output any) string {
		return describe(input.(regInput), output.(regOutput))
	},
	DescribeState: func(state any) string { return fmt.Sprint(state.(int64)) },
}

// step applies one op to a register holding v. An op with an unknown
// outcome is assumed applied when it is linearized; the case where it
// never took effect is covered by linearizing it last (its return time is
// +infinity), where it changes nothing anyone observed.
func step(v int64, in regInput, out regOutput) (bool, any) {
	switch in.Kind {
	case store.Get:
		return out.Unknown || out.Value == v, v
	case store.Put:
		return true, in.Value
	case store.CAS:
		swap := v == in.Expect
		if !out.Unknown && out.Swapped != swap {
			return false, v
		}
		if swap {
			return true, in.Value
		}
		return true, v
	}
	panic(fmt.Sprintf("check: unknown op kind %v", in.Kind))
}

func describe(in regInput, out regOutput) string {
	return string(appendDescription(nil, in, out))
}

// appendDescription appends an op as porcupine's page shows it, e.g.
// "put(k3, 17) -> ok", "get(k3) -> 17", "cas(k3, 17, 18) -> false", with
// "?" for an outcome the client never learned.
func appendDescription(b []byte, in regInput, out regOutput) []byte {
	switch in.Kind {
	case store.Get:
		b = append(b, "get(k"...)
		b = strconv.AppendInt(b, int64(in.Key), 10)
		b = append(b, ") -> "...)
		if out.Unknown {
			return append(b, '?')
		}
		return strconv.AppendInt(b, out.Value, 10)
	case store.Put:
		b = append(b, "put(k"...)
		b = strconv.AppendInt(b, int64(in.Key), 10)
		b = append(b, ", "...)
		b = strconv.AppendInt(b, in.Value, 10)
		if out.Unknown {
			return append(b, ") -> ?"...)
		}
		return append(b, ") -> ok"...)
	}
	b = append(b, "cas(k"...)
	b = strconv.AppendInt(b, int64(in.Key), 10)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, in.Expect, 10)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, in.Value, 10)
	b = append(b, ") -> "...)
	if out.Unknown {
		return append(b, '?')
	}
	return strconv.AppendBool(b, out.Swapped)
}

// partitionByKey splits ops by key, partitions in ascending key order.
func partitionByKey(ops []porcupine.Operation) [][]porcupine.Operation {
	count := map[int]int{}
	for _, op := range ops {
		count[op.Input.(regInput).Key]++
	}
	keys := sortedKeys(count)
	index := make(map[int]int, len(keys))
	parts := make([][]porcupine.Operation, len(keys))
	for i, k := range keys {
		index[k] = i
		parts[i] = make([]porcupine.Operation, 0, count[k])
	}
	for _, op := range ops {
		i := index[op.Input.(regInput).Key]
		parts[i] = append(parts[i], op)
	}
	return parts
}

// operations converts the records porcupine should check: Failed ops are
// dropped (definitely not applied), and so are gets whose outcome is
// Unknown (a read that never answered constrains nothing). Other Unknown
// ops return at +infinity with an output that matches anything.
func operations(h store.History) []porcupine.Operation {
	ops := make([]porcupine.Operation, 0, len(h))
	for _, r := range h {
		if checked(r) {
			ops = append(ops, operation(r))
		}
	}
	return ops
}

// checked reports whether operations keeps r.
func checked(r store.Record) bool {
	return r.Outcome == store.OK || (r.Outcome == store.Unknown && r.Kind != store.Get)
}

func operation(r store.Record) porcupine.Operation {
	in := regInput{Kind: r.Kind, Key: r.Key, Value: r.Value, Expect: r.Expect}
	out := regOutput{Value: r.Out, Swapped: r.Out == 1}
	ret := int64(r.Return)
	if r.Outcome == store.Unknown {
		out = regOutput{Unknown: true}
		ret = math.MaxInt64
	}
	return porcupine.Operation{ClientId: r.Client, Input: in, Output: out,
		Call: int64(r.Invoke), Return: ret}
}

// sortedKeys returns m's keys in ascending order.
func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
