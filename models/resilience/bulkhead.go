package resilience

import "fmt"

// DefaultMaxConcurrent is the limit of a zero MaxConcurrent
// (resilience4j's bulkhead default).
const DefaultMaxConcurrent = 25

// BulkheadConfig configures a Bulkhead.
type BulkheadConfig struct {
	// MaxConcurrent is how many calls may run at once. Default (and the
	// meaning of 0): 25; must be >= 1.
	MaxConcurrent int `yaml:"max_concurrent"`
	// MaxWaiting is how many calls may wait for a slot when all are
	// taken. Default 0: no waiting, a call finding every slot taken is
	// rejected. Must be >= 0.
	MaxWaiting int `yaml:"max_waiting"`
}

// SetDefaults fills every zero field that has a default.
func (c *BulkheadConfig) SetDefaults() { setDefault(&c.MaxConcurrent, DefaultMaxConcurrent) }

// Validate reports the first invalid field; run it after SetDefaults.
func (c *BulkheadConfig) Validate() error {
	if c.MaxConcurrent < 1 {
		return invalid("max_concurrent", "must be >= 1, got %d", c.MaxConcurrent)
	}
	if c.MaxWaiting < 0 {
		return invalid("max_waiting", "must be >= 0 (0 rejects instead of waiting), got %d", c.MaxWaiting)
	}
	return nil
}

// Admission is a Bulkhead's answer to Acquire.
type Admission int8

// Acquire's answers.
const (
	// Admitted: the call holds a slot and must Release it.
	Admitted Admission = iota
	// Queued: the call waits; a later Release hands it the slot (the
	// caller keeps the waiting calls in FIFO order), or it Abandons.
	Queued
	// Rejected: the call may not run.
	Rejected
)

// String returns admitted, queued or rejected.
func (a Admission) String() string {
	switch a {
	case Admitted:
		return "admitted"
	case Queued:
		return "queued"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("unknown admission: %d", a)
}

// Bulkhead limits concurrent calls, with an optional bounded wait. It
// counts, and leaves the identity and order of waiting calls to the
// caller. It does not depend on time.
type Bulkhead struct {
	cfg      BulkheadConfig
	active   int
	waiting  int
	rejected uint64
}

// NewBulkhead applies the defaults and validates cfg.
func NewBulkhead(cfg BulkheadConfig) (*Bulkhead, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Bulkhead{cfg: cfg}, nil
}

// Config returns the bulkhead's settings with defaults applied.
func (b *Bulkhead) Config() BulkheadConfig { return b.cfg }

// Acquire asks for a slot.
func (b *Bulkhead) Acquire() Admission {
	switch {
	case b.active < b.cfg.MaxConcurrent:
		b.active++
		return Admitted
	case b.waiting < b.cfg.MaxWaiting:
		b.waiting++
		return Queued
	}
	b.rejected++
	return Rejected
}

// Release frees an admitted call's slot. If a call is waiting, the slot
// passes to it and Release returns true: the caller starts its oldest
// waiting call, which must Release in turn.
func (b *Bulkhead) Release() (handedOver bool) {
	if b.active == 0 {
		panic("resilience: Bulkhead.Release without an admitted call")
	}
	if b.waiting > 0 {
		b.waiting--
		return true
	}
	b.active--
	return false
}

// Abandon removes a waiting call that gives up (a timeout, say).
func (b *Bulkhead) Abandon() {
	if b.waiting == 0 {
		panic("resilience: Bulkhead.Abandon without a waiting call")
	}
	b.waiting--
}

// Active is the number of calls holding a slot.
func (b *Bulkhead) Active() int { return b.active }

// Waiting is the number of calls waiting for a slot.
func (b *Bulkhead) Waiting() int { return b.waiting }

// Rejected is the number of calls rejected so far.
func (b *Bulkhead) Rejected() uint64 { return b.rejected }
