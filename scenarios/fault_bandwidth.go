package scenarios

import "fmt"

// FaultBandwidth caps the throughput of links.
const FaultBandwidth FaultType = "bandwidth"

func init() {
	register(&FaultSpec{
		Type:    FaultBandwidth,
		Targets: linkTargets,
		Params: []FaultParam{
			{Name: "bytes_per_s", Meaning: "the cap", Unit: "bytes/s", Default: "required", Allowed: "> 0"},
		},
		Sim:  "Caps the targeted links at bytes_per_s: messages are serialised one after another, so a busy link queues them.",
		Real: "Toxiproxy bandwidth toxic with rate = bytes_per_s/1000 KB/s.",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if !(f.Bandwidth > 0) {
				return mustBe("bytes_per_s", "be > 0, got %v", f.Bandwidth)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("%s %g B/s %s", f.Type, f.Bandwidth, linkLabel(f)) },
	})
}
