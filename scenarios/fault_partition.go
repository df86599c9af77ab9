package scenarios

import (
	"fmt"
	"strings"

	"github.com/faultline-sim/faultline/field"
)

// FaultPartition cuts nodes apart.
const FaultPartition FaultType = "partition"

// A partition's modes: how a sender across the cut learns of it.
const (
	// PartitionBlackHole drops messages silently: senders learn only by
	// their own timeout. The default.
	PartitionBlackHole = "black-hole"
	// PartitionRefuse fails each send after about one round trip.
	PartitionRefuse = "refuse"
)

func init() {
	register(&FaultSpec{
		Type: FaultPartition,
		Params: []FaultParam{
			{Name: "groups", Meaning: "lists of node selectors; nodes in different groups are cut apart", Allowed: ">= 2 non-empty groups, or `isolate`"},
			{Name: "isolate", Meaning: "cut this node (or every instance of this service) from all others; `<store>.leader` cuts whichever replica leads that store when the fault starts (replica 0 for designs without a leader)", Unit: "node selector"},
			{Name: "one_way", Meaning: "cut only messages from `groups[0]` to the other groups", Default: "false"},
			{Name: "mode", Meaning: "`black-hole` (silence: senders learn by their own timeout) or `refuse` (each send fails after about one round trip)", Default: "`black-hole`", Allowed: "`black-hole`, `refuse`"},
		},
		Sim: "Nodes in different groups cannot exchange messages (with one_way, only messages from groups[0] to the others are cut); " +
			"isolate cuts one node (or every instance of a service) from all others. mode black-hole drops messages silently, " +
			"so senders learn only by their own timeout; mode refuse fails each send after about one round trip. Messages already " +
			"on the wire when the cut starts are lost.",
		Real: "Every Toxiproxy proxy stream that carries a cut direction gets a timeout toxic with timeout=0 (black-hole), or every proxy whose requests cross is disabled (refuse); " +
			"a proxy cannot refuse answers alone, so refuse black-holes the streams whose answers alone cross (one_way). " +
			"On a service chain the instances of a caller share their proxies: a cut between some instances of a caller and a callee is refused, " +
			"an isolated instance's own calls are left alone (it gets no new requests).",
		defaults: func(f *Fault) {
			if f.Mode == "" {
				f.Mode = PartitionBlackHole
			}
		},
		check: checkPartition,
		label: partitionLabel,
	})
}

func checkPartition(f *Fault) error {
	switch {
	case f.Mode != PartitionBlackHole && f.Mode != PartitionRefuse:
		return mustBe("mode", "be %s or %s, got %q", PartitionBlackHole, PartitionRefuse, f.Mode)
	case f.Isolate != "" && (len(f.Groups) > 0 || f.OneWay):
		return &field.Error{Path: "isolate", Msg: "excludes groups and one_way"}
	case f.Isolate == "" && len(f.Groups) < 2:
		return field.Errorf("groups", "a partition needs isolate or at least 2 groups, got %d", len(f.Groups))
	}
	for i, g := range f.Groups {
		if len(g) == 0 {
			return mustBe(fmt.Sprintf("groups[%d]", i), "not be empty")
		}
	}
	return nil
}

func partitionLabel(f *Fault) string {
	if f.Isolate != "" {
		return fmt.Sprintf("isolate %s (%s)", f.Isolate, f.Mode)
	}
	sides := make([]string, len(f.Groups))
	for i, g := range f.Groups {
		sides[i] = strings.Join(g, ",")
	}
	sep := " | "
	if f.OneWay {
		sep = " -/-> "
	}
	return fmt.Sprintf("%s %s (%s)", f.Type, strings.Join(sides, sep), f.Mode)
}
