package webhook

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// Defaults of the in-memory deduplicator.
const (
	// DefaultDedupTTL is how long a delivered event is remembered: SMTP2GO
	// retries a failed delivery for 48 hours.
	DefaultDedupTTL = 48 * time.Hour
	// DefaultDedupMaxKeys bounds the memory of a MemoryDeduplicator, at
	// roughly 200 bytes a key.
	DefaultDedupMaxKeys = 100_000
)

// maxExpiredPerCall bounds the expired keys one Seen call drops, so that no
// single delivery pays for a large backlog.
const maxExpiredPerCall = 16

// Deduplicator remembers which events were processed, so that the handler of
// [NewHandler] acknowledges a redelivery without running the callback
// again. SMTP2GO redelivers whenever an answer is not a 2xx or takes longer
// than 10 seconds, so duplicates are normal.
//
// Seen checks and marks in one step: it reports whether key was already
// marked and, if it was not, marks it, atomically with respect to other calls
// (with Redis, for example, "SET key 1 NX EX 172800": OK means not seen). The
// handler calls it before the callback, with the [Event.DedupKey] of the
// event, and answers 500 if it fails, so that SMTP2GO delivers again later.
// Keys should be remembered for at least 48 hours.
//
// Because marking happens before the callback, a Deduplicator should also
// implement [DeduplicatorForgetter]: the handler then unmarks the event when
// the callback fails, and the redelivery is processed. Without Forget, an event
// whose callback failed is dropped as a duplicate when it comes again: at most
// once instead of at least once.
//
// Within one process the handler never runs the callback concurrently for one
// key: a second delivery of an event waits until the first is answered. Across
// processes sharing a store, a delivery that arrives while another process is
// still in its callback is answered as a duplicate; if that callback then
// fails, the event is lost. SMTP2GO retries only after a failure or a
// 10-second timeout, so this needs a slow callback to happen.
type Deduplicator interface {
	// Seen reports whether key was marked before this call, and marks it.
	Seen(ctx context.Context, key string) (bool, error)
}

// DeduplicatorForgetter is implemented by a [Deduplicator] that can unmark a
// key. The handler of [NewHandler] calls Forget when the callback
// returned an error or panicked, so that SMTP2GO's redelivery is processed.
// ctx is not cancelled when the client goes away, since the event would be
// lost otherwise. An error is logged; the delivery is answered 500 either way.
type DeduplicatorForgetter interface {
	// Forget unmarks key, so that the next Seen of it reports false.
	Forget(ctx context.Context, key string) error
}

// MemoryDeduplicator is a [Deduplicator] and [DeduplicatorForgetter] that
// keeps keys in memory: enough for a single instance, lost on restart. It
// holds at most a fixed number of keys, dropping the oldest when full, and
// forgets a key once its time to live has passed. All operations take
// constant time; expired keys are dropped as later calls come, without a
// background goroutine.
//
// The zero value is ready to use, with the default TTL and capacity. It is
// safe for concurrent use and must not be copied after first use.
type MemoryDeduplicator struct {
	mu      sync.Mutex
	ttl     time.Duration
	maxKeys int
	now     func() time.Time // the clock; tests replace it
	keys    map[string]*list.Element
	order   list.List // of *memoryEntry, oldest first; with one TTL, also soonest to expire first
}

type memoryEntry struct {
	key     string
	expires time.Time
}

// NewMemoryDeduplicator returns a MemoryDeduplicator that remembers a key for
// ttl and at most maxKeys keys. A ttl or maxKeys of zero or less means the
// default: [DefaultDedupTTL], [DefaultDedupMaxKeys].
func NewMemoryDeduplicator(ttl time.Duration, maxKeys int) *MemoryDeduplicator {
	d := &MemoryDeduplicator{ttl: ttl, maxKeys: maxKeys}
	d.init()
	return d
}

// errNilDeduplicator answers calls on a nil *MemoryDeduplicator, such as one
// passed to WithDeduplicator by mistake, so that the handler answers 500
// rather than panicking.
var errNilDeduplicator = errors.New("webhook: nil *MemoryDeduplicator")

// Seen reports whether key was marked within the TTL, and marks it if not.
// It fails only on a nil *MemoryDeduplicator.
func (d *MemoryDeduplicator) Seen(_ context.Context, key string) (bool, error) {
	if d == nil {
		return false, errNilDeduplicator
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	now := d.now()
	for i := 0; i < maxExpiredPerCall; i++ {
		front := d.order.Front()
		if front == nil || now.Before(front.Value.(*memoryEntry).expires) {
			break
		}
		d.remove(front)
	}
	if el, ok := d.keys[key]; ok {
		if now.Before(el.Value.(*memoryEntry).expires) {
			return true, nil
		}
		d.remove(el)
	}
	if len(d.keys) >= d.maxKeys {
		d.remove(d.order.Front())
	}
	d.keys[key] = d.order.PushBack(&memoryEntry{key: key, expires: now.Add(d.ttl)})
	return false, nil
}

// Forget unmarks key, so that the next Seen of it reports false. It fails
// only on a nil *MemoryDeduplicator.
func (d *MemoryDeduplicator) Forget(_ context.Context, key string) error {
	if d == nil {
		return errNilDeduplicator
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if el, ok := d.keys[key]; ok {
		d.remove(el)
	}
	return nil
}

func (d *MemoryDeduplicator) init() {
	if d.keys != nil {
		return
	}
	if d.ttl <= 0 {
		d.ttl = DefaultDedupTTL
	}
	if d.maxKeys <= 0 {
		d.maxKeys = DefaultDedupMaxKeys
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.keys = make(map[string]*list.Element)
}

func (d *MemoryDeduplicator) remove(el *list.Element) {
	delete(d.keys, el.Value.(*memoryEntry).key)
	d.order.Remove(el)
}
