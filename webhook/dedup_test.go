package webhook

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock for MemoryDeduplicator that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestDedup(ttl time.Duration, maxKeys int) (*MemoryDeduplicator, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 3, 24, 8, 0, 0, 0, time.UTC)}
	d := NewMemoryDeduplicator(ttl, maxKeys)
	d.now = clock.now
	return d, clock
}

func mustClaim(t *testing.T, d Deduplicator, key, token string, lease time.Duration) ClaimState {
	t.Helper()
	s, err := d.Claim(context.Background(), key, token, lease)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustComplete(t *testing.T, d Deduplicator, key, token string) {
	t.Helper()
	if err := d.Complete(context.Background(), key, token); err != nil {
		t.Fatal(err)
	}
}

func mustRelease(t *testing.T, d Deduplicator, key, token string) {
	t.Helper()
	if err := d.Release(context.Background(), key, token); err != nil {
		t.Fatal(err)
	}
}

// TestMemoryDeduplicatorLeaseStates walks one key through every state with a
// clock that moves only when told: a claim holds until its lease ends, a
// crashed holder's claim is taken over, the old holder's late Release does not
// drop the new holder's claim, and Done lasts until the TTL.
func TestMemoryDeduplicatorLeaseStates(t *testing.T) {
	t.Parallel()
	const lease = time.Minute
	d, clock := newTestDedup(time.Hour, 10)
	steps := []struct {
		name string
		do   func() ClaimState
		want ClaimState
	}{
		{"first claim", func() ClaimState { return mustClaim(t, d, "k", "A", lease) }, Claimed},
		{"another token during the lease", func() ClaimState { return mustClaim(t, d, "k", "B", lease) }, InProgress},
		{"the holder's own token during the lease", func() ClaimState { return mustClaim(t, d, "k", "A", lease) }, Claimed},
		{"just before the lease ends", func() ClaimState {
			clock.advance(lease - time.Nanosecond)
			return mustClaim(t, d, "k", "B", lease)
		}, InProgress},
		{"A died: its lease ends and B takes over", func() ClaimState {
			clock.advance(time.Nanosecond)
			return mustClaim(t, d, "k", "B", lease)
		}, Claimed},
		{"A's late Release leaves B's claim", func() ClaimState {
			mustRelease(t, d, "k", "A")
			return mustClaim(t, d, "k", "C", lease)
		}, InProgress},
		{"B releases: the next delivery claims", func() ClaimState {
			mustRelease(t, d, "k", "B")
			return mustClaim(t, d, "k", "C", lease)
		}, Claimed},
		{"C completes: Done", func() ClaimState {
			mustComplete(t, d, "k", "C")
			return mustClaim(t, d, "k", "D", lease)
		}, Done},
		{"a Release after Complete changes nothing", func() ClaimState {
			mustRelease(t, d, "k", "C")
			return mustClaim(t, d, "k", "D", lease)
		}, Done},
		{"Done well past the lease, until the TTL", func() ClaimState {
			clock.advance(time.Hour - time.Nanosecond)
			return mustClaim(t, d, "k", "D", lease)
		}, Done},
		{"after the TTL, a new claim", func() ClaimState {
			clock.advance(time.Nanosecond)
			return mustClaim(t, d, "k", "D", lease)
		}, Claimed},
	}
	for _, s := range steps {
		if got := s.do(); got != s.want {
			t.Fatalf("%s: %v, want %v", s.name, got, s.want)
		}
	}
}

func TestMemoryDeduplicatorExpiryIsBoundedPerCall(t *testing.T) {
	t.Parallel()
	d, clock := newTestDedup(time.Minute, 1000)
	for i := range 100 {
		mustComplete(t, d, fmt.Sprint(i), "t")
	}
	clock.advance(time.Hour)
	mustClaim(t, d, "new", "t", time.Minute)
	if want := 100 - maxExpiredPerCall + 1; len(d.keys) != want {
		t.Errorf("%d keys after one call, want %d", len(d.keys), want)
	}
	// An expired key not yet dropped is not Done.
	if s := mustClaim(t, d, "99", "t", time.Minute); s != Claimed {
		t.Errorf("expired key: %v", s)
	}
}

func TestMemoryDeduplicatorCapacity(t *testing.T) {
	t.Parallel()
	d, _ := newTestDedup(time.Hour, 3)
	for _, k := range []string{"a", "b", "c", "d"} {
		mustComplete(t, d, k, "t")
	}
	if len(d.keys) != 3 {
		t.Errorf("%d keys, want 3", len(d.keys))
	}
	for _, k := range []string{"b", "c", "d"} {
		if s := mustClaim(t, d, k, "t2", time.Minute); s != Done {
			t.Errorf("recent key %s: %v, want done", k, s)
		}
	}
	if s := mustClaim(t, d, "a", "t2", time.Minute); s != Claimed { // the least recently written, evicted
		t.Errorf("evicted key: %v", s)
	}
	if s := mustClaim(t, d, "b", "t2", time.Minute); s != Claimed { // evicted by a's claim
		t.Errorf("b: %v, want claimed after eviction", s)
	}
}

func TestMemoryDeduplicatorDefaultsAndZeroValue(t *testing.T) {
	t.Parallel()
	d := NewMemoryDeduplicator(0, -1)
	if d.ttl != DefaultDedupTTL || d.maxKeys != DefaultDedupMaxKeys {
		t.Errorf("ttl, maxKeys = %v, %d; want the defaults", d.ttl, d.maxKeys)
	}
	var z MemoryDeduplicator
	mustRelease(t, &z, "a", "t") // nothing held: a no-op
	if s := mustClaim(t, &z, "a", "t", 0); s != Claimed {
		t.Fatalf("zero value: %v", s)
	}
	if s := mustClaim(t, &z, "a", "u", 0); s != InProgress {
		t.Errorf("zero value, second claim: %v", s)
	}
	if z.ttl != DefaultDedupTTL || z.maxKeys != DefaultDedupMaxKeys {
		t.Errorf("zero value: ttl, maxKeys = %v, %d", z.ttl, z.maxKeys)
	}
}

func TestMemoryDeduplicatorRefusals(t *testing.T) {
	t.Parallel()
	var nilD *MemoryDeduplicator
	ctx := context.Background()
	if _, err := nilD.Claim(ctx, "k", "t", time.Minute); err == nil {
		t.Error("nil Claim: no error")
	}
	if nilD.Complete(ctx, "k", "t") == nil || nilD.Release(ctx, "k", "t") == nil {
		t.Error("nil Complete or Release: no error")
	}
	d := NewMemoryDeduplicator(0, 0)
	if _, err := d.Claim(ctx, "k", "", time.Minute); err == nil {
		t.Error("a claim without a token was taken")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Claim(cancelled, "k", "t", time.Minute); err == nil {
		t.Error("Claim with a cancelled context: no error")
	}
	if d.Complete(cancelled, "k", "t") == nil || d.Release(cancelled, "k", "t") == nil {
		t.Error("Complete or Release with a cancelled context: no error")
	}
}

func TestClaimStateString(t *testing.T) {
	t.Parallel()
	for s, want := range map[ClaimState]string{Claimed: "claimed", InProgress: "in progress", Done: "done", 7: "ClaimState(7)"} {
		if got := s.String(); got != want {
			t.Errorf("%d: %q, want %q", int(s), got, want)
		}
	}
}

// TestMemoryDeduplicatorConcurrentClaims: of many goroutines claiming one key
// at once, exactly one holds it.
func TestMemoryDeduplicatorConcurrentClaims(t *testing.T) {
	t.Parallel()
	d := NewMemoryDeduplicator(time.Hour, 50)
	var wg sync.WaitGroup
	var claimed atomic.Int32
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := d.Claim(context.Background(), "k", fmt.Sprint(g), time.Minute)
			if err == nil && s == Claimed {
				claimed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := claimed.Load(); n != 1 {
		t.Errorf("%d goroutines hold the claim, want 1", n)
	}
}

// TestMemoryDeduplicatorLongKeys: a key longer than any that Event.DedupKey
// makes is held too, apart from every other.
func TestMemoryDeduplicatorLongKeys(t *testing.T) {
	t.Parallel()
	d, _ := newTestDedup(time.Hour, 10)
	long := strings.Repeat("k", 200)
	if s := mustClaim(t, d, long+"a", "t", time.Minute); s != Claimed {
		t.Fatalf("long key: %v", s)
	}
	if s := mustClaim(t, d, long+"b", "u", time.Minute); s != Claimed {
		t.Errorf("another long key with the same start: %v", s)
	}
	if s := mustClaim(t, d, long+"a", "u", time.Minute); s != InProgress {
		t.Errorf("the long key again: %v", s)
	}
	mustRelease(t, d, long+"a", "t")
	mustComplete(t, d, long+"b", "u")
	if s := mustClaim(t, d, long+"a", "u", time.Minute); s != Claimed {
		t.Errorf("released long key: %v", s)
	}
	if s := mustClaim(t, d, long+"b", "v", time.Minute); s != Done {
		t.Errorf("completed long key: %v", s)
	}
	// A short key never matches a long one's digest.
	if s := mustClaim(t, d, long[:maxInlineKey], "w", time.Minute); s != Claimed {
		t.Errorf("short key: %v", s)
	}
}

// A claim ends exactly when its lease does, also behind a key that lives
// longer (so that the expiry of the front of the list does not drop it).
func TestMemoryDeduplicatorLeaseEndsOnTime(t *testing.T) {
	t.Parallel()
	d, clock := newTestDedup(time.Hour, 10)
	mustComplete(t, d, "done", "a")
	mustClaim(t, d, "held", "a", time.Minute)
	clock.advance(time.Minute - time.Nanosecond)
	if s := mustClaim(t, d, "held", "b", time.Minute); s != InProgress {
		t.Fatalf("within the lease: %v, want in progress", s)
	}
	clock.advance(time.Nanosecond)
	if s := mustClaim(t, d, "held", "b", time.Minute); s != Claimed {
		t.Errorf("at the end of the lease: %v, want claimed", s)
	}
}
