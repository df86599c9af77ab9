package load

import "github.com/faultline-sim/faultline/models/service"

// RetryConfig is a client's retry policy; it is the same policy a service
// applies to its calls (service.RetryConfig), written under load.retry.
type RetryConfig = service.RetryConfig

// Backoff is the delay before a retry (service.Backoff).
type Backoff = service.Backoff

// DefaultRetryOn is the outcomes retried when RetryConfig.On is empty.
var DefaultRetryOn = service.DefaultRetryOn
