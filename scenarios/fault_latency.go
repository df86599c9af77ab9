package scenarios

import "fmt"

// FaultLatency slows the messages on links.
const FaultLatency FaultType = "latency"

func init() {
	register(&FaultSpec{
		Type:    FaultLatency,
		Targets: linkTargets,
		Params: []FaultParam{
			{Name: "latency", Meaning: "added to each message", Unit: "duration", Default: "required", Allowed: "> 0"},
			{Name: "jitter", Meaning: "plus a uniform draw in [-jitter, +jitter]", Unit: "duration", Default: "0", Allowed: ">= 0"},
		},
		Sim:  "Adds latency plus a uniform draw in [-jitter, +jitter] (never below zero in total) to every message on the targeted links. When the fault ends, the messages it still holds arrive at once: the end of a slowdown comes as a burst, as a congested queue drains and as Toxiproxy's latency toxic passes on what it holds when removed.",
		Real: "Toxiproxy latency toxic (latency, jitter in ms), toxicity 1.0, on the targeted proxies and streams.",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			switch {
			case f.Latency <= 0:
				return mustBe("latency", "be > 0, got %v", f.Latency)
			case f.Jitter < 0:
				return mustBe("jitter", "be >= 0, got %v", f.Jitter)
			}
			return nil
		},
		label: func(f *Fault) string {
			if f.Jitter > 0 {
				return fmt.Sprintf("%s +%v±%v %s", f.Type, f.Latency, f.Jitter, linkLabel(f))
			}
			return fmt.Sprintf("%s +%v %s", f.Type, f.Latency, linkLabel(f))
		},
	})
}
