//go:build !linux

package chain

import (
	"context"
	"time"
)

// workUntil keeps a worker busy until deadline, on a Go timer (which may
// fire up to a millisecond late; the hold time reports it).
func workUntil(deadline time.Time) {
	sleep(context.Background(), time.Until(deadline))
}
