package webhook

import (
	"context"
	"errors"
	"testing"
	"time"
)

func newLease(parent context.Context, deadline time.Time) *leaseContext {
	c := &leaseContext{}
	c.start(parent, deadline)
	return c
}

// waitDone fails t unless ctx's Done closes within a bound far above the
// deadlines used here.
func waitDone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: Done not closed", what)
	}
}

// TestLeaseContextAnswersAsWithDeadline checks leaseContext against what
// context.WithDeadline does, before and after it is watched.
func TestLeaseContextAnswersAsWithDeadline(t *testing.T) {
	t.Parallel()
	type key struct{}
	bg := context.WithValue(context.Background(), key{}, "v")

	t.Run("live", func(t *testing.T) {
		t.Parallel()
		deadline := time.Now().Add(time.Hour)
		c := newLease(bg, deadline)
		if err := c.Err(); err != nil {
			t.Errorf("Err = %v", err)
		}
		if d, ok := c.Deadline(); !ok || !d.Equal(deadline) {
			t.Errorf("Deadline = %v, %v", d, ok)
		}
		if c.Value(key{}) != "v" {
			t.Error("value of the parent lost")
		}
		if c.armed.Load() {
			t.Error("armed without being watched")
		}
		select {
		case <-c.Done():
			t.Error("Done closed early")
		default:
		}
		if c.Err() != nil || c.Value(key{}) != "v" || context.Cause(c) != nil {
			t.Error("watched: ended early or lost a value")
		}
		c.end()
		waitDone(t, c, "ended")
		if !errors.Is(c.Err(), context.Canceled) {
			t.Errorf("after end: Err = %v", c.Err())
		}
	})
	t.Run("the lease passes, unwatched", func(t *testing.T) {
		t.Parallel()
		c := newLease(bg, time.Now().Add(-time.Millisecond))
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Errorf("Err = %v", c.Err())
		}
		waitDone(t, c, "past deadline")
		if !errors.Is(context.Cause(c), context.DeadlineExceeded) {
			t.Errorf("Cause = %v", context.Cause(c))
		}
	})
	t.Run("the lease passes, watched", func(t *testing.T) {
		t.Parallel()
		c := newLease(bg, time.Now().Add(20*time.Millisecond))
		child, cancel := context.WithCancel(c) // watches c
		defer cancel()
		waitDone(t, child, "child at the deadline")
		if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(child.Err(), context.DeadlineExceeded) {
			t.Errorf("Err = %v, child %v", c.Err(), child.Err())
		}
	})
	t.Run("the request ends", func(t *testing.T) {
		t.Parallel()
		parent, cancelParent := context.WithCancel(bg)
		c := newLease(parent, time.Now().Add(time.Hour))
		cancelParent()
		if !errors.Is(c.Err(), context.Canceled) {
			t.Errorf("unwatched: Err = %v", c.Err())
		}
		waitDone(t, c, "parent cancelled")

		parent, cancelParent = context.WithCancel(bg)
		c = newLease(parent, time.Now().Add(time.Hour))
		done := c.Done()
		cancelParent()
		<-done
		if !errors.Is(c.Err(), context.Canceled) {
			t.Errorf("watched: Err = %v", c.Err())
		}
	})
	t.Run("ended before it is watched", func(t *testing.T) {
		t.Parallel()
		c := newLease(bg, time.Now().Add(time.Hour))
		c.end()
		if !errors.Is(c.Err(), context.Canceled) {
			t.Errorf("Err = %v", c.Err())
		}
		waitDone(t, c, "ended")
	})
	t.Run("the parent's deadline is earlier", func(t *testing.T) {
		t.Parallel()
		early := time.Now().Add(time.Minute)
		parent, cancel := context.WithDeadline(bg, early)
		defer cancel()
		c := newLease(parent, early.Add(time.Hour))
		if d, _ := c.Deadline(); !d.Equal(early) {
			t.Errorf("Deadline = %v, want the parent's %v", d, early)
		}
		if c.String() == "" {
			t.Error("no String")
		}
	})
}
