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
type Set struct {
	mu   sync.Mutex
	busy map[string]chan struct{} // closed when the holder of the key releases it
}

// Lock takes key, waiting while someone else holds it, until ctx ends.
// onWait, if not nil, is called once if Lock has to wait; tests use it.
func (l *Set) Lock(ctx context.Context, key string, onWait func()) (unlock func(), err error) {
	waited := false
	for {
		l.mu.Lock()
		done, busy := l.busy[key]
		if !busy {
			if l.busy == nil {
				l.busy = make(map[string]chan struct{})
			}
			done = make(chan struct{})
			l.busy[key] = done
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				delete(l.busy, key)
				l.mu.Unlock()
				close(done)
			}, nil
		}
		l.mu.Unlock()
		if !waited && onWait != nil {
			onWait()
		}
		waited = true
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Len returns how many keys are held now.
func (l *Set) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.busy)
}
