package scenarios

// FaultPause stops a process and resumes it at the fault's end.
const FaultPause FaultType = "pause"

func init() {
	register(&FaultSpec{
		Type:    FaultPause,
		Targets: processTarget,
		Sim:     "The target instance(s) stop working for `for` (a GC pause or SIGSTOP): requests keep arriving and queue up to the queue limit; work in progress resumes where it stopped.",
		Real:    "The target process gets SIGSTOP, then SIGCONT `for` later.",
		check:   checkTarget,
		label:   processLabel,
	})
}
