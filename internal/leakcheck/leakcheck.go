// Package leakcheck fails a test that leaves goroutines running. It is the
// project's own, small stand-in for go.uber.org/goleak.
package leakcheck

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// grace bounds how long goroutines may take to end after what they served
// closed; only a leak makes a check wait that long.
const grace = 5 * time.Second

// Check records the goroutines running now and registers a cleanup that
// fails t if goroutines started since are still running once the grace
// period is over. Call it first in a test that is not parallel: parallel
// tests start and stop goroutines meanwhile. Cleanups registered before it
// run after its check.
func Check(t testing.TB) {
	t.Helper()
	before := ids()
	t.Cleanup(func() {
		// Goroutines end shortly after their connections close: poll, as a
		// leak detector must.
		deadline := time.Now().Add(grace)
		for {
			extra := started(before)
			if len(extra) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines leaked:\n%s", len(extra), strings.Join(extra, "\n\n"))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// ids returns the header ("goroutine 7") of every goroutine.
func ids() map[string]bool {
	out := map[string]bool{}
	for _, g := range stacks() {
		out[id(g)] = true
	}
	return out
}

// started returns the stacks of goroutines not in before, leaving out the
// test framework's own.
func started(before map[string]bool) []string {
	var extra []string
	for _, g := range stacks() {
		if !before[id(g)] && !strings.Contains(g, "testing.(*T).Run") && !strings.Contains(g, "leakcheck.Check") {
			extra = append(extra, g)
		}
	}
	return extra
}

func stacks() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Split(strings.TrimSpace(string(buf)), "\n\n")
}

func id(stack string) string {
	head, _, _ := strings.Cut(stack, " [")
	return head
}
