package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// capturedLog is a log output that many goroutines may write.
type capturedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *capturedLog) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *capturedLog) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return hideSecrets(c.buf.String())
}

// slogTo is a text logger at debug level writing to w.
func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// refusingStore is a store whose connections are refused while refusing is
// set: each Claim dials a loopback port that nothing listens on, as a client
// of a store that is down does. Each Claim moves clock by a second.
type refusingStore struct {
	MemoryDeduplicator
	addr     string
	refusing atomic.Bool
	clock    *fakeClock
	releases atomic.Int32
}

func (s *refusingStore) Claim(ctx context.Context, key, token string, lease time.Duration) (ClaimState, error) {
	s.clock.advance(time.Second)
	if s.refusing.Load() {
		conn, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			conn.Close()
			return 0, errors.New("something listens on the closed port")
		}
		return 0, fmt.Errorf("claim: %w", err)
	}
	return s.MemoryDeduplicator.Claim(ctx, key, token, lease)
}

func (s *refusingStore) Release(ctx context.Context, key, token string) error {
	s.releases.Add(1)
	return s.MemoryDeduplicator.Release(ctx, key, token)
}

// closedPort returns a loopback address that refuses connections.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestHandlerStoreOutageLogsFewLines: a store that refuses every connection
// for a while, under 16 senders, fills the log with a bounded number of
// lines, each saying what happened; no release is tried for a claim that
// could not have been taken; the observer still sees every delivery; and
// when the store answers again, a line says so with the count of the
// failures not logged one by one.
func TestHandlerStoreOutageLogsFewLines(t *testing.T) {
	t.Parallel()
	const senders, each = 16, 20
	clock := &fakeClock{t: time.Date(2026, 3, 24, 8, 0, 0, 0, time.UTC)}
	store := &refusingStore{addr: closedPort(t), clock: clock}
	store.refusing.Store(true)
	logs := &capturedLog{}
	var seen atomic.Int32
	h := NewHandler(func(context.Context, *Event) error { return nil }, WithDeduplicator(store),
		WithLogger(slog.New(slog.NewJSONHandler(logs, nil))),
		WithObserver(func(_ context.Context, d Delivery) {
			if d.Outcome == OutcomeStoreFailed && errors.Is(d.Err, syscall.ECONNREFUSED) {
				seen.Add(1)
			}
		})).(*handler)
	h.failures.now = clock.now

	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := fmt.Sprintf("event=delivered&id=%02d%030d", s, i)
				if rec := serveOnce(h, delivery(body)); rec.Code != 500 {
					t.Errorf("delivery during the outage: status %d", rec.Code)
				}
			}
		}()
	}
	wg.Wait()
	store.refusing.Store(false)
	if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 {
		t.Fatalf("delivery after the outage: status %d", rec.Code)
	}

	const failures = senders * each
	if got := seen.Load(); got != failures {
		t.Errorf("observer saw %d refused deliveries, want %d", got, failures)
	}
	if n := store.releases.Load(); n != 0 {
		t.Errorf("%d releases tried for claims the store was never reached for", n)
	}
	var lines, counted int
	recovered := false
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct {
			Level, Msg, Error, Call, ID string
			Repeats                     int `json:"repeats_not_logged"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch {
		case rec.Level == "ERROR" && rec.Msg == "smtp2go webhook: deduplication store unreachable; answering 500 for a redelivery":
			if !strings.Contains(rec.Error, "connection refused") || rec.ID == "" {
				t.Errorf("line does not say what happened: %s", line)
			}
			lines++
			counted += 1 + rec.Repeats
		case rec.Level == "INFO" && rec.Msg == "smtp2go webhook: deduplication store answers again" && rec.Call == "claim":
			recovered = true
			counted += rec.Repeats
		default:
			t.Errorf("unexpected line: %s", line)
		}
	}
	// The clock moved a second per claim: one line per 10 seconds at most.
	if limit := failures/10 + 1; lines == 0 || lines > limit {
		t.Errorf("%d lines for %d failures, want 1 to %d", lines, failures, limit)
	}
	if counted != failures || !recovered {
		t.Errorf("lines account for %d failures (recovery line: %v), want %d", counted, recovered, failures)
	}
	if t.Failed() {
		t.Logf("log:\n%s", logs)
	}
}

// TestHandlerClaimFailureLogsOneLine: whatever fails in a claim, one line
// says what happened. A failure that may have taken the claim releases it,
// and a failed release is part of that line, not a second one; a request
// whose sender left during the claim is logged as such, at WARN.
func TestHandlerClaimFailureLogsOneLine(t *testing.T) {
	t.Parallel()
	t.Run("ambiguous failure, release fails too", func(t *testing.T) {
		t.Parallel()
		logs := &capturedLog{}
		store := &storeFaults{claim: true, release: true}
		h := NewHandler(func(context.Context, *Event) error { return nil }, WithDeduplicator(store), WithLogger(slogTo(logs)))
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 500 {
			t.Fatalf("status %d", rec.Code)
		}
		out := logs.String()
		if n := strings.Count(out, "level=ERROR"); n != 1 ||
			!strings.Contains(out, `msg="smtp2go webhook: deduplication store failed; answering 500 for a redelivery"`) ||
			!strings.Contains(out, `claim="not released, so it holds until the lease ends: store unavailable"`) {
			t.Errorf("%d error lines; log:\n%s", n, out)
		}
	})
	t.Run("ambiguous failure, released", func(t *testing.T) {
		t.Parallel()
		logs := &capturedLog{}
		store := &slowClaims{loseAnswer: true}
		h := NewHandler(func(context.Context, *Event) error { return nil }, WithDeduplicator(store), WithLogger(slogTo(logs)))
		serveOnce(h, delivery(deliveredForm))
		out := logs.String()
		if n := strings.Count(out, "level=ERROR"); n != 1 || strings.Contains(out, "claim=") {
			t.Errorf("%d error lines; log:\n%s", n, out)
		}
	})
	t.Run("sender left during the claim", func(t *testing.T) {
		t.Parallel()
		logs := &capturedLog{}
		ctx, cancel := context.WithCancel(context.Background())
		store := &cancellingClaims{cancel: cancel}
		var got observed
		h := NewHandler(func(context.Context, *Event) error { return nil }, WithDeduplicator(store),
			WithLogger(slogTo(logs)), WithObserver(got.observe))
		serveOnce(h, delivery(deliveredForm).WithContext(ctx))
		out := logs.String()
		if strings.Contains(out, "level=ERROR") ||
			!strings.Contains(out, `level=WARN msg="smtp2go webhook: the sender went away while the event was being claimed; SMTP2GO delivers it again"`) {
			t.Errorf("log:\n%s", out)
		}
		if !store.released {
			t.Error("a claim the store may have taken was not released")
		}
		if ds := got.all(); len(ds) != 1 || ds[0].Outcome != OutcomeStoreFailed || !errors.Is(ds[0].Err, context.Canceled) {
			t.Errorf("observed %+v", ds)
		}
	})
}

// TestHandlerSenderLeftBeforeTheDefaultStore: with the default store too, a
// request whose sender has gone is logged as such, and its event is not held.
func TestHandlerSenderLeftBeforeTheDefaultStore(t *testing.T) {
	t.Parallel()
	logs := &capturedLog{}
	h := NewHandler(func(context.Context, *Event) error { return nil }, WithLogger(slogTo(logs)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rec := serveOnce(h, delivery(deliveredForm).WithContext(ctx)); rec.Code != 500 {
		t.Errorf("status %d, want 500", rec.Code)
	}
	out := logs.String()
	if strings.Contains(out, "level=ERROR") || !strings.Contains(out, `level=WARN msg="smtp2go webhook: the sender went away`) {
		t.Errorf("log:\n%s", out)
	}
	if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 {
		t.Errorf("redelivery: status %d, want 200", rec.Code)
	}
}

// cancellingClaims is a store whose Claim sees its caller go away.
type cancellingClaims struct {
	MemoryDeduplicator
	cancel   func()
	released bool
}

func (s *cancellingClaims) Claim(ctx context.Context, key, token string, lease time.Duration) (ClaimState, error) {
	s.cancel()
	<-ctx.Done()
	return 0, fmt.Errorf("claim: %w", ctx.Err())
}

func (s *cancellingClaims) Release(ctx context.Context, key, token string) error {
	s.released = ctx.Err() == nil
	return nil
}

// TestFailureLogSummarisesByKind: a kind logged within the interval is
// counted, the count goes with its next line, kinds are counted apart, and
// a call the store answers again reports only its own.
func TestFailureLogSummarisesByKind(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 3, 24, 8, 0, 0, 0, time.UTC)}
	logs := &capturedLog{}
	logger := slogTo(logs)
	f := &failureLog{now: clock.now}
	ctx := context.Background()
	for range 3 {
		f.log(ctx, logger, completeFailed, slog.LevelError, "complete failed")
		f.log(ctx, logger, releaseFailed, slog.LevelError, "release failed")
	}
	f.answered(ctx, logger, callClaim) // nothing of the claim's to report
	clock.advance(failureLogInterval)
	f.log(ctx, logger, completeFailed, slog.LevelError, "complete failed")
	f.answered(ctx, logger, callRelease)
	f.answered(ctx, logger, callRelease) // reported already
	f.log(ctx, nil, completeFailed, slog.LevelError, "no logger: nothing")
	want := strings.Join([]string{
		`level=ERROR msg="complete failed"`,
		`level=ERROR msg="release failed"`,
		`level=ERROR msg="complete failed" repeats_not_logged=2`,
		`level=INFO msg="smtp2go webhook: deduplication store answers again" call=release repeats_not_logged=2`,
	}, "\n")
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		_, rest, _ := strings.Cut(line, " ") // the time
		got = append(got, rest)
	}
	if strings.Join(got, "\n") != want {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}

// A store that answers again ends the run of failures, whether or not any
// was counted, and a line says so: the next failure, even within the
// interval, is logged in full.
func TestFailureLogAnsweredEndsTheRun(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 3, 24, 8, 0, 0, 0, time.UTC)}
	logs := &capturedLog{}
	logger := slogTo(logs)
	f := &failureLog{now: clock.now}
	ctx := context.Background()
	f.log(ctx, logger, claimFailed, slog.LevelError, "one failure")
	f.answered(ctx, logger, callClaim) // nothing counted: the line has no count
	f.log(ctx, logger, claimFailed, slog.LevelError, "new outage")
	f.log(ctx, logger, claimFailed, slog.LevelError, "counted")
	f.answered(ctx, logger, callClaim)
	f.log(ctx, logger, claimFailed, slog.LevelError, "another outage")
	want := strings.Join([]string{
		`level=ERROR msg="one failure"`,
		`level=INFO msg="smtp2go webhook: deduplication store answers again" call=claim`,
		`level=ERROR msg="new outage"`,
		`level=INFO msg="smtp2go webhook: deduplication store answers again" call=claim repeats_not_logged=1`,
		`level=ERROR msg="another outage"`,
	}, "\n")
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		_, rest, _ := strings.Cut(line, " ") // the time
		got = append(got, rest)
	}
	if strings.Join(got, "\n") != want {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}

// endsAfterFirstCheck is a request context that the sender leaves just after
// the default store checked it: its first Err is nil, every later one not.
type endsAfterFirstCheck struct {
	context.Context
	checks atomic.Int32
}

func (c *endsAfterFirstCheck) Err() error {
	if c.checks.Add(1) == 1 {
		return nil
	}
	return context.Canceled
}

// A claim of the default store that the sender left while it was taken is
// released unused: the callback never runs on a request nobody waits for,
// and the redelivery is processed.
func TestHandlerSenderLeftDuringTheDefaultStoreClaim(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := NewHandler(func(context.Context, *Event) error { calls.Add(1); return nil })
	ctx := &endsAfterFirstCheck{Context: context.Background()}
	if rec := serveOnce(h, delivery(deliveredForm).WithContext(ctx)); rec.Code != 500 || calls.Load() != 0 {
		t.Errorf("status %d with %d calls, want 500 without a call", rec.Code, calls.Load())
	}
	if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 || calls.Load() != 1 {
		t.Errorf("redelivery: status %d with %d calls, want 200 with 1", rec.Code, calls.Load())
	}
}
