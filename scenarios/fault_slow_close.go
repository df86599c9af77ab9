package scenarios

import "fmt"

// FaultSlowClose delays the closing of connections on links.
const FaultSlowClose FaultType = "slow_close"

func init() {
	register(&FaultSpec{
		Type:    FaultSlowClose,
		Targets: linkTargets,
		Params: []FaultParam{
			{Name: "delay", Meaning: "how long closes are delayed", Unit: "duration", Default: "required", Allowed: "> 0"},
		},
		Sim:  "The simulator models requests and responses, not connection teardown, so slow_close has no effect on simulated outcomes; it is shown in the fault timeline and applied by the real engine.",
		Real: "Toxiproxy slow_close toxic (delay in ms).",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if f.Delay <= 0 {
				return mustBe("delay", "be > 0, got %v", f.Delay)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("%s %v %s", f.Type, f.Delay, linkLabel(f)) },
	})
}
