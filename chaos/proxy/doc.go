// Package proxy drives Toxiproxy for the real engine: an embedded
// Toxiproxy v2.5.0 server in the harness process (so no fault can outlive
// the harness), and a Harness that creates a run's proxies, adds and
// removes its toxics through the official client with a deadline around
// every call, records every change with its wall-clock time since the
// start of the run, and always cleans up what the run created.
//
// Pitfalls handled here (see CHAOS-NOTES.md): toxicity is always 1.0 (the
// client's zero value never fires); the client has no timeout, so every
// call runs under the Harness's own deadline; removing a toxic can hang,
// so Cleanup falls back to deleting the proxy and, last, to resetting the
// server's state.
//
// Imports: Toxiproxy's server and client only; nothing of the project.
package proxy
