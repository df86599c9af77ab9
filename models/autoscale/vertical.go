package autoscale

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/sim"
)

// Defaults of VerticalConfig.
const (
	DefaultVerticalTarget     = 70.0             // percent
	DefaultVerticalSyncPeriod = time.Minute      // the VPA recommender's interval
	DefaultVerticalDownWindow = 5 * time.Minute  // like the HPA's scale-down window
	maxVerticalDownWindow     = 60 * time.Minute // bounds the history kept
)

// VerticalConfig configures a vertical scaler: it keeps the number of
// instances and changes their size, chosen from a ladder, so that their
// utilisation comes near a target. A size is a number of workers per
// instance (cpu and memory in proportion).
type VerticalConfig struct {
	// Sizes is the ladder of sizes in workers per instance, strictly
	// increasing; the last is the ceiling (the biggest machine). Required
	// by the vertical policy: at least one size, each >= 1.
	Sizes []int `yaml:"sizes"`
	// TargetUtilization is the busy share of an instance's workers to
	// aim for, in percent. Default 70; must be in (0, 100].
	TargetUtilization float64 `yaml:"target_utilization"`
	// SyncPeriod is how often a size is recommended, from the mean
	// utilisation over the period. Default 1m (the VPA recommender's
	// interval); must be > 0.
	SyncPeriod time.Duration `yaml:"sync_period"`
	// DownWindow: a smaller size is chosen only when every
	// recommendation of this window asks for it (the highest one wins,
	// as for the HPA's scale-down). Default 5m; 0 is taken as the
	// default, so give 1ns to turn it off; must be in [0, 1h].
	DownWindow time.Duration `yaml:"down_window"`
}

// SetDefaults fills every zero field that has a default.
func (c *VerticalConfig) SetDefaults() {
	if c.TargetUtilization == 0 {
		c.TargetUtilization = DefaultVerticalTarget
	}
	if c.SyncPeriod == 0 {
		c.SyncPeriod = DefaultVerticalSyncPeriod
	}
	if c.DownWindow == 0 {
		c.DownWindow = DefaultVerticalDownWindow
	}
}

// Validate reports the first field out of range. Call SetDefaults first.
func (c VerticalConfig) Validate() error {
	switch {
	case len(c.Sizes) == 0:
		return invalid("sizes", "must list at least one size in workers per instance, e.g. [1, 2, 4, 8]")
	case !(c.TargetUtilization > 0 && c.TargetUtilization <= 100):
		return invalid("target_utilization", "must be in (0, 100] percent, got %v", c.TargetUtilization)
	case c.SyncPeriod <= 0:
		return invalid("sync_period", "must be > 0, got %v", c.SyncPeriod)
	case c.DownWindow < 0 || c.DownWindow > maxVerticalDownWindow:
		return invalid("down_window", "must be in [0, %v], got %v", maxVerticalDownWindow, c.DownWindow)
	}
	for i, s := range c.Sizes {
		if s < 1 || (i > 0 && s <= c.Sizes[i-1]) {
			return invalid(field.Index("sizes", i), "must be >= 1 and above sizes[%d], got %d", max(i-1, 0), s)
		}
	}
	return nil
}

// Vertical recommends instance sizes. Create it with NewVertical; call
// Recommend once per sync period.
type Vertical struct {
	cfg    VerticalConfig
	recent []stamped // recommendations within the down window
}

// NewVertical returns a vertical scaler (defaults filled, then
// validated).
func NewVertical(cfg VerticalConfig) (*Vertical, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Vertical{cfg: cfg}, nil
}

// Config returns the settings, defaults filled in.
func (v *Vertical) Config() VerticalConfig { return v.cfg }

// Recommend returns the size for instances now of size workers whose mean
// utilisation over the last sync period was utilization percent: the
// smallest size of the ladder that would bring it to the target
// (size × utilization / target workers, the ceiling if none is that big),
// kept at the highest recommendation of the down window when smaller
// than size. Within the default tolerance of the target (10%) nothing
// changes. A saturated instance (100%) asks for size × 100 / target,
// which may take several syncs to reach what the load needs.
func (v *Vertical) Recommend(now sim.Time, size int, utilization float64) (int, string) {
	ratio := utilization / v.cfg.TargetUtilization
	rec := size
	why := fmt.Sprintf("utilisation %.1f%% of target %.0f%% (ratio %.3f) within tolerance", utilization, v.cfg.TargetUtilization, ratio)
	if math.Abs(ratio-1) > DefaultTolerance {
		rec = v.fit(float64(size) * ratio)
		why = fmt.Sprintf("utilisation %.1f%% of target %.0f%% asks for %.2f workers: size %d", utilization, v.cfg.TargetUtilization, float64(size)*ratio, rec)
	}
	cut := now.Add(-v.cfg.DownWindow)
	v.recent = append(prune(v.recent, cut), stamped{at: now, n: rec})
	if rec < size {
		high := rec
		for _, s := range v.recent {
			high = max(high, s.n)
		}
		if high > rec {
			rec = min(high, size)
			why += fmt.Sprintf("; down-window keeps %d", rec)
		}
	}
	return rec, why
}

// fit is the smallest size of the ladder >= workers, or the ceiling.
func (v *Vertical) fit(workers float64) int {
	i := slices.IndexFunc(v.cfg.Sizes, func(s int) bool { return float64(s) >= workers-1e-9 })
	if i < 0 {
		return v.cfg.Sizes[len(v.cfg.Sizes)-1]
	}
	return v.cfg.Sizes[i]
}
