//go:build unix

package reports

import (
	"errors"
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock on path, created if needed. The
// kernel releases it if the process dies, so a killed run never blocks the
// next one; the file itself is removed on unlock.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errors.New("another simulate is writing a report there; wait for it or choose another -out")
		}
		return nil, err
	}
	return func() {
		os.Remove(path)
		f.Close()
	}, nil
}
