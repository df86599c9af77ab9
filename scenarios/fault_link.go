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
	register(&FaultType{
		Name:   "slicer",
		Fields: []string{"from", "to", "two_way", "average_size", "size_variation", "delay"},
		Sim:    "Each message on the targeted links is cut into slices, as Toxiproxy's slicer cuts a chunk: halved until a piece is at most average_size + size_variation bytes (the simulator halves evenly, ignoring the variation's randomness); the slices leave one after another with delay between them, so a message of n slices arrives (n-1) x delay late. Messages are not queued behind each other (Toxiproxy slices each connection on its own).",
		Real:   "Toxiproxy slicer toxic (average_size, size_variation in bytes, delay in µs), toxicity 1.0.",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			switch {
			case f.AverageSize <= 0:
				return fmt.Errorf("average_size: must be > 0 bytes, got %d", f.AverageSize)
			case f.SizeVariation < 0 || f.SizeVariation >= f.AverageSize:
				return fmt.Errorf("size_variation: must be in [0, average_size (%d)) bytes, got %d", f.AverageSize, f.SizeVariation)
			case f.Delay < 0:
				return fmt.Errorf("delay: must be >= 0, got %v", f.Delay)
			}
			return nil
		},
		label: func(f *Fault) string {
			return fmt.Sprintf("slicer %dB/%v %s", f.AverageSize, f.Delay, linkLabel(f))
		},
	})
	register(&FaultType{
		Name:   "limit_data",
		Fields: []string{"from", "to", "two_way", "bytes"},
		Sim:    "A connection on the targeted links carries at most bytes: the message that would pass the limit is cut, so it fails (the sender gets a connection reset after about one round trip), and the next message opens a new connection with a fresh count (one connection per direction of a link).",
		Real:   "Toxiproxy limit_data toxic (bytes), which closes each connection once it has carried that many bytes.",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if f.Bytes <= 0 {
				return fmt.Errorf("bytes: must be > 0, got %d", f.Bytes)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("limit_data %dB %s", f.Bytes, linkLabel(f)) },
	})
}
