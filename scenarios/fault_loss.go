package scenarios

import "fmt"

// FaultLoss drops messages on links at random.
const FaultLoss FaultType = "loss"

func init() {
	register(&FaultSpec{
		Type:    FaultLoss,
		Targets: linkTargets,
		Params: []FaultParam{
			{Name: "probability", Meaning: "probability that a message vanishes", Default: "required", Allowed: "(0, 1]"},
		},
		Sim:  "Each message on the targeted links is dropped with the given probability, independently (on top of the link's own loss).",
		Real: "Toxiproxy has no packet-loss toxic: the real engine applies a timeout toxic (black hole) with toxicity = probability, which is rolled once per connection, not per message.",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if !(f.Probability > 0 && f.Probability <= 1) {
				return mustBe("probability", "be in (0, 1], got %v", f.Probability)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("%s %g%% %s", f.Type, f.Probability*100, linkLabel(f)) },
	})
}
