package scenarios

import (
	"fmt"
	"strings"
)

func init() {
	register(&FaultType{
		Name:   "partition",
		Fields: []string{"groups", "isolate", "one_way", "mode"},
		Sim: "Nodes in different groups cannot exchange messages (with one_way, only messages from groups[0] to the others are cut); " +
			"isolate cuts one node (or every instance of a service) from all others. mode black-hole drops messages silently, " +
			"so senders learn only by their own timeout; mode refuse fails each send after about one round trip. Messages already " +
			"on the wire when the cut starts are lost.",
		Real: "Every Toxiproxy proxy on a crossing link is disabled (refuse) or gets a timeout toxic with timeout=0 (black-hole), in the cut direction(s). " +
			"On a service chain the instances of a caller share their proxies: a cut between some instances of a caller and a callee is refused, " +
			"an isolated instance's own calls are left alone (it gets no new requests), and refuse on answers alone (one_way) black-holes them.",
		check: func(f *Fault) error {
			switch {
			case f.Mode != "black-hole" && f.Mode != "refuse":
				return fmt.Errorf("mode: must be black-hole or refuse, got %q", f.Mode)
			case f.Isolate != "" && (len(f.Groups) > 0 || f.OneWay):
				return fmt.Errorf("isolate: excludes groups and one_way")
			case f.Isolate == "" && len(f.Groups) < 2:
				return fmt.Errorf("groups: a partition needs isolate or at least 2 groups, got %d", len(f.Groups))
			}
			for i, g := range f.Groups {
				if len(g) == 0 {
					return fmt.Errorf("groups[%d]: must not be empty", i)
				}
			}
			return nil
		},
		label: func(f *Fault) string {
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
			return fmt.Sprintf("partition %s (%s)", strings.Join(sides, sep), f.Mode)
		},
	})
}
