package keylock

import (
	"context"
	"errors"
	"testing"
)

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
	<-waiting
	select {
	case err := <-got:
		t.Fatalf("second holder of a key got it while held: %v", err)
	default:
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
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
