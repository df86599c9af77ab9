package sim

import (
	"math"
	"strconv"
	"time"
)

// Time is a point in virtual time: nanoseconds since the start of a run.
// Durations between points are ordinary time.Durations.
type Time int64

// MaxTime is the largest representable virtual time.
const MaxTime Time = math.MaxInt64

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Sub returns the duration t-u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Seconds returns t in seconds since the start of the run.
func (t Time) Seconds() float64 { return float64(t) / 1e9 }

// String formats t as a duration since the start, e.g. "1.5s".
func (t Time) String() string { return "t=" + time.Duration(t).String() }

// At converts a duration since the start of the run into a Time.
func At(d time.Duration) Time { return Time(d) }

// Seconds converts a number of seconds (as drawn from a Dist) into a
// duration, rounding to the nearest nanosecond. Negative, NaN and infinite
// values are clamped: negative and NaN to 0, +Inf to the largest duration.
func Seconds(s float64) time.Duration {
	switch {
	case !(s > 0): // also catches NaN
		return 0
	case s >= float64(math.MaxInt64)/1e9:
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(s*1e9 + 0.5) // s > 0, so this rounds half up
}

// formatNanos is used by the trace writer; kept here beside Time.
func appendTime(b []byte, t Time) []byte { return strconv.AppendInt(b, int64(t), 10) }
