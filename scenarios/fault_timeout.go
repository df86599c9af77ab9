package scenarios

import "fmt"

// FaultTimeout black-holes links: data goes in and nothing comes out.
const FaultTimeout FaultType = "timeout"

func init() {
	register(&FaultSpec{
		Type:    FaultTimeout,
		Targets: linkTargets,
		Params: []FaultParam{
			{Name: "timeout", Meaning: "when the sender's send fails (0 = never)", Unit: "duration", Default: "0", Allowed: ">= 0"},
		},
		Sim:  "Black-holes every message on the targeted links. With timeout > 0 the sender's send fails that long after it was made (the connection is closed); with 0 it never hears back.",
		Real: "Toxiproxy timeout toxic (timeout in ms; 0 holds data until the toxic is removed).",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if f.Timeout < 0 {
				return mustBe("timeout", "be >= 0 (0 = hold forever), got %v", f.Timeout)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("%s(%v) %s", f.Type, f.Timeout, linkLabel(f)) },
	})
}
