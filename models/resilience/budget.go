package resilience

import "math"

// Retry budget defaults, Envoy's.
const (
	DefaultBudgetPercent       = 20.0
	DefaultMinRetryConcurrency = 3
)

// BudgetConfig configures a Budget; the fields are Envoy's
// RetryBudget.
type BudgetConfig struct {
	// BudgetPercent, in percent of the active requests, is how many
	// retries may be in flight at once. Default 20; must be in (0, 100].
	BudgetPercent float64 `yaml:"budget_percent"`
	// MinRetryConcurrency is a floor on the retries in flight allowed
	// whatever the number of active requests. Default 3; 0 takes the
	// default, so the floor is never below 1.
	MinRetryConcurrency int `yaml:"min_retry_concurrency"`
}

// SetDefaults fills every zero field with Envoy's default.
func (c *BudgetConfig) SetDefaults() {
	setDefault(&c.BudgetPercent, DefaultBudgetPercent)
	setDefault(&c.MinRetryConcurrency, DefaultMinRetryConcurrency)
}

// Validate reports the first invalid field; run it after SetDefaults.
func (c *BudgetConfig) Validate() error {
	if !inPercent(c.BudgetPercent) {
		return invalid("budget_percent", "must be in (0, 100] (percent of active requests), got %v", c.BudgetPercent)
	}
	if c.MinRetryConcurrency < 1 {
		return invalid("min_retry_concurrency", "must be >= 1, got %d", c.MinRetryConcurrency)
	}
	return nil
}

// Budget is Envoy's retry budget for one upstream cluster: a retry may
// start only while the retries in flight are fewer than
// max(min_retry_concurrency, ⌊budget_percent/100 × active requests⌋).
// Active requests include the retries in flight, since in Envoy a retry is
// itself an upstream request. It does not depend on time.
type Budget struct {
	cfg      BudgetConfig
	requests int // first attempts in flight
	retries  int // retries in flight
}

// NewBudget applies the defaults and validates cfg.
func NewBudget(cfg BudgetConfig) (*Budget, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Budget{cfg: cfg}, nil
}

// Config returns the budget's settings with defaults applied.
func (b *Budget) Config() BudgetConfig { return b.cfg }

// BeginRequest counts a first attempt going out.
func (b *Budget) BeginRequest() { b.requests++ }

// EndRequest counts a first attempt finishing.
func (b *Budget) EndRequest() {
	if b.requests == 0 {
		panic("resilience: Budget.EndRequest without BeginRequest")
	}
	b.requests--
}

// Max is the number of retries that may be in flight now.
func (b *Budget) Max() int {
	active := float64(b.requests + b.retries)
	return max(b.cfg.MinRetryConcurrency, int(math.Floor(b.cfg.BudgetPercent/100*active)))
}

// AllowRetry reports whether a retry may start now.
func (b *Budget) AllowRetry() bool { return b.retries < b.Max() }

// BeginRetry starts a retry if AllowRetry, and reports whether it did.
func (b *Budget) BeginRetry() bool {
	if !b.AllowRetry() {
		return false
	}
	b.retries++
	return true
}

// EndRetry counts a retry finishing.
func (b *Budget) EndRetry() {
	if b.retries == 0 {
		panic("resilience: Budget.EndRetry without BeginRetry")
	}
	b.retries--
}

// Active is the number of requests in flight, retries included.
func (b *Budget) Active() int { return b.requests + b.retries }

// Retries is the number of retries in flight.
func (b *Budget) Retries() int { return b.retries }
