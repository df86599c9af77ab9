package chain

import (
	"syscall"
	"time"
)

// workUntil keeps a worker busy until deadline. It sleeps in nanosleep(2)
// rather than on a Go timer: the runtime's poller waits in whole
// milliseconds, so a timer fires 0.6 ms late on average (measured on a
// 10 ms exponential service time), which adds 6% to the work; the
// kernel's sleep ends about 0.1 ms late. It blocks an OS thread while
// it sleeps, one per busy worker.
func workUntil(deadline time.Time) {
	for {
		d := time.Until(deadline)
		if d <= 0 {
			return
		}
		ts := syscall.NsecToTimespec(int64(d))
		if err := syscall.Nanosleep(&ts, nil); err != syscall.EINTR {
			return
		}
	}
}
