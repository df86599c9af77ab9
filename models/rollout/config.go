package rollout

import (
	"errors"
	"fmt"
	"time"

	"github.com/faultline-sim/faultline/field"
)

// Defaults applied by SetDefaults, the Deployment's.
const (
	DefaultMaxSurgePercent       = 25
	DefaultMaxUnavailablePercent = 25
	DefaultProgressDeadline      = 600 * time.Second
	DefaultRollbackWindow        = 30 * time.Second
)

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("invalid rollout config")

// Config is a Deployment's RollingUpdate strategy as written in a
// scenario file, with an optional automatic rollback.
type Config struct {
	// MaxSurge is how many pods may exist above the desired replicas
	// during the rollout: a count or a percentage of the desired
	// replicas, rounded up. Default "25%"; must be >= 0.
	MaxSurge IntOrPercent `yaml:"max_surge"`
	// MaxUnavailable is how many of the desired replicas may be
	// unavailable during the rollout: a count or a percentage, rounded
	// down. Default "25%"; must be >= 0 and a percentage at most 100%.
	// It may not be 0 when max_surge is 0 too; when both merely round to
	// 0, max_unavailable becomes 1, as in the Deployment controller.
	MaxUnavailable IntOrPercent `yaml:"max_unavailable"`
	// MinReady is minReadySeconds: a new pod counts as available only
	// once it has been ready this long. The caller applies it when it
	// counts available pods. Default 0 (available when ready); must be
	// >= 0.
	MinReady time.Duration `yaml:"min_ready"`
	// ProgressDeadline is how long the rollout may go without progress
	// (a pod created, removed or becoming available) before it is
	// reported stalled, as Progressing=False with reason
	// ProgressDeadlineExceeded; Kubernetes does not roll back on it and
	// neither does this. Default 600s; must be > min_ready.
	ProgressDeadline time.Duration `yaml:"progress_deadline"`
	// Rollback, if set, aborts the rollout and rolls back to the old
	// version when the new version fails too many requests. nil never
	// rolls back.
	Rollback *RollbackConfig `yaml:"rollback"`
}

// RollbackConfig is an analysis of the new version, in the manner of Argo
// Rollouts: the rollout is aborted when the new version's error rate over
// the last Window exceeds ErrorRate.
type RollbackConfig struct {
	// ErrorRate is the share of the new version's requests that may fail
	// over the window; a higher share aborts the rollout. Must be in
	// [0, 1); 0 aborts on any error.
	ErrorRate float64 `yaml:"error_rate"`
	// Window is how far back the caller counts the new version's
	// requests and errors. Default 30s; must be > 0.
	Window time.Duration `yaml:"window"`
	// MinRequests is how many requests the window must hold before its
	// error rate is judged, so that one early failure does not abort.
	// Default 0, which like 1 judges any non-empty window; must be >= 0.
	MinRequests int `yaml:"min_requests"`
}

// SetDefaults fills every unset field that has a default. It is the one
// place defaults live.
func (c *Config) SetDefaults() {
	if !c.MaxSurge.IsSet() {
		c.MaxSurge = Percent(DefaultMaxSurgePercent)
	}
	if !c.MaxUnavailable.IsSet() {
		c.MaxUnavailable = Percent(DefaultMaxUnavailablePercent)
	}
	if c.ProgressDeadline == 0 {
		c.ProgressDeadline = DefaultProgressDeadline
	}
	if c.Rollback != nil {
		r := *c.Rollback // never write into the caller's
		if r.Window == 0 {
			r.Window = DefaultRollbackWindow
		}
		c.Rollback = &r
	}
}

// Validate reports the first invalid field, a *field.Error with its yaml
// path.
func (c *Config) Validate() error {
	switch {
	case c.MaxSurge.Value() < 0:
		return invalid("max_surge", "must be >= 0, got %v", c.MaxSurge)
	case c.MaxUnavailable.Value() < 0:
		return invalid("max_unavailable", "must be >= 0, got %v", c.MaxUnavailable)
	case c.MaxUnavailable.IsPercent() && c.MaxUnavailable.Value() > 100:
		return invalid("max_unavailable", "a percentage must be at most 100%%, got %v", c.MaxUnavailable)
	case c.MaxSurge.Value() == 0 && c.MaxUnavailable.Value() == 0:
		return invalid("max_unavailable", "may not be 0 when max_surge is 0 (the rollout could never start)")
	case c.MinReady < 0:
		return invalid("min_ready", "must be >= 0, got %v", c.MinReady)
	case c.ProgressDeadline <= c.MinReady:
		return invalid("progress_deadline", "must be > min_ready (%v), got %v", c.MinReady, c.ProgressDeadline)
	}
	if c.Rollback != nil {
		if err := c.Rollback.validate(); err != nil {
			return field.Under("rollback", err)
		}
	}
	return nil
}

func (r *RollbackConfig) validate() error {
	switch {
	case !(r.ErrorRate >= 0 && r.ErrorRate < 1):
		return invalid("error_rate", "must be in [0, 1), got %v", r.ErrorRate)
	case r.Window <= 0:
		return invalid("window", "must be > 0, got %v", r.Window)
	case r.MinRequests < 0:
		return invalid("min_requests", "must be >= 0, got %d", r.MinRequests)
	}
	return nil
}

// Bounds returns max_surge and max_unavailable in pods for desired
// replicas, as the Deployment controller resolves them: surge rounded
// up, unavailable rounded down, unavailable 1 if both come out 0, and
// unavailable at most desired.
func (c *Config) Bounds(desired int) (surge, unavailable int) {
	surge = c.MaxSurge.Scaled(desired, true)
	unavailable = c.MaxUnavailable.Scaled(desired, false)
	if surge == 0 && unavailable == 0 {
		// Rounding, not the user, made both 0; surge might be blocked by
		// a quota, so the controller lets one pod go instead.
		unavailable = 1
	}
	return surge, min(unavailable, desired)
}

// invalid returns a config error at path that matches ErrConfig under
// errors.Is.
func invalid(path, format string, args ...any) error {
	return &field.Error{Path: path, Msg: fmt.Sprintf(format, args...), Err: ErrConfig}
}
