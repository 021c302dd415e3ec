package ledger

import (
	"io"
	"testing"
)

// SetPickupRand makes pickup codes draw their digits from r until the test
// ends. Tests that use it must not run in parallel with other redemptions.
func SetPickupRand(tb testing.TB, r io.Reader) {
	old := pickupRand
	pickupRand = r
	tb.Cleanup(func() { pickupRand = old })
}
