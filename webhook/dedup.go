package webhook

import (
	"container/list"
	"context"
	"errors"
	"strconv"
	"sync"
	"time"
)

const (
	// DefaultDedupTTL is how long a processed event is remembered: SMTP2GO
	// redelivers a failed delivery for up to 48 hours.
	DefaultDedupTTL = 48 * time.Hour
	// DefaultLease is how long a claim lasts when its holder neither completes
	// nor releases it, because its process died: after that, the next
	// redelivery is processed. It is six times SMTP2GO's 10-second timeout, so
	// a callback that finishes in time always completes within its lease.
	DefaultLease = 60 * time.Second
	// DefaultDedupMaxKeys bounds the memory of a [MemoryDeduplicator], at
	// roughly 250 bytes a key.
	DefaultDedupMaxKeys = 100_000
)

// ClaimState is the answer of [Deduplicator.Claim].
type ClaimState int

const (
	// Claimed: the caller holds the event and must Complete or Release it.
	Claimed ClaimState = iota
	// InProgress: another holder's claim has not expired.
	InProgress
	// Done: the event was processed before.
	Done
)

// String returns "claimed", "in progress" or "done".
func (s ClaimState) String() string {
	switch s {
	case Claimed:
		return "claimed"
	case InProgress:
		return "in progress"
	case Done:
		return "done"
	}
	return "ClaimState(" + strconv.Itoa(int(s)) + ")"
}

// Deduplicator is a store shared by every replica of a receiver, which lets
// the handler of [NewHandler] process each event once although SMTP2GO
// delivers it again after any failure or timeout.
//
// The handler claims an event (its [Event.DedupKey]) with a token of its own
// before calling the callback; it completes the claim when the callback
// succeeds and releases it when the callback fails, so that the redelivery is
// processed. A claim lasts for a lease: if its holder dies, the claim expires
// and a later redelivery is processed.
//
// This gives every event at least once, and never twice unless a holder died
// or outran its lease after its side effects took place, or the store could
// not record a completion (it was unreachable just then: the handler still
// answers 200, since the work is done). No store can do better without taking
// part in those side effects: to close even that gap, make the callback's
// effects idempotent (keyed by [Event.DedupKey]).
//
// Implementations must be safe for concurrent use by many goroutines and
// processes, fail within ctx's deadline when their engine cannot be reached,
// with an error that wraps ctx.Err() when ctx ended, and hold any key that
// [Event.DedupKey] makes (at most 66 bytes of printable ASCII). Package [github.com/relaykit/smtp2go/webhook/deduptest] checks
// an implementation against this contract; redisdedup and pgdedup, beside
// this package, are implementations on Redis and PostgreSQL.
type Deduplicator interface {
	// Claim takes key for processing for at most lease, unless it is Done or
	// claimed by another token whose lease has not expired. Atomic across
	// every process that shares the store. The token that holds key claims
	// it again, within the same lease (a Claim sent again after its answer
	// was lost).
	Claim(ctx context.Context, key, token string, lease time.Duration) (ClaimState, error)
	// Complete marks key Done, remembered for the store's TTL (by default
	// 48 h, as long as SMTP2GO delivers again), whatever token holds it and
	// even after the lease: the work was done.
	Complete(ctx context.Context, key, token string) error
	// Release drops the claim if token still holds it, so the next delivery
	// is processed; a claim another token holds, or Done, is left alone.
	Release(ctx context.Context, key, token string) error
}

// maxExpiredPerCall bounds the expired keys one call drops, so that no single
// delivery pays for a large backlog.
const maxExpiredPerCall = 16

// MemoryDeduplicator is a [Deduplicator] that keeps its keys in the memory of
// one process: enough for a single replica, and lost on restart. With several
// replicas, use a store they share, such as redisdedup or pgdedup.
//
// It holds at most a fixed number of keys, dropping the least recently
// written when full (a claim it drops may then be taken again), and forgets a
// key once its lease or TTL has passed, as later calls come, without a
// background goroutine. Every call takes constant time.
//
// The zero value is ready to use, with the default TTL and capacity. It is
// safe for concurrent use and must not be copied after first use.
type MemoryDeduplicator struct {
	mu      sync.Mutex
	ttl     time.Duration
	maxKeys int
	now     func() time.Time // the clock; tests replace it
	keys    map[string]*list.Element
	order   list.List // of *memoryEntry, least recently written first
}

type memoryEntry struct {
	key     string
	token   string // the holder of a claim; "" once Done
	expires time.Time
}

// NewMemoryDeduplicator returns a MemoryDeduplicator that remembers a
// processed event for ttl and at most maxKeys keys. A ttl or maxKeys of zero
// or less means the default: [DefaultDedupTTL], [DefaultDedupMaxKeys].
func NewMemoryDeduplicator(ttl time.Duration, maxKeys int) *MemoryDeduplicator {
	d := &MemoryDeduplicator{ttl: ttl, maxKeys: maxKeys}
	d.init()
	return d
}

// errNilDeduplicator answers calls on a nil *MemoryDeduplicator, such as one
// passed to WithDeduplicator by mistake, so that the handler answers 500
// rather than panicking.
var errNilDeduplicator = errors.New("webhook: nil *MemoryDeduplicator")

// errNoToken refuses a claim without a token, which could never be released.
var errNoToken = errors.New("webhook: claim without a token")

// Claim takes key for token for lease, as [Deduplicator] says. A lease of
// zero or less is [DefaultLease]. It fails only on a nil
// *MemoryDeduplicator, an empty token or a cancelled ctx.
func (d *MemoryDeduplicator) Claim(ctx context.Context, key, token string, lease time.Duration) (ClaimState, error) {
	now, err := d.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer d.mu.Unlock()
	if token == "" {
		return 0, errNoToken
	}
	if lease <= 0 {
		lease = DefaultLease
	}
	if e := d.live(key, now); e != nil {
		switch e.token {
		case "":
			return Done, nil
		case token: // the holder again: a Claim sent again after its answer was lost
			return Claimed, nil
		}
		return InProgress, nil
	}
	d.put(key, token, now.Add(lease))
	return Claimed, nil
}

// Complete marks key Done for the TTL, whoever holds it. It fails only on a
// nil *MemoryDeduplicator or a cancelled ctx.
func (d *MemoryDeduplicator) Complete(ctx context.Context, key, _ string) error {
	now, err := d.lock(ctx)
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	d.put(key, "", now.Add(d.ttl))
	return nil
}

// Release drops key's claim if token holds it. It fails only on a nil
// *MemoryDeduplicator or a cancelled ctx.
func (d *MemoryDeduplicator) Release(ctx context.Context, key, token string) error {
	if _, err := d.lock(ctx); err != nil {
		return err
	}
	defer d.mu.Unlock()
	if el, ok := d.keys[key]; ok && token != "" && el.Value.(*memoryEntry).token == token {
		d.remove(el)
	}
	return nil
}

// lock starts a call: it refuses a nil d or an ended ctx, then locks d
// (the caller unlocks), drops a few expired entries and returns the time.
func (d *MemoryDeduplicator) lock(ctx context.Context) (time.Time, error) {
	if d == nil {
		return time.Time{}, errNilDeduplicator
	}
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	d.mu.Lock()
	d.init()
	now := d.now()
	d.dropExpired(now)
	return now, nil
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

// live returns key's entry, or nil if it has none that has not expired.
func (d *MemoryDeduplicator) live(key string, now time.Time) *memoryEntry {
	el, ok := d.keys[key]
	if !ok {
		return nil
	}
	if e := el.Value.(*memoryEntry); now.Before(e.expires) {
		return e
	}
	d.remove(el)
	return nil
}

// put writes key's entry and makes it the most recently written.
func (d *MemoryDeduplicator) put(key, token string, expires time.Time) {
	if el, ok := d.keys[key]; ok {
		e := el.Value.(*memoryEntry)
		e.token, e.expires = token, expires
		d.order.MoveToBack(el)
		return
	}
	if len(d.keys) >= d.maxKeys {
		d.remove(d.order.Front())
	}
	d.keys[key] = d.order.PushBack(&memoryEntry{key: key, token: token, expires: expires})
}

// dropExpired drops a few expired entries from the front of the list. Claims
// and completions expire at different distances, so an expired entry may sit
// behind a live one; live drops those when their key comes again, and the
// bound on keys holds either way.
func (d *MemoryDeduplicator) dropExpired(now time.Time) {
	for range maxExpiredPerCall {
		front := d.order.Front()
		if front == nil || now.Before(front.Value.(*memoryEntry).expires) {
			return
		}
		d.remove(front)
	}
}

func (d *MemoryDeduplicator) remove(el *list.Element) {
	delete(d.keys, el.Value.(*memoryEntry).key)
	d.order.Remove(el)
}

// errNilStore answers every call of the store that WithDeduplicator(nil)
// sets, so that the wiring mistake answers 500 and loses no event.
var errNilStore = errors.New("webhook: WithDeduplicator was given a nil Deduplicator")

type brokenDeduplicator struct{}

func (brokenDeduplicator) Claim(context.Context, string, string, time.Duration) (ClaimState, error) {
	return 0, errNilStore
}
func (brokenDeduplicator) Complete(context.Context, string, string) error { return errNilStore }
func (brokenDeduplicator) Release(context.Context, string, string) error  { return errNilStore }
