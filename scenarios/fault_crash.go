package scenarios

// FaultCrash kills a process and restarts it at the fault's end.
const FaultCrash FaultType = "crash"

func init() {
	register(&FaultSpec{
		Type:    FaultCrash,
		Targets: processTarget,
		Sim:     "The target instance(s) die at `at`: queued and in-service requests are answered with a connection reset, and new ones are reset at once, until the process restarts `for` later with an empty queue.",
		Real:    "The target process is killed with SIGKILL and restarted `for` later.",
		check:   checkTarget,
		label:   processLabel,
	})
}
