package registry

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: a
// connection kept open, a retry timer or a token refresh still running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
