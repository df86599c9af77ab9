package broker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// The rows follow the examples of Kafka's RangeAssignor and
// RoundRobinAssignor documentation, for one topic.
func TestAssignTable(t *testing.T) {
	tests := []struct {
		assignor         string
		partitions, cons int
		want             [][]int
	}{
		{AssignRange, 6, 4, [][]int{{0, 1}, {2, 3}, {4}, {5}}},
		{AssignRoundRobin, 6, 4, [][]int{{0, 4}, {1, 5}, {2}, {3}}},
		{AssignRange, 3, 4, [][]int{{0}, {1}, {2}, nil}},
		{AssignRoundRobin, 3, 4, [][]int{{0}, {1}, {2}, nil}},
		{AssignRange, 7, 3, [][]int{{0, 1, 2}, {3, 4}, {5, 6}}},
		{AssignRoundRobin, 7, 3, [][]int{{0, 3, 6}, {1, 4}, {2, 5}}},
		{AssignRange, 6, 2, [][]int{{0, 1, 2}, {3, 4, 5}}},
		{AssignRange, 4, 1, [][]int{{0, 1, 2, 3}}},
		{AssignRange, 4, 0, [][]int{}},
	}
	for _, tt := range tests {
		got := Assign(tt.assignor, tt.partitions, tt.cons)
		assert.Equal(t, tt.want, got, "%s: %d partitions over %d consumers", tt.assignor, tt.partitions, tt.cons)
	}
}

// Both assignors give every partition to exactly one member, in
// increasing order, and balance the counts to within one; with more
// members than partitions exactly C-P members are idle.
func TestAssignProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		assignor := rapid.SampledFrom([]string{AssignRange, AssignRoundRobin}).Draw(t, "assignor")
		p := rapid.IntRange(1, 64).Draw(t, "partitions")
		c := rapid.IntRange(1, 64).Draw(t, "members")
		got := Assign(assignor, p, c)
		require.Len(t, got, c)
		seen := make([]int, p)
		lo, hi, idle := p, 0, 0
		for _, parts := range got {
			lo, hi = min(lo, len(parts)), max(hi, len(parts))
			if len(parts) == 0 {
				idle++
			}
			for i, x := range parts {
				seen[x]++
				if i > 0 {
					require.Less(t, parts[i-1], x)
				}
			}
		}
		for x, n := range seen {
			require.Equal(t, 1, n, "partition %d assigned %d times", x, n)
		}
		require.LessOrEqual(t, hi-lo, 1)
		require.Equal(t, max(c-p, 0), idle)
	})
}
