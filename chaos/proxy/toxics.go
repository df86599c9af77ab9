package proxy

// Toxiproxy v2.5.0's toxic types, as its API names them, and the two
// streams of a proxy. "Down" is not a toxic: it is SetEnabled(false).
const (
	ToxicLatency   = "latency"    // latency, jitter (ms)
	ToxicBandwidth = "bandwidth"  // rate (KB/s)
	ToxicSlowClose = "slow_close" // delay (ms)
	ToxicTimeout   = "timeout"    // timeout (ms; 0 holds data until removed: a black hole)
	ToxicResetPeer = "reset_peer" // timeout (ms)
	ToxicSlicer    = "slicer"     // average_size, size_variation (bytes), delay (µs)
	ToxicLimitData = "limit_data" // bytes

	// Upstream carries the bytes of the connection's dialer (requests),
	// Downstream the answers.
	Upstream   = "upstream"
	Downstream = "downstream"
)
