package scenarios

import "fmt"

// The link faults: each acts on the messages from `from` to `to` (and back
// with two_way) for the fault's window. One registration per toxic.

func init() {
	register(&FaultType{
		Name:   "latency",
		Fields: []string{"from", "to", "two_way", "latency", "jitter"},
		Sim:    "Adds latency plus a uniform draw in [-jitter, +jitter] (never below zero in total) to every message on the targeted links. When the fault ends, the messages it still holds arrive at once: the end of a slowdown comes as a burst, as a congested queue drains and as Toxiproxy's latency toxic passes on what it holds when removed.",
		Real:   "Toxiproxy latency toxic (latency, jitter in ms), toxicity 1.0, on the targeted proxies and streams.",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			switch {
			case f.Latency <= 0:
				return fmt.Errorf("latency: must be > 0, got %v", f.Latency)
			case f.Jitter < 0:
				return fmt.Errorf("jitter: must be >= 0, got %v", f.Jitter)
			}
			return nil
		},
		label: func(f *Fault) string {
			if f.Jitter > 0 {
				return fmt.Sprintf("latency +%v±%v %s", f.Latency, f.Jitter, linkLabel(f))
			}
			return fmt.Sprintf("latency +%v %s", f.Latency, linkLabel(f))
		},
	})
	register(&FaultType{
		Name:   "loss",
		Fields: []string{"from", "to", "two_way", "probability"},
		Sim:    "Each message on the targeted links is dropped with the given probability, independently (on top of the link's own loss).",
		Real:   "Toxiproxy has no packet-loss toxic: the real engine applies a timeout toxic (black hole) with toxicity = probability, which is rolled once per connection, not per message.",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if !(f.Probability > 0 && f.Probability <= 1) {
				return fmt.Errorf("probability: must be in (0, 1], got %v", f.Probability)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("loss %g%% %s", f.Probability*100, linkLabel(f)) },
	})
	register(&FaultType{
		Name:   "bandwidth",
		Fields: []string{"from", "to", "two_way", "bytes_per_s"},
		Sim:    "Caps the targeted links at bytes_per_s: messages are serialised one after another, so a busy link queues them.",
		Real:   "Toxiproxy bandwidth toxic with rate = bytes_per_s/1000 KB/s.",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if !(f.Bandwidth > 0) {
				return fmt.Errorf("bytes_per_s: must be > 0, got %v", f.Bandwidth)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("bandwidth %g B/s %s", f.Bandwidth, linkLabel(f)) },
	})
	register(&FaultType{
		Name:   "timeout",
		Fields: []string{"from", "to", "two_way", "timeout"},
		Sim:    "Black-holes every message on the targeted links. With timeout > 0 the sender's send fails that long after it was made (the connection is closed); with 0 it never hears back.",
		Real:   "Toxiproxy timeout toxic (timeout in ms; 0 holds data until the toxic is removed).",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if f.Timeout < 0 {
				return fmt.Errorf("timeout: must be >= 0 (0 = hold forever), got %v", f.Timeout)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("timeout(%v) %s", f.Timeout, linkLabel(f)) },
	})
	register(&FaultType{
		Name:   "reset_peer",
		Fields: []string{"from", "to", "two_way", "timeout"},
		Sim:    "Every message on the targeted links is refused: the sender gets an error (connection reset) after timeout, or after about one round trip when timeout is 0.",
		Real:   "Toxiproxy reset_peer toxic (timeout in ms).",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if f.Timeout < 0 {
				return fmt.Errorf("timeout: must be >= 0, got %v", f.Timeout)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("reset_peer %s", linkLabel(f)) },
	})
	register(&FaultType{
		Name:   "slow_close",
		Fields: []string{"from", "to", "two_way", "delay"},
		Sim:    "The simulator models requests and responses, not connection teardown, so slow_close has no effect on simulated outcomes; it is shown in the fault timeline and applied by the real engine.",
		Real:   "Toxiproxy slow_close toxic (delay in ms).",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if f.Delay <= 0 {
				return fmt.Errorf("delay: must be > 0, got %v", f.Delay)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("slow_close %v %s", f.Delay, linkLabel(f)) },
	})
}
