// Package testwait bounds a test's wait on a channel, so that a test whose
// awaited signal never comes fails with a message instead of hanging until
// go test's timeout ends the whole package.
package testwait

import (
	"testing"
	"time"
)

// Bound is how long [Receive] waits: far longer than any awaited signal
// takes on a loaded machine, far shorter than go test's timeout.
const Bound = 10 * time.Second

// Receive returns the next value from ch. When none comes within [Bound],
// it fails t at once, saying what was awaited. Call it from the test's
// goroutine.
func Receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(Bound)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("waited %v for %s", Bound, what)
		var zero T
		return zero
	}
}
