package world

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSimFaultsCoverTheLanguage: every fault type of the language has a
// row in the simulator's table, with how it is scheduled or why it has no
// effect on simulated requests.
func TestSimFaultsCoverTheLanguage(t *testing.T) {
	assert.NoError(t, simFaults.Check())
}
