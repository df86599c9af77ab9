package scenarios

import "fmt"

// FaultSlicer cuts the messages on links into small, delayed slices.
const FaultSlicer FaultType = "slicer"

func init() {
	register(&FaultSpec{
		Type:    FaultSlicer,
		Targets: linkTargets,
		Params: []FaultParam{
			{Name: "average_size", Meaning: "the size a message is halved down to (plus `size_variation`)", Unit: "bytes", Default: "required", Allowed: "> 0"},
			{Name: "size_variation", Meaning: "how much larger than `average_size` a slice may be (the real slicer also varies where it halves)", Unit: "bytes", Default: "0", Allowed: "[0, average_size)"},
			{Name: "delay", Meaning: "the pause between slices", Unit: "duration", Default: "0", Allowed: ">= 0 (Toxiproxy takes µs)"},
		},
		Sim:  "Each message on the targeted links is cut into slices, as Toxiproxy's slicer cuts a chunk: halved until a piece is at most average_size + size_variation bytes (the simulator halves evenly, ignoring the variation's randomness); the slices leave one after another with delay between them, so a message of n slices arrives (n-1) x delay late. Messages are not queued behind each other (Toxiproxy slices each connection on its own).",
		Real: "Toxiproxy slicer toxic (average_size, size_variation in bytes, delay in µs), toxicity 1.0.",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			switch {
			case f.AverageSize <= 0:
				return mustBe("average_size", "be > 0 bytes, got %d", f.AverageSize)
			case f.SizeVariation < 0 || f.SizeVariation >= f.AverageSize:
				return mustBe("size_variation", "be in [0, average_size (%d)) bytes, got %d", f.AverageSize, f.SizeVariation)
			case f.Delay < 0:
				return mustBe("delay", "be >= 0, got %v", f.Delay)
			}
			return nil
		},
		label: func(f *Fault) string {
			return fmt.Sprintf("%s %dB/%v %s", f.Type, f.AverageSize, f.Delay, linkLabel(f))
		},
	})
}
