package service

import "time"

// SLO is a service level objective, judged interval by interval (the
// scenario's interval) on every request the scenario's load generators
// end: an interval breaks the SLO when the p99 latency of the requests
// that ended in it is above P99, or when the share of them that
// succeeded is below Availability. Intervals in which no request ended
// break nothing. The zero value sets no SLO.
type SLO struct {
	// P99 is the highest acceptable p99 latency. 0 (the default) means
	// no latency objective; must be >= 0.
	P99 time.Duration `yaml:"p99"`
	// Availability is the lowest acceptable share of requests that
	// succeed, in [0, 1], e.g. 0.99. 0 (the default) means none.
	Availability float64 `yaml:"availability"`
}

// Set reports whether the SLO has an objective.
func (s SLO) Set() bool { return s.P99 > 0 || s.Availability > 0 }

func (s SLO) validate() error {
	switch {
	case s.P99 < 0:
		return fieldErr("autoscale.slo.p99", "must be >= 0 (0 = none), got %v", s.P99)
	case !(s.Availability >= 0 && s.Availability <= 1):
		return fieldErr("autoscale.slo.availability", "must be in [0, 1] (0 = none), got %v", s.Availability)
	}
	return nil
}

// Breaks reports whether an interval whose requests had that p99 (in
// milliseconds) and that availability breaks the SLO. A NaN (no request
// ended) breaks nothing.
func (s SLO) Breaks(p99Ms, availability float64) bool {
	if s.P99 > 0 && p99Ms > float64(s.P99)/float64(time.Millisecond) {
		return true
	}
	return s.Availability > 0 && availability < s.Availability
}
