// Package deduptest checks that a [webhook.Deduplicator] keeps the contract
// the handler of [webhook.NewHandler] relies on, as golang.org/x/net/nettest
// does for net.Conn. Whoever writes a store for another engine proves it with
// one line in a test:
//
//	func TestContract(t *testing.T) {
//		deduptest.Run(t, func(t *testing.T, ttl time.Duration) webhook.Deduplicator {
//			return mystore.New(client, mystore.WithTTL(ttl), mystore.WithPrefix(randomPrefix(t)))
//		})
//	}
//
// The cases run against the store's real engine and its real clock: leases
// and TTLs are tens to hundreds of milliseconds, so the store must honour
// expiry times to within about ten milliseconds. Every timing assertion is
// made only when the time measured around the calls proves what the store
// must answer, so a slow or loaded machine makes the cases wait longer, never
// fail wrongly.
//
// A store that cannot be reached is not among the cases: how to cut a store
// off depends on its engine. Test it beside Run, as the stores in
// redisdedup and pgdedup do: calls must fail, within the context's deadline,
// while the engine is away, and work again, with nothing lost, once it is
// back.
package deduptest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/webhook"
)

const (
	// longLease and longTTL are never reached while a case runs.
	longLease = time.Minute
	longTTL   = time.Hour
	// shortLease and shortTTL are the first tried by the cases that watch
	// a lease or TTL end; a case that could not check them on a slow
	// machine tries again with longer ones, up to maxShort.
	shortLease = 150 * time.Millisecond
	shortTTL   = 200 * time.Millisecond
	maxShort   = 5 * time.Second
)

// key is the event every case works on; each case has a store of its own.
const key = "deduptest-event"

// Run checks the stores newStore returns against the [webhook.Deduplicator]
// contract, as parallel subtests of t. Each call of newStore must return a
// fresh, empty store that remembers Done for ttl, and clean it up when t
// ends (t.Cleanup). The cases:
//
//   - a claim holds a key against other tokens; keys are independent;
//     Release lets the next delivery in; Complete makes the key Done;
//   - the holder's own token claims its key again (a Claim sent again after
//     its answer was lost);
//   - every shape of key that webhook.Event.DedupKey makes is held apart;
//   - of many goroutines claiming a key at once, exactly one holds it, on a
//     new key and on one whose claim has expired;
//   - a claim answers InProgress to others until its lease passes;
//   - after the lease, the key is claimed again;
//   - a Release by a holder whose lease expired does not drop the new
//     holder's claim, and no Release undoes Done;
//   - Done lasts until the TTL, and the key can be claimed again after it;
//   - Complete marks Done even after the caller's lease has passed (the work
//     was done);
//   - a cancelled or expired ctx makes every call fail with an error that
//     wraps ctx.Err().
func Run(t *testing.T, newStore func(t *testing.T, ttl time.Duration) webhook.Deduplicator) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newStore)
		})
	}
}

var cases = []struct {
	name string
	run  func(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator)
}{
	{"Claim", testClaim},
	{"ClaimAgainWithSameToken", testClaimAgainWithSameToken},
	{"KeyShapes", testKeyShapes},
	{"ConcurrentClaims", testConcurrentClaims},
	{"InProgressUntilLeasePasses", testInProgressUntilLeasePasses},
	{"ReclaimAfterLease", testReclaimAfterLease},
	{"StaleReleaseIgnored", testStaleReleaseIgnored},
	{"DoneUntilTTL", testDoneUntilTTL},
	{"TTLExpiry", testTTLExpiry},
	{"LateComplete", testLateComplete},
	{"CancelledContext", testCancelledContext},
}

func testClaim(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator) {
	s := store{t, newStore(t, longTTL)}
	other := key + "-other"
	s.claim(key, "A", longLease, webhook.Claimed)
	s.claim(key, "B", longLease, webhook.InProgress)
	s.claim(other, "B", longLease, webhook.Claimed)
	s.complete(key, "A")
	s.claim(key, "C", longLease, webhook.Done)
	s.claim(other, "C", longLease, webhook.InProgress) // completing one key leaves another alone
	s.release(other, "B")
	s.claim(other, "C", longLease, webhook.Claimed) // released: the next delivery is processed
	s.release(other, "C")
	s.release(other, "C") // releasing what is not held is no error
}

func testClaimAgainWithSameToken(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator) {
	s := store{t, newStore(t, longTTL)}
	s.claim(key, "A", longLease, webhook.Claimed)
	s.claim(key, "A", longLease, webhook.Claimed) // a Claim sent again after its answer was lost
	s.claim(key, "B", longLease, webhook.InProgress)
	s.complete(key, "A")
	s.claim(key, "A", longLease, webhook.Done) // its own token, once done, is done too
}

// testKeyShapes claims every shape of key that webhook.Event.DedupKey makes:
// an ID as sent (letters, digits, dots, hyphens, underscores, up to 64
// bytes), and "h:" with a SHA-256 in hex.
func testKeyShapes(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator) {
	s := store{t, newStore(t, longTTL)}
	keys := []string{
		"0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		"A-b_c.9",
		strings.Repeat("z", 64),
		(&webhook.Event{ID: "not a plain ID: ünïcode, spaces, \x00"}).DedupKey(),
		(&webhook.Event{Fields: url.Values{"event": {"open"}}}).DedupKey(),
	}
	for _, k := range keys {
		s.claim(k, "A", longLease, webhook.Claimed)
	}
	for _, k := range keys {
		s.claim(k, "B", longLease, webhook.InProgress) // each key its own, none confused with another
		s.complete(k, "A")
		s.claim(k, "B", longLease, webhook.Done)
	}
}

func testConcurrentClaims(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator) {
	s := store{t, newStore(t, longTTL)}
	const goroutines = 32
	s.claimAtOnce(key, goroutines, map[webhook.ClaimState]int{webhook.Claimed: 1, webhook.InProgress: goroutines - 1})
	s.complete(key, "any")
	s.claimAtOnce(key, goroutines, map[webhook.ClaimState]int{webhook.Done: goroutines})

	// A crashed holder's claim, taken over by many at once.
	expired := key + "-expired"
	s.claim(expired, "crashed", shortLease, webhook.Claimed)
	waitPast(time.Now(), shortLease)
	s.claimAtOnce(expired, goroutines, map[webhook.ClaimState]int{webhook.Claimed: 1, webhook.InProgress: goroutines - 1})
}

func testInProgressUntilLeasePasses(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator) {
	retryLonger(t, shortLease, func(lease time.Duration) int {
		s := store{t, newStore(t, longTTL)}
		start := time.Now() // the lease cannot end before start+lease
		s.claim(key, "A", lease, webhook.Claimed)
		return s.holds(start, lease, webhook.InProgress)
	})
}

func testReclaimAfterLease(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator) {
	s := store{t, newStore(t, longTTL)}
	s.claim(key, "A", shortLease, webhook.Claimed)
	waitPast(time.Now(), shortLease)
	s.claim(key, "B", longLease, webhook.Claimed)
	s.claim(key, "C", longLease, webhook.InProgress) // B holds it now
	s.complete(key, "B")
	s.claim(key, "D", longLease, webhook.Done)
}

func testStaleReleaseIgnored(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator) {
	s := store{t, newStore(t, longTTL)}
	s.claim(key, "A", shortLease, webhook.Claimed)
	waitPast(time.Now(), shortLease)
	s.claim(key, "B", longLease, webhook.Claimed)
	s.release(key, "A") // A outran its lease, then failed
	s.claim(key, "C", longLease, webhook.InProgress)
	s.complete(key, "B")
	s.release(key, "A")
	s.release(key, "B")
	s.claim(key, "D", longLease, webhook.Done)
}

func testDoneUntilTTL(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator) {
	retryLonger(t, shortTTL, func(ttl time.Duration) int {
		s := store{t, newStore(t, ttl)}
		s.claim(key, "A", longLease, webhook.Claimed)
		start := time.Now() // Done cannot end before start+ttl
		s.complete(key, "A")
		return s.holds(start, ttl, webhook.Done)
	})
}

func testTTLExpiry(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator) {
	s := store{t, newStore(t, shortTTL)}
	s.claim(key, "A", longLease, webhook.Claimed)
	s.complete(key, "A")
	waitPast(time.Now(), shortTTL)
	s.claim(key, "B", longLease, webhook.Claimed)
	s.claim(key, "C", longLease, webhook.InProgress)
}

func testLateComplete(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator) {
	s := store{t, newStore(t, longTTL)}
	s.claim(key, "A", shortLease, webhook.Claimed)
	waitPast(time.Now(), shortLease)
	s.complete(key, "A") // A outran its lease, but its work is done
	s.claim(key, "B", longLease, webhook.Done)
}

func testCancelledContext(t *testing.T, newStore func(*testing.T, time.Duration) webhook.Deduplicator) {
	d := newStore(t, longTTL)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, ctx := range []context.Context{cancelled, expired} {
		_, err := d.Claim(ctx, key, "A", longLease)
		checkCtxErr(t, "Claim", ctx, err)
		checkCtxErr(t, "Complete", ctx, d.Complete(ctx, key, "A"))
		checkCtxErr(t, "Release", ctx, d.Release(ctx, key, "A"))
	}
	s := store{t, d}
	s.claim(key+"-after", "B", longLease, webhook.Claimed) // the store still works
}

func checkCtxErr(t *testing.T, call string, ctx context.Context, err error) {
	t.Helper()
	if !errors.Is(err, ctx.Err()) {
		t.Errorf("%s with a context that ended (%v): error %v, want one that wraps %v", call, ctx.Err(), err, ctx.Err())
	}
}

// store wraps a Deduplicator under test with calls that fail the test on an
// error or a wrong answer.
type store struct {
	t *testing.T
	d webhook.Deduplicator
}

func (s store) claimState(key, token string, lease time.Duration) webhook.ClaimState {
	s.t.Helper()
	state, err := s.d.Claim(context.Background(), key, token, lease)
	if err != nil {
		s.t.Fatalf("Claim(%q, %q, %v): %v", key, token, lease, err)
	}
	return state
}

func (s store) claim(key, token string, lease time.Duration, want webhook.ClaimState) {
	s.t.Helper()
	if got := s.claimState(key, token, lease); got != want {
		s.t.Fatalf("Claim(%q, %q, %v) = %v, want %v", key, token, lease, got, want)
	}
}

func (s store) complete(key, token string) {
	s.t.Helper()
	if err := s.d.Complete(context.Background(), key, token); err != nil {
		s.t.Fatalf("Complete(%q, %q): %v", key, token, err)
	}
}

func (s store) release(key, token string) {
	s.t.Helper()
	if err := s.d.Release(context.Background(), key, token); err != nil {
		s.t.Fatalf("Release(%q, %q): %v", key, token, err)
	}
}

// holds claims key with new tokens, time and again, until nearly d has
// passed since start, and checks that each claim made within d is answered
// want. It returns how many it checked.
func (s store) holds(start time.Time, d time.Duration, want webhook.ClaimState) int {
	s.t.Helper()
	for i := 0; ; i++ {
		state := s.claimState(key, fmt.Sprint("probe-", i), longLease)
		if time.Since(start) >= d*9/10 {
			return i // too close to the end to tell
		}
		if state != want {
			s.t.Fatalf("Claim by another token %v into %v: %v, want %v", time.Since(start), d, state, want)
		}
		time.Sleep(d / 10) // let the store's clock move on
	}
}

// claimAtOnce claims key from n goroutines released together, each with its
// own token, and checks how many got each answer.
func (s store) claimAtOnce(key string, n int, want map[webhook.ClaimState]int) {
	s.t.Helper()
	start := make(chan struct{})
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		got    = map[webhook.ClaimState]int{}
		errs   []error
		lease  = longLease
		tokens = make([]string, n)
	)
	for i := range tokens {
		tokens[i] = fmt.Sprint("concurrent-", i)
	}
	for _, token := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			state, err := s.d.Claim(context.Background(), key, token, lease)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			got[state]++
		}()
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		s.t.Fatalf("%d of %d concurrent claims of %q failed, first: %v", len(errs), n, key, errs[0])
	}
	for _, state := range []webhook.ClaimState{webhook.Claimed, webhook.InProgress, webhook.Done} {
		if got[state] != want[state] {
			s.t.Fatalf("%d concurrent claims of %q: %v, want %v", n, key, got, want)
		}
	}
}

// waitPast waits until d, and a margin for the store's clock, have passed
// since from. A call made after it returns reaches the store at least d after
// any call that had returned by from.
func waitPast(from time.Time, d time.Duration) {
	time.Sleep(time.Until(from.Add(d + d/4 + 10*time.Millisecond)))
}

// retryLonger runs check with the duration d, doubling it while check could
// make fewer than three of its timed assertions because the machine was too
// slow, and fails t beyond maxShort.
func retryLonger(t *testing.T, d time.Duration, check func(time.Duration) int) {
	t.Helper()
	for ; d <= maxShort; d *= 2 {
		if check(d) >= 3 {
			return
		}
	}
	t.Fatalf("the store answered too slowly to check a lease or TTL of up to %v", maxShort)
}
