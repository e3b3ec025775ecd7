package keylock

import (
	"context"
	"errors"
	"testing"
	"time"
)

// waitLimit bounds every wait of these tests, so that a lock that never
// wakes its waiter fails with a message rather than hanging the run.
const waitLimit = 10 * time.Second

func TestSetSerialisesOneKey(t *testing.T) {
	t.Parallel()
	var l Set
	ctx := context.Background()
	unlock, err := l.Lock(ctx, "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Acquire(ctx, "b", nil); err != nil { // another key does not wait
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	got := make(chan error)
	go func() { got <- l.Acquire(ctx, "a", func() { close(waiting) }) }()
	select {
	case <-waiting:
	case <-time.After(waitLimit):
		t.Fatal("the second Acquire never started waiting")
	}
	select {
	case err := <-got:
		t.Fatalf("second holder of a key got it while held: %v", err)
	default:
	}
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the waiter was not woken when the key was released")
	}
	l.Release("a")
	l.Release("b")
	if n := l.Len(); n != 0 {
		t.Errorf("%d keys held after every release", n)
	}
}

func TestSetWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	var l Set
	if err := l.Acquire(context.Background(), "a", nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err := l.Lock(ctx, "a", cancel) // the waiter gives up as soon as it waits
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Lock = %v, want context.Canceled", err)
	}
	l.Release("a")
	if err := l.Acquire(context.Background(), "a", nil); err != nil {
		t.Fatal(err)
	}
}
