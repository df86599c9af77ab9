package scenarios

import "fmt"

func init() {
	register(&FaultType{
		Name:   "window",
		Fields: []string{},
		Sim: "No effect on the system: it marks a window of interest that is not a fault, such as a load spike, so that the " +
			"before/during/after phases and the plots' shaded bands follow it.",
		Real:  "No effect: only recorded in the timeline.",
		check: func(*Fault) error { return nil },
		label: func(f *Fault) string { return fmt.Sprintf("window %v–%v", f.At, f.End()) },
	})
}
