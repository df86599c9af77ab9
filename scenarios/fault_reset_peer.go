package scenarios

import "fmt"

// FaultResetPeer refuses the messages on links with a connection reset.
const FaultResetPeer FaultType = "reset_peer"

func init() {
	register(&FaultSpec{
		Type:    FaultResetPeer,
		Targets: linkTargets,
		Params: []FaultParam{
			{Name: "timeout", Meaning: "when the reset arrives (0 = after one round trip)", Unit: "duration", Default: "0", Allowed: ">= 0"},
		},
		Sim:  "Every message on the targeted links is refused: the sender gets an error (connection reset) after timeout, or after about one round trip when timeout is 0.",
		Real: "Toxiproxy reset_peer toxic (timeout in ms).",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if f.Timeout < 0 {
				return mustBe("timeout", "be >= 0, got %v", f.Timeout)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("%s %s", f.Type, linkLabel(f)) },
	})
}
