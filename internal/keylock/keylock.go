// Package keylock provides locks made on demand, one per key. The client's
// Ensure uses it so that one client never races itself into duplicate
// webhooks; the webhook handler, so that one process never runs the callback
// twice at once for one event.
package keylock

import (
	"context"
	"sync"
)

// Set is a set of locks, one per key, made when first taken and dropped when
// released. The zero value is ready to use.
//
// A key nobody waits for costs a map entry and nothing else: the channel
// that wakes waiters is made by the first of them.
type Set struct {
	mu   sync.Mutex
	busy map[string]chan struct{} // held keys; the channel, once a waiter made it, closes on release
}

// Lock takes key, waiting while someone else holds it, until ctx ends.
// onWait, if not nil, is called once if Lock has to wait; tests use it.
func (l *Set) Lock(ctx context.Context, key string, onWait func()) (unlock func(), err error) {
	if err := l.Acquire(ctx, key, onWait); err != nil {
		return nil, err
	}
	return func() { l.Release(key) }, nil
}

// Acquire is Lock for a caller that releases key with Release itself.
func (l *Set) Acquire(ctx context.Context, key string, onWait func()) error {
	waited := false
	for {
		l.mu.Lock()
		done, busy := l.busy[key]
		if !busy {
			if l.busy == nil {
				l.busy = make(map[string]chan struct{})
			}
			l.busy[key] = nil
			l.mu.Unlock()
			return nil
		}
		if done == nil {
			done = make(chan struct{})
			l.busy[key] = done
		}
		l.mu.Unlock()
		if !waited && onWait != nil {
			onWait()
		}
		waited = true
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Release gives up key, taken with Acquire, and wakes those waiting for it.
func (l *Set) Release(key string) {
	l.mu.Lock()
	done := l.busy[key]
	delete(l.busy, key)
	l.mu.Unlock()
	if done != nil {
		close(done)
	}
}

// Len returns how many keys are held now.
func (l *Set) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.busy)
}
