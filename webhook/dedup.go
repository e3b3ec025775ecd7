package webhook

import (
	"context"
	"crypto/sha256"
	"errors"
	"math"
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
	// under 250 bytes a key.
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
	now     func() time.Time // the clock, if not time.Now; tests set it
	start   time.Time        // expiries count from here, on the clock's monotonic reading
	keys    map[memoryKey]int32
	// entries holds every key's state, linked least recently written first.
	// Neither it nor keys holds a pointer, so that the garbage collector
	// never scans the up to maxKeys entries it keeps for days, and a key
	// written costs no allocation.
	entries    []memoryEntry
	tokens     map[int32]string // the holders of the claims in entries, by slot
	head, tail int32            // the least and the most recently written, or noEntry
	free       int32            // the first free slot, linked through next, or noEntry
}

// memoryKey is a key held inline: as it is when it fits (every key that
// [Event.DedupKey] makes does), or else as its SHA-256.
type memoryKey struct {
	n uint8 // the length of the key in b, or digestKey
	b [maxInlineKey]byte
}

const (
	maxInlineKey = 66
	digestKey    = 255
)

func newMemoryKey(key string) memoryKey {
	var k memoryKey
	if len(key) <= maxInlineKey {
		k.n = uint8(len(key))
		copy(k.b[:], key)
		return k
	}
	sum := sha256.Sum256([]byte(key))
	k.n = digestKey
	copy(k.b[:], sum[:])
	return k
}

type memoryEntry struct {
	key        memoryKey
	claimed    bool          // a claim, whose token is in tokens; else Done
	expires    time.Duration // since start
	prev, next int32
}

// noEntry ends the lists of entries.
const noEntry = -1

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
	return d.claim(ctx, time.Time{}, key, token, lease)
}

// claim is Claim at the time t, which the handler has read already (the
// clock costs as much as the rest of a claim on some machines); zero reads
// the clock.
func (d *MemoryDeduplicator) claim(ctx context.Context, t time.Time, key, token string, lease time.Duration) (ClaimState, error) {
	now, err := d.lock(ctx, t)
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
	k := newMemoryKey(key)
	if i, ok := d.live(k, now); ok {
		switch {
		case !d.entries[i].claimed:
			return Done, nil
		case d.tokens[i] == token: // the holder again: a Claim sent again after its answer was lost
			return Claimed, nil
		}
		return InProgress, nil
	}
	d.put(k, token, now+lease)
	return Claimed, nil
}

// Complete marks key Done for the TTL, whoever holds it. It fails only on a
// nil *MemoryDeduplicator or a cancelled ctx.
func (d *MemoryDeduplicator) Complete(ctx context.Context, key, _ string) error {
	now, err := d.lock(ctx, time.Time{})
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	d.put(newMemoryKey(key), "", now+d.ttl)
	return nil
}

// Release drops key's claim if token holds it. It fails only on a nil
// *MemoryDeduplicator or a cancelled ctx.
func (d *MemoryDeduplicator) Release(ctx context.Context, key, token string) error {
	if _, err := d.lock(ctx, time.Time{}); err != nil {
		return err
	}
	defer d.mu.Unlock()
	if i, ok := d.keys[newMemoryKey(key)]; ok && token != "" && d.entries[i].claimed && d.tokens[i] == token {
		d.remove(i)
	}
	return nil
}

// lock starts a call: it refuses a nil d or an ended ctx, then locks d
// (the caller unlocks), drops a few expired entries and returns the time:
// t, unless it is zero or d has a clock of its own.
func (d *MemoryDeduplicator) lock(ctx context.Context, t time.Time) (time.Duration, error) {
	if d == nil {
		return 0, errNilDeduplicator
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d.mu.Lock()
	d.init()
	if t.IsZero() || d.now != nil {
		t = d.clock()
	}
	now := t.Sub(d.start)
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
	d.maxKeys = min(d.maxKeys, math.MaxInt32) // slots are numbered in int32
	d.start = d.clock()
	d.keys = make(map[memoryKey]int32)
	d.tokens = make(map[int32]string)
	d.head, d.tail, d.free = noEntry, noEntry, noEntry
}

func (d *MemoryDeduplicator) clock() time.Time {
	if d.now != nil {
		return d.now()
	}
	return time.Now()
}

// live returns key's slot, unless it has none that has not expired.
func (d *MemoryDeduplicator) live(key memoryKey, now time.Duration) (int32, bool) {
	i, ok := d.keys[key]
	if !ok {
		return 0, false
	}
	if now < d.entries[i].expires {
		return i, true
	}
	d.remove(i)
	return 0, false
}

// put writes key's entry, a claim of token or Done if token is "", and
// makes it the most recently written.
func (d *MemoryDeduplicator) put(key memoryKey, token string, expires time.Duration) {
	i, ok := d.keys[key]
	if ok {
		d.unlink(i)
	} else {
		if len(d.keys) >= d.maxKeys {
			d.remove(d.head)
		}
		i = d.free
		if i == noEntry {
			d.entries = append(d.entries, memoryEntry{})
			i = int32(len(d.entries) - 1)
		} else {
			d.free = d.entries[i].next
		}
		d.keys[key] = i
	}
	d.entries[i] = memoryEntry{key: key, claimed: token != "", expires: expires}
	if token != "" {
		d.tokens[i] = token
	} else {
		delete(d.tokens, i)
	}
	d.link(i)
}

// dropExpired drops a few expired entries from the front of the list. Claims
// and completions expire at different distances, so an expired entry may sit
// behind a live one; live drops those when their key comes again, and the
// bound on keys holds either way.
func (d *MemoryDeduplicator) dropExpired(now time.Duration) {
	for range maxExpiredPerCall {
		if d.head == noEntry || now < d.entries[d.head].expires {
			return
		}
		d.remove(d.head)
	}
}

// remove drops entry i and frees its slot.
func (d *MemoryDeduplicator) remove(i int32) {
	d.unlink(i)
	delete(d.keys, d.entries[i].key)
	if d.entries[i].claimed {
		delete(d.tokens, i)
	}
	d.entries[i] = memoryEntry{next: d.free}
	d.free = i
}

// link makes entry i the most recently written.
func (d *MemoryDeduplicator) link(i int32) {
	e := &d.entries[i]
	e.prev, e.next = d.tail, noEntry
	if d.tail == noEntry {
		d.head = i
	} else {
		d.entries[d.tail].next = i
	}
	d.tail = i
}

// unlink takes entry i out of the list.
func (d *MemoryDeduplicator) unlink(i int32) {
	e := &d.entries[i]
	if e.prev == noEntry {
		d.head = e.next
	} else {
		d.entries[e.prev].next = e.next
	}
	if e.next == noEntry {
		d.tail = e.prev
	} else {
		d.entries[e.next].prev = e.prev
	}
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
