package resilience

import (
	"errors"
	"fmt"

	"github.com/faultline-sim/faultline/field"
)

// Sentinel errors. The breaker rejections are the values gobreaker uses for
// the same conditions; ErrConfig is wrapped by every Validate error, a
// *field.Error naming the field.
var (
	// ErrOpenState rejects a call because the breaker is open.
	ErrOpenState = errors.New("circuit breaker is open")
	// ErrTooManyRequests rejects a call because the breaker is half-open
	// and has already admitted its allowance of trial calls.
	ErrTooManyRequests = errors.New("too many requests")
	// ErrConfig is wrapped by every error Validate returns.
	ErrConfig = errors.New("invalid resilience config")
)

// invalid returns a config error at path that matches ErrConfig under
// errors.Is.
func invalid(path, format string, args ...any) error {
	return &field.Error{Path: path, Msg: fmt.Sprintf(format, args...), Err: ErrConfig}
}
