package fakesmtp2go

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's run if any test leaves a goroutine behind
// once every test and its cleanups have returned.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
