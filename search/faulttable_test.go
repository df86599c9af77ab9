package search

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/faultline-sim/faultline/scenarios"
)

// TestServiceFaultsCoverTheLanguage: every fault type of the language has
// a row in the generator's table, with how it is drawn or why it is not.
func TestServiceFaultsCoverTheLanguage(t *testing.T) {
	assert.NoError(t, serviceFaults.Check())
}

// TestDrawnFaultTypesKeepTheirOrder pins the draw's order: changing it
// changes every generated world, and so every case a seed replays.
func TestDrawnFaultTypesKeepTheirOrder(t *testing.T) {
	assert.Equal(t, []scenarios.FaultType{
		scenarios.FaultPartition, scenarios.FaultLatency, scenarios.FaultLoss, scenarios.FaultTimeout, scenarios.FaultResetPeer,
		scenarios.FaultSlicer, scenarios.FaultLimitData, scenarios.FaultCrash, scenarios.FaultPause,
	}, drawnFaultTypes)
}
