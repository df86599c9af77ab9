package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestStopValidate(t *testing.T) {
	for _, c := range []struct {
		stop Stop
		want string
	}{
		{Stop{ErrorRate: 0}, "stop.error_rate: must be in (0, 1], got 0"},
		{Stop{ErrorRate: 1.5}, "stop.error_rate: must be in (0, 1], got 1.5"},
		{Stop{ErrorRate: 0.5, Over: time.Millisecond}, "stop.over: must be in [100ms, duration (1m0s)], got 1ms"},
		{Stop{ErrorRate: 0.5, Over: 2 * time.Minute}, "stop.over: must be in [100ms, duration (1m0s)], got 2m0s"},
		{Stop{ErrorRate: 0.5, Over: time.Second, MinRequests: -1}, "stop.min_requests: must be >= 1, got -1"},
		{Stop{ErrorRate: 1, Over: time.Second, MinRequests: 1}, ""},
	} {
		err := c.stop.validate(time.Minute)
		if c.want == "" {
			assert.NoError(t, err)
		} else {
			assert.EqualError(t, err, c.want)
		}
	}
}
