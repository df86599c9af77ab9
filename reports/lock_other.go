//go:build !unix

package reports

import (
	"errors"
	"os"
)

// lock creates path exclusively; without advisory locks a file left by a
// killed run must be removed by hand, and the error says so.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, errors.New("another simulate is writing a report there (or one was killed: remove " + path + ")")
		}
		return nil, err
	}
	f.Close()
	return func() { os.Remove(path) }, nil
}
