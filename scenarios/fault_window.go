package scenarios

import "fmt"

// FaultWindow is not a fault: it marks a window of interest.
const FaultWindow FaultType = "window"

func init() {
	register(&FaultSpec{
		Type: FaultWindow,
		Sim: "No effect on the system: it marks a window of interest that is not a fault, such as a load spike, so that the " +
			"before/during/after phases and the plots' shaded bands follow it.",
		Real:  "No effect: only recorded in the timeline.",
		check: func(*Fault) error { return nil },
		label: func(f *Fault) string { return fmt.Sprintf("%s %v–%v", f.Type, f.At, f.End()) },
	})
}
