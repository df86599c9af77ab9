package service

import (
	"time"

	"github.com/faultline-sim/faultline/models/resilience"
	"github.com/faultline-sim/faultline/sim"
)

// Istio's documented defaults for a sidecar's retries.
const (
	DefaultMeshRetries        = 2 // VirtualService retries.attempts
	kindMeshRetry      uint32 = 3
	kindMeshSend       uint32 = 4
)

// MeshConfig is a service mesh: a sidecar proxy beside every instance
// (and every client), through which every call passes. The proxies add
// latency to each message, set up mutual-TLS connections, and retry on
// their own, below the application's retries.
type MeshConfig struct {
	// HopLatency is what one sidecar adds to a message passing through
	// it; a request and its answer each cross two (the caller's and the
	// callee's). Default 0; must be >= 0.
	HopLatency time.Duration `yaml:"hop_latency"`
	// MTLSHandshake is the time a call spends setting up a new mutual-TLS
	// connection (the extra round trips and the crypto). Default 0; must
	// be >= 0.
	MTLSHandshake time.Duration `yaml:"mtls_handshake"`
	// ConnectionReuse is the share of attempts that find a connection
	// already set up (keep-alive, HTTP/2 pooling); the others pay the
	// handshake. Default 0 (taken as 1 when no handshake is set); must be
	// in [0, 1].
	ConnectionReuse float64 `yaml:"connection_reuse"`
	// Retry is the sidecar's own retry policy (Istio's VirtualService
	// retries); nil retries nothing.
	Retry *MeshRetry `yaml:"retry"`
}

// MeshRetry is a sidecar's retry policy, Istio's: on a failure the proxy
// sees at once (a 503 from a full queue, a refused or reset connection),
// it retries within the application's attempt, with Envoy's back-off
// (a draw in [0, (2^n - 1) x 25 ms), at most 250 ms), as long as the
// application's timeout leaves time. The application sees one answer per
// attempt of its own.
type MeshRetry struct {
	// Attempts is the number of retries (not counting the first try).
	// Default 2; must be >= 0.
	Attempts int `yaml:"attempts"`
}

// SetDefaults fills every zero field that has a default.
func (m *MeshConfig) SetDefaults() {
	if m.Retry != nil && m.Retry.Attempts == 0 {
		m.Retry.Attempts = DefaultMeshRetries
	}
}

// Validate reports the first field out of range, under "mesh.".
func (m *MeshConfig) Validate() error {
	switch {
	case m.HopLatency < 0:
		return fieldErr("mesh.hop_latency", "must be >= 0, got %v", m.HopLatency)
	case m.MTLSHandshake < 0:
		return fieldErr("mesh.mtls_handshake", "must be >= 0, got %v", m.MTLSHandshake)
	case !(m.ConnectionReuse >= 0 && m.ConnectionReuse <= 1):
		return fieldErr("mesh.connection_reuse", "must be in [0, 1], got %v", m.ConnectionReuse)
	case m.Retry != nil && m.Retry.Attempts < 0:
		return fieldErr("mesh.retry.attempts", "must be >= 0, got %d", m.Retry.Attempts)
	}
	return nil
}

// UseMesh puts the service's outgoing calls through sidecars configured
// by m. Call it before Connect.
func (s *Service) UseMesh(m *MeshConfig) { s.mesh = m }

// meshRetryable reports whether a sidecar retries an answer: Istio's
// default retry_on (connect-failure, refused-stream, unavailable,
// retriable 503).
func meshRetryable(st Status) bool {
	return st == StatusRejected || st == StatusRefused || st == StatusReset
}

// meshRetry lets the sidecar retry the op's attempt that was answered st,
// if its policy and the application's timeout allow; it reports whether
// it did.
func (c *caller) meshRetry(slot int32, st Status) bool {
	m := c.mesh
	if m == nil || m.Retry == nil || !meshRetryable(st) {
		return false
	}
	o := c.ops.At(slot)
	if int(o.meshTries) >= m.Retry.Attempts {
		return false
	}
	o.meshTries++
	delay := c.meshBackoff.Delay(int(o.meshTries), 0, c.meshRng)
	now := c.k.Now()
	if now.Add(delay) >= o.expires {
		return false
	}
	d := c.deps[o.dep]
	d.stats.MeshRetries++
	c.observeOutlier(o, d, now, false)
	c.offWire(o, d, now, st.String())
	c.k.Cancel(o.timer)
	id := int64(c.ops.Reissue(slot)) // the retry is a new request; its answers are the op's now
	o.timer = c.k.AfterTimer(o.expires.Sub(now), c.id, kindCallTimeout, id, 0)
	c.k.After(delay, c.id, kindMeshRetry, id, 0)
	return true
}

// handshake returns how long the attempt's new connection takes to set
// up: 0 when it reuses one.
func (c *caller) handshake() time.Duration {
	m := c.mesh
	if m == nil || m.MTLSHandshake == 0 || c.meshRng.Float64() < m.ConnectionReuse {
		return 0
	}
	return m.MTLSHandshake
}

// offWire settles the balancer and the span of the op's request on the
// wire, whose answer (or give-up) came now.
func (c *caller) offWire(o *op, d *dependency, now sim.Time, status string) {
	if !o.wire {
		return
	}
	o.wire = false
	if o.inst >= 0 {
		d.bal.Done(int(o.inst))
	}
	c.in.tracer.End(o.span, now, status)
	o.span = 0
}

// envoyBackoff is Envoy's retry back-off, the sidecar's.
var envoyBackoff, _ = resilience.NewRetry(resilience.EnvoyRetryConfig())
