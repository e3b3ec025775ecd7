package smtp2go

import (
	"context"
	"sync"
)

// keyLocks is a set of locks made on demand, one per key, and dropped when
// released. Ensure uses it so that one client never races itself into
// duplicate webhooks; the handler, so that the callback never runs twice at
// once for one event.
type keyLocks struct {
	mu   sync.Mutex
	busy map[string]chan struct{} // closed when the holder of the key releases it
}

// lock takes key, waiting while someone else holds it, until ctx ends.
// onWait, if not nil, is called once if lock has to wait; tests use it.
func (l *keyLocks) lock(ctx context.Context, key string, onWait func()) (unlock func(), err error) {
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
