package resilience

import (
	"errors"
	"fmt"
)

// Sentinel errors. The breaker rejections are the values gobreaker uses for
// the same conditions; ErrConfig is wrapped by every Validate error.
var (
	// ErrOpenState rejects a call because the breaker is open.
	ErrOpenState = errors.New("circuit breaker is open")
	// ErrTooManyRequests rejects a call because the breaker is half-open
	// and has already admitted its allowance of trial calls.
	ErrTooManyRequests = errors.New("too many requests")
	// ErrConfig is wrapped by every error Validate returns.
	ErrConfig = errors.New("invalid resilience config")
)

// configErr is a config error whose text is "field: rule" and which
// matches ErrConfig under errors.Is.
type configErr struct{ msg string }

func (e *configErr) Error() string { return e.msg }

func (e *configErr) Unwrap() error { return ErrConfig }

func invalid(format string, args ...any) error {
	return &configErr{msg: fmt.Sprintf(format, args...)}
}

// prefixed puts prefix in front of the field a config error names
// ("max_tokens: ..." under "throttle." reads "throttle.max_tokens: ...").
func prefixed(prefix string, err error) error {
	return &configErr{msg: prefix + err.Error()}
}
