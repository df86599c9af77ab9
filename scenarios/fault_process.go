package scenarios

import "fmt"

func init() {
	register(&FaultType{
		Name:   "crash",
		Fields: []string{"target"},
		Sim:    "The target instance(s) die at `at`: queued and in-service requests are answered with a connection reset, and new ones are reset at once, until the process restarts `for` later with an empty queue.",
		Real:   "The target process is killed with SIGKILL and restarted `for` later.",
		check:  checkTarget,
		label:  func(f *Fault) string { return "crash " + f.Target },
	})
	register(&FaultType{
		Name:   "pause",
		Fields: []string{"target"},
		Sim:    "The target instance(s) stop working for `for` (a GC pause or SIGSTOP): requests keep arriving and queue up to the queue limit; work in progress resumes where it stopped.",
		Real:   "The target process gets SIGSTOP, then SIGCONT `for` later.",
		check:  checkTarget,
		label:  func(f *Fault) string { return "pause " + f.Target },
	})
}

func checkTarget(f *Fault) error {
	if f.Target == "" {
		return fmt.Errorf("target: must name a service or an instance (e.g. api or api-2)")
	}
	return nil
}
