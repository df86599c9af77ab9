package results

// Outcome is how one request ended, as the client saw it.
type Outcome uint8

const (
	// OK: an answer that the client counts as success.
	OK Outcome = iota
	// Error: an answer that is a failure (5xx, connection refused or reset).
	Error
	// Timeout: no answer before the client's deadline.
	Timeout
	// Rejected: refused at admission (queue full, rate limit, open breaker).
	Rejected
	// Shed: accepted, then dropped to make room (e.g. drop-oldest queues).
	Shed
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"ok", "error", "timeout", "rejected", "shed"}

// String returns the outcome's name as used in metric names.
func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// Outcomes lists every outcome in order.
func Outcomes() []Outcome { return []Outcome{OK, Error, Timeout, Rejected, Shed} }
