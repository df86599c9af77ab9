package broker

// Assign splits partitions 0..partitions-1 among members consumers by the
// named assignor and returns, for each member in order, its partitions in
// increasing order. With more members than partitions some members get
// none. It panics on an unknown assignor, which Validate rules out.
func Assign(assignor string, partitions, members int) [][]int {
	out := make([][]int, members)
	if members == 0 {
		return out
	}
	switch assignor {
	case AssignRange:
		assignRange(out, partitions)
	case AssignRoundRobin:
		for p := range partitions {
			out[p%members] = append(out[p%members], p)
		}
	default:
		panic("broker: unknown assignor " + assignor)
	}
	return out
}

// assignRange follows Kafka's RangeAssignor for one topic: P/C partitions
// each, and one more for each of the first P mod C members.
func assignRange(out [][]int, partitions int) {
	members := len(out)
	each, extra := partitions/members, partitions%members
	p := 0
	for m := range out {
		n := each
		if m < extra {
			n++
		}
		for range n {
			out[m] = append(out[m], p)
			p++
		}
	}
}
