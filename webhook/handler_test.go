package webhook

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/internal/testwait"
)

// Test credentials. They are fake, but tests treat them as secrets all the
// same: no failure message or log line may contain them.
const (
	testUser     = "smtp2go"
	testPass     = "pass-Alpha-1"
	testPassNext = "pass-Bravo-2"
	testToken    = "token-Charlie-3"
	testToken2   = "token-Delta-4"
)

var testSecrets = []string{testPass, testPassNext, testToken, testToken2}

// redact replaces the test secrets in s, for failure messages.
func hideSecrets(s string) string {
	for _, secret := range testSecrets {
		s = strings.ReplaceAll(s, secret, "[secret]")
	}
	return s
}

const deliveredForm = "event=delivered&id=0f1e2d3c4b5a69788796a5b4c3d2e1f0&rcpt=jane%40example.org&time=2026-03-24T08%3A23%3A19Z"

// delivery builds a POST as SMTP2GO sends it.
func delivery(body string, mods ...func(r *http.Request)) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/smtp2go", strings.NewReader(body))
	r.Header.Set("Content-Type", ctForm)
	for _, m := range mods {
		m(r)
	}
	return r
}

func basicAuth(user, pass string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, pass) }
}

func bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

func serveOnce(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// countingHandler counts calls and returns err.
func countingHandler(n *atomic.Int32, err error) EventFunc {
	return func(ctx context.Context, ev *Event) error {
		n.Add(1)
		return err
	}
}

func TestHandlerStatuses(t *testing.T) {
	t.Parallel()
	ok := func(context.Context, *Event) error { return nil }
	tests := []struct {
		name     string
		fn       EventFunc
		opts     []Option
		req      *http.Request
		status   int
		body     string // exact, "" for empty
		header   map[string][]string
		wantCall bool
	}{
		{
			name: "success", fn: ok, req: delivery(deliveredForm),
			status: 200, wantCall: true,
		},
		{
			name: "GET", fn: ok, req: httptest.NewRequest(http.MethodGet, "/smtp2go", nil),
			status: 405, body: "method not allowed\n", header: map[string][]string{"Allow": {"POST"}},
		},
		{
			name: "PUT with a body", fn: ok, req: func() *http.Request {
				r := delivery(deliveredForm)
				r.Method = http.MethodPut
				return r
			}(),
			status: 405, body: "method not allowed\n", header: map[string][]string{"Allow": {"POST"}},
		},
		{
			name: "no credentials", fn: ok, opts: []Option{WithBasicAuth(testUser, testPass)},
			req:    delivery(deliveredForm),
			status: 401, body: "unauthorized\n",
			header: map[string][]string{"Www-Authenticate": {`Basic realm="smtp2go-webhook"`}},
		},
		{
			name: "wrong password", fn: ok, opts: []Option{WithBasicAuth(testUser, testPass)},
			req:    delivery(deliveredForm, basicAuth(testUser, testPassNext)),
			status: 401, body: "unauthorized\n",
			header: map[string][]string{"Www-Authenticate": {`Basic realm="smtp2go-webhook"`}},
		},
		{
			name: "wrong user", fn: ok, opts: []Option{WithBasicAuth(testUser, testPass)},
			req:    delivery(deliveredForm, basicAuth("other", testPass)),
			status: 401, body: "unauthorized\n",
		},
		{
			name: "malformed basic", fn: ok, opts: []Option{WithBasicAuth(testUser, testPass)},
			req:    delivery(deliveredForm, func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") }),
			status: 401, body: "unauthorized\n",
		},
		{
			name: "bearer sent, only basic configured", fn: ok, opts: []Option{WithBasicAuth(testUser, testPass)},
			req:    delivery(deliveredForm, bearer(testPass)),
			status: 401, body: "unauthorized\n",
		},
		{
			name: "wrong bearer", fn: ok, opts: []Option{WithBearerToken(testToken)},
			req:    delivery(deliveredForm, bearer(testToken2)),
			status: 401, body: "unauthorized\n",
			header: map[string][]string{"Www-Authenticate": {`Bearer realm="smtp2go-webhook"`}},
		},
		{
			name: "both schemes configured: both challenges", fn: ok,
			opts:   []Option{WithBasicAuth(testUser, testPass), WithBearerToken(testToken)},
			req:    delivery(deliveredForm),
			status: 401, body: "unauthorized\n",
			header: map[string][]string{"Www-Authenticate": {`Basic realm="smtp2go-webhook"`, `Bearer realm="smtp2go-webhook"`}},
		},
		{
			name: "basic", fn: ok, opts: []Option{WithBasicAuth(testUser, testPass)},
			req: delivery(deliveredForm, basicAuth(testUser, testPass)), status: 200, wantCall: true,
		},
		{
			name: "bearer, scheme in lower case", fn: ok, opts: []Option{WithBearerToken(testToken)},
			req:    delivery(deliveredForm, func(r *http.Request) { r.Header.Set("Authorization", "bearer "+testToken) }),
			status: 200, wantCall: true,
		},
		{
			name: "declared Content-Length over the limit", fn: ok, opts: []Option{WithMaxBodyBytes(100)},
			req: delivery(deliveredForm + "&pad=" + strings.Repeat("x", 100)), status: 413, body: "body too large\n",
		},
		{
			name: "chunked body over the limit", fn: ok, opts: []Option{WithMaxBodyBytes(100)},
			req: delivery(deliveredForm+"&pad="+strings.Repeat("x", 100), func(r *http.Request) {
				r.ContentLength = -1
				r.TransferEncoding = []string{"chunked"}
			}),
			status: 413, body: "body too large\n",
		},
		{
			name: "body at the limit", fn: ok, opts: []Option{WithMaxBodyBytes(int64(len(deliveredForm)))},
			req: delivery(deliveredForm), status: 200, wantCall: true,
		},
		{
			name: "WithMaxBodyBytes(0) keeps the default", fn: ok, opts: []Option{WithMaxBodyBytes(0), WithMaxBodyBytes(-1)},
			req: delivery(deliveredForm + "&pad=" + strings.Repeat("x", 1<<19)), status: 200, wantCall: true,
		},
		{
			name: "unsupported content type", fn: ok,
			req:    delivery(deliveredForm, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }),
			status: 415, body: "webhook: unsupported content type: \"text/plain\"\n",
		},
		{
			name: "no content type", fn: ok,
			req:    delivery(deliveredForm, func(r *http.Request) { r.Header.Del("Content-Type") }),
			status: 415, body: "webhook: unsupported content type: none given\n",
		},
		{
			name: "malformed JSON", fn: ok,
			req:    delivery(`{"event":`, func(r *http.Request) { r.Header.Set("Content-Type", ctJSON) }),
			status: 400, body: "webhook: malformed payload: json: unexpected end of JSON input\n",
		},
		{
			name: "no event", fn: ok, req: delivery("id=1"),
			status: 400, body: "webhook: malformed payload: no event field\n",
		},
		{
			name: "callback error", fn: func(context.Context, *Event) error { return errors.New("db password=hunter2 rejected") },
			req: delivery(deliveredForm), status: 500, body: "processing failed\n", wantCall: true,
		},
		{
			name: "callback panic", fn: func(context.Context, *Event) error { panic("boom: internal detail") },
			req: delivery(deliveredForm), status: 500, body: "processing failed\n", wantCall: true,
		},
		{
			name: "nil callback", fn: nil, req: delivery(deliveredForm),
			status: 500, body: "no event handler configured\n",
		},
		{
			name: "nil callback, unauthenticated", fn: nil, opts: []Option{WithBasicAuth(testUser, testPass)},
			req: delivery(deliveredForm), status: 401, body: "unauthorized\n",
		},
		{
			name: "dedup error", fn: ok, opts: []Option{WithDeduplicator(&storeFaults{claim: true})},
			req: delivery(deliveredForm), status: 500, body: "deduplication failed\n",
		},
		{
			name: "body read error", fn: ok,
			req:    delivery(deliveredForm, func(r *http.Request) { r.Body = io.NopCloser(errReader{}) }),
			status: 400, body: "could not read body\n",
		},
		{
			name: "nil option ignored", fn: ok, opts: []Option{nil},
			req: delivery(deliveredForm), status: 200, wantCall: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			called := false
			fn := tt.fn
			if fn != nil {
				fn = func(ctx context.Context, ev *Event) error {
					called = true
					return tt.fn(ctx, ev)
				}
			}
			rec := serveOnce(NewHandler(fn, tt.opts...), tt.req)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if got := rec.Body.String(); got != tt.body {
				t.Errorf("body = %q, want %q", hideSecrets(got), tt.body)
			}
			if tt.body != "" {
				if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type = %q", ct)
				}
			}
			for k, want := range tt.header {
				if got := rec.Header().Values(k); strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if called != tt.wantCall {
				t.Errorf("callback called = %v, want %v", called, tt.wantCall)
			}
		})
	}
}

func TestHandlerAuthRotation(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := NewHandler(countingHandler(&calls, nil),
		WithBasicAuth(testUser, testPass), WithBasicAuth(testUser, testPassNext),
		WithBearerToken(testToken), WithBearerToken(" "+testToken2+" "),
		WithoutDeduplication())
	tests := []struct {
		name string
		auth func(*http.Request)
		want int
	}{
		{"first basic", basicAuth(testUser, testPass), 200},
		{"second basic", basicAuth(testUser, testPassNext), 200},
		{"first bearer", bearer(testToken), 200},
		{"second bearer, spaces trimmed", bearer(testToken2), 200},
		{"bearer with a basic password", bearer(testPass), 401},
		{"basic with a bearer token", basicAuth(testUser, testToken), 401},
		{"password of one, user of another", basicAuth("someone", testPass), 401},
		{"prefix of a token", bearer(testToken[:5]), 401},
		{"token with a suffix", bearer(testToken + "x"), 401},
		{"empty bearer", bearer(""), 401},
		{"unknown scheme", func(r *http.Request) { r.Header.Set("Authorization", "Digest "+testToken) }, 401},
	}
	for _, tt := range tests {
		rec := serveOnce(h, delivery(deliveredForm, tt.auth))
		if rec.Code != tt.want {
			t.Errorf("%s: status = %d, want %d", tt.name, rec.Code, tt.want)
		}
	}
	if got := calls.Load(); got != 4 {
		t.Errorf("callback ran %d times, want 4", got)
	}
}

func TestHandlerEmptySecretsFailClosed(t *testing.T) {
	t.Parallel()
	ok := func(context.Context, *Event) error { return nil }
	tests := []struct {
		name string
		opts []Option
		auth func(*http.Request)
	}{
		{"empty password", []Option{WithBasicAuth(testUser, "")}, basicAuth(testUser, "")},
		{"empty token", []Option{WithBearerToken("")}, bearer("")},
		{"blank token", []Option{WithBearerToken("  ")}, func(r *http.Request) { r.Header.Set("Authorization", "Bearer   ") }},
		{"no header at all", []Option{WithBearerToken("")}, func(*http.Request) {}},
	}
	for _, tt := range tests {
		if rec := serveOnce(NewHandler(ok, tt.opts...), delivery(deliveredForm, tt.auth)); rec.Code != 401 {
			t.Errorf("%s: status = %d, want 401", tt.name, rec.Code)
		}
	}
	// An empty user with a password is a valid credential.
	h := NewHandler(ok, WithBasicAuth("", testPass))
	if rec := serveOnce(h, delivery(deliveredForm, basicAuth("", testPass))); rec.Code != 200 {
		t.Errorf("empty user: status = %d, want 200", rec.Code)
	}
}

// TestHandlerSlowSender: a client that declares a body, sends part of it and
// stalls is answered 408 when the read timeout passes; a callback may outlast
// the read timeout.
func TestHandlerSlowSender(t *testing.T) {
	t.Parallel()
	const readTimeout = 50 * time.Millisecond
	var calls atomic.Int32
	h := NewHandler(func(ctx context.Context, ev *Event) error {
		calls.Add(1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(4 * readTimeout):
			return nil
		}
	}, WithReadTimeout(readTimeout))
	srv := httptest.NewServer(h)
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: 1048576\r\n\r\n%s", ctForm, deliveredForm[:70])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body: status %d, want 408", res.StatusCode)
	}

	resp, err := srv.Client().Post(srv.URL, ctForm, strings.NewReader(deliveredForm))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || calls.Load() != 1 {
		t.Errorf("a callback longer than the read timeout: status %d, calls %d; want 200, 1", resp.StatusCode, calls.Load())
	}
}

// TestReadRequestBodyReservesNoMemoryAhead: a declared Content-Length is not
// reserved before the bytes arrive.
func TestReadRequestBodyReservesNoMemoryAhead(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(deliveredForm[:70]))
	r.ContentLength = DefaultMaxBodyBytes
	body, err := readRequestBody(nil, r, DefaultMaxBodyBytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) != 70 || cap(body) > 2*initialBodyBuffer {
		t.Errorf("read %d bytes into %d of memory; want 70 into at most %d", len(body), cap(body), 2*initialBodyBuffer)
	}
}

func TestHandlerBodyLimitOverRealServer(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(NewHandler(countingHandler(&calls, nil), WithMaxBodyBytes(1024)))
	defer srv.Close()

	post := func(body io.Reader) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ctForm)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	big := deliveredForm + "&pad=" + strings.Repeat("x", 4096)
	// io.MultiReader hides the length: the client sends the body chunked.
	if got := post(io.MultiReader(strings.NewReader(big))); got != 413 {
		t.Errorf("chunked body over the limit: status = %d, want 413", got)
	}
	if got := post(strings.NewReader(big)); got != 413 {
		t.Errorf("declared body over the limit: status = %d, want 413", got)
	}
	if got := post(io.MultiReader(strings.NewReader(deliveredForm))); got != 200 {
		t.Errorf("chunked body within the limit: status = %d, want 200", got)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("callback ran %d times, want 1", got)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// storeFaults wraps a MemoryDeduplicator and fails the calls it is told to,
// as a store that cannot be reached does.
type storeFaults struct {
	MemoryDeduplicator
	claim, complete, release bool
	releaseCtxErr            error // the context's error when Release was called
}

var errStoreDown = errors.New("store unavailable")

func (s *storeFaults) Claim(ctx context.Context, key, token string, lease time.Duration) (ClaimState, error) {
	if s.claim {
		return 0, errStoreDown
	}
	return s.MemoryDeduplicator.Claim(ctx, key, token, lease)
}

func (s *storeFaults) Complete(ctx context.Context, key, token string) error {
	if s.complete {
		return errStoreDown
	}
	return s.MemoryDeduplicator.Complete(ctx, key, token)
}

func (s *storeFaults) Release(ctx context.Context, key, token string) error {
	s.releaseCtxErr = ctx.Err()
	if s.release {
		return errStoreDown
	}
	return s.MemoryDeduplicator.Release(ctx, key, token)
}

// slowClaims is a store whose Claim is slow, answers after the caller's
// context ended, or takes the claim and loses the answer.
type slowClaims struct {
	MemoryDeduplicator
	delay      time.Duration
	untilDone  bool // claim only once ctx has ended, and answer Claimed
	loseAnswer bool // claim, then answer an error
	called     time.Time
}

func (s *slowClaims) Claim(ctx context.Context, key, token string, lease time.Duration) (ClaimState, error) {
	s.called = time.Now()
	time.Sleep(s.delay) // a store's round trip
	if s.untilDone {
		<-ctx.Done()
		ctx = context.WithoutCancel(ctx)
	}
	state, err := s.MemoryDeduplicator.Claim(ctx, key, token, lease)
	if s.loseAnswer {
		return 0, errors.New("connection reset after the claim was written")
	}
	return state, err
}

func TestHandlerDeduplication(t *testing.T) {
	t.Parallel()

	t.Run("duplicate acknowledged without calling back", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		h := NewHandler(countingHandler(&calls, nil))
		for i := 0; i < 3; i++ {
			if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 || rec.Body.Len() != 0 {
				t.Errorf("delivery %d: status %d, body %q", i, rec.Code, rec.Body)
			}
		}
		// The same event as JSON is the same event.
		json := `{"event":"delivered","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"}`
		if rec := serveOnce(h, delivery(json, func(r *http.Request) { r.Header.Set("Content-Type", ctJSON) })); rec.Code != 200 {
			t.Errorf("JSON redelivery: status %d", rec.Code)
		}
		if got := calls.Load(); got != 1 {
			t.Errorf("callback ran %d times, want 1", got)
		}
		if rec := serveOnce(h, delivery(strings.Replace(deliveredForm, "0f1e", "aaaa", 1))); rec.Code != 200 || calls.Load() != 2 {
			t.Errorf("another event: status %d, calls %d", rec.Code, calls.Load())
		}
	})

	t.Run("failed callback, then redelivery processed", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		fail := true
		h := NewHandler(func(ctx context.Context, ev *Event) error {
			calls.Add(1)
			if fail {
				return errors.New("temporary")
			}
			return nil
		})
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 500 {
			t.Fatalf("first delivery: status %d, want 500", rec.Code)
		}
		fail = false
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 {
			t.Fatalf("redelivery: status %d, want 200", rec.Code)
		}
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 {
			t.Fatalf("third delivery: status %d, want 200", rec.Code)
		}
		if got := calls.Load(); got != 2 {
			t.Errorf("callback ran %d times, want 2 (failure, then the redelivery; the third is a duplicate)", got)
		}
	})

	t.Run("panicking callback, then redelivery processed", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		h := NewHandler(func(ctx context.Context, ev *Event) error {
			if calls.Add(1) == 1 {
				panic("first time")
			}
			return nil
		})
		serveOnce(h, delivery(deliveredForm))
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 || calls.Load() != 2 {
			t.Errorf("redelivery after a panic: status %d, calls %d", rec.Code, calls.Load())
		}
	})

	t.Run("a failed release holds the event until the lease ends", func(t *testing.T) {
		t.Parallel()
		store := &storeFaults{release: true}
		clock := &fakeClock{t: time.Date(2026, 3, 24, 8, 0, 0, 0, time.UTC)}
		store.now = clock.now
		var calls atomic.Int32
		fail := errors.New("fail")
		h := NewHandler(func(context.Context, *Event) error {
			calls.Add(1)
			return fail
		}, WithDeduplicator(store), WithLease(time.Minute))
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 500 {
			t.Errorf("first delivery: status %d", rec.Code)
		}
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 409 || calls.Load() != 1 {
			t.Errorf("redelivery within the lease: status %d, calls %d; want 409, 1", rec.Code, calls.Load())
		}
		clock.advance(time.Minute)
		fail = nil
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 || calls.Load() != 2 {
			t.Errorf("redelivery after the lease: status %d, calls %d; want 200, 2", rec.Code, calls.Load())
		}
	})

	t.Run("a failed complete still answers 200", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		h := NewHandler(countingHandler(&calls, nil), WithDeduplicator(&storeFaults{complete: true}))
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 || calls.Load() != 1 {
			t.Errorf("status %d, calls %d; want 200, 1", rec.Code, calls.Load())
		}
	})

	t.Run("a nil deduplicator answers 500 and loses nothing", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		h := NewHandler(countingHandler(&calls, nil), WithDeduplicator(nil))
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 500 || calls.Load() != 0 {
			t.Errorf("status %d, calls %d; want 500, 0", rec.Code, calls.Load())
		}
	})

	t.Run("without deduplication every delivery runs", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		h := NewHandler(countingHandler(&calls, nil), WithoutDeduplication())
		for range 3 {
			serveOnce(h, delivery(deliveredForm))
		}
		if got := calls.Load(); got != 3 {
			t.Errorf("callback ran %d times, want 3", got)
		}
	})

	t.Run("an event held by another replica answers 409, then its outcome counts", func(t *testing.T) {
		t.Parallel()
		shared := NewMemoryDeduplicator(0, 0)
		entered, finish := make(chan struct{}), make(chan error)
		var calls atomic.Int32
		fn := func(context.Context, *Event) error {
			if calls.Add(1) == 1 {
				close(entered)
				return <-finish
			}
			return nil
		}
		a := NewHandler(fn, WithDeduplicator(shared))
		b := NewHandler(fn, WithDeduplicator(shared))
		first := make(chan int)
		go func() { first <- serveOnce(a, delivery(deliveredForm)).Code }()
		<-entered
		rec := serveOnce(b, delivery(deliveredForm))
		if rec.Code != 409 || !strings.Contains(rec.Body.String(), "again later") {
			t.Errorf("delivery to the other replica: %d %q, want 409 with a reason", rec.Code, rec.Body)
		}
		finish <- errors.New("fails") // the holder fails: its claim is released
		if code := <-first; code != 500 {
			t.Errorf("holder: status %d", code)
		}
		if rec := serveOnce(b, delivery(deliveredForm)); rec.Code != 200 || calls.Load() != 2 {
			t.Errorf("redelivery after the failure: status %d, calls %d; want 200, 2", rec.Code, calls.Load())
		}
		if rec := serveOnce(a, delivery(deliveredForm)); rec.Code != 200 || calls.Load() != 2 {
			t.Errorf("later redelivery: status %d, calls %d; want a duplicate", rec.Code, calls.Load())
		}
	})

	t.Run("the callback's context ends with the lease as it began before the claim", func(t *testing.T) {
		t.Parallel()
		const lease = time.Hour
		store := &slowClaims{delay: 20 * time.Millisecond}
		var deadline time.Time
		h := NewHandler(func(ctx context.Context, ev *Event) error {
			deadline, _ = ctx.Deadline()
			return nil
		}, WithDeduplicator(store), WithLease(lease))
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
		// The store's lease began no earlier than its Claim was called.
		if deadline.IsZero() || deadline.After(store.called.Add(lease)) {
			t.Errorf("callback's deadline %v; want at most the lease after the claim was sent (%v)", deadline, store.called.Add(lease))
		}
	})

	t.Run("a claim taken after its lease ended is released, not processed", func(t *testing.T) {
		t.Parallel()
		store := &slowClaims{untilDone: true}
		var calls atomic.Int32
		h := NewHandler(countingHandler(&calls, nil), WithDeduplicator(store), WithLease(10*time.Millisecond))
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 500 || calls.Load() != 0 {
			t.Errorf("status %d, calls %d; want 500 without calling back", rec.Code, calls.Load())
		}
		if s, _ := store.MemoryDeduplicator.Claim(context.Background(), "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "next", time.Minute); s != Claimed {
			t.Errorf("the late claim was left in the store: %v", s)
		}
	})

	t.Run("a claim whose answer was lost is released", func(t *testing.T) {
		t.Parallel()
		store := &slowClaims{loseAnswer: true}
		var calls atomic.Int32
		h := NewHandler(countingHandler(&calls, nil), WithDeduplicator(store))
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 500 {
			t.Errorf("first delivery: status %d, want 500", rec.Code)
		}
		store.loseAnswer = false
		if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 || calls.Load() != 1 {
			t.Errorf("redelivery: status %d, calls %d; want it processed, not held until the lease ends", rec.Code, calls.Load())
		}
	})

	t.Run("callback sees the request context", func(t *testing.T) {
		t.Parallel()
		type key struct{}
		var got any
		h := NewHandler(func(ctx context.Context, ev *Event) error {
			got = ctx.Value(key{})
			return nil
		})
		req := delivery(deliveredForm)
		serveOnce(h, req.WithContext(context.WithValue(req.Context(), key{}, "v")))
		if got != "v" {
			t.Errorf("context value = %v", got)
		}
	})
}

// TestHandlerConcurrentDuplicates delivers one event from many goroutines at
// once while the first callback blocks: the callback must run exactly once.
func TestHandlerConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	const n = 16
	var calls atomic.Int32
	started := make(chan struct{})
	release := make(chan struct{})
	free := sync.OnceFunc(func() { close(release) })
	defer free() // a failed wait leaves no delivery held
	h := NewHandler(func(ctx context.Context, ev *Event) error {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		return nil
	}).(*handler)
	waiting := make(chan struct{}, n)
	h.onWait = func() { waiting <- struct{}{} }

	var wg sync.WaitGroup
	codes := make([]int, n)
	deliver := func(i int) {
		defer wg.Done()
		codes[i] = serveOnce(h, delivery(deliveredForm)).Code
	}
	wg.Add(1)
	go deliver(0)
	testwait.Receive(t, started, "the first delivery's callback")
	for i := 1; i < n; i++ {
		wg.Add(1)
		go deliver(i)
	}
	for i := 1; i < n; i++ {
		testwait.Receive(t, waiting, "every other delivery to wait for the first")
	}
	free()
	wg.Wait()

	if got := calls.Load(); got != 1 {
		t.Errorf("callback ran %d times, want 1", got)
	}
	for i, c := range codes {
		if c != 200 {
			t.Errorf("delivery %d: status %d, want 200", i, c)
		}
	}
	if h.locks.Len() != 0 {
		t.Errorf("%d in-flight keys left", h.locks.Len())
	}
}

// TestHandlerConcurrentFailure: when the first callback fails, exactly one of
// the waiting deliveries runs it again; the rest are duplicates of that one.
func TestHandlerConcurrentFailure(t *testing.T) {
	t.Parallel()
	const n = 8
	var calls atomic.Int32
	started := make(chan struct{})
	release := make(chan struct{})
	free := sync.OnceFunc(func() { close(release) })
	defer free() // a failed wait leaves no delivery held
	h := NewHandler(func(ctx context.Context, ev *Event) error {
		if calls.Add(1) == 1 {
			close(started)
			<-release
			return errors.New("first attempt fails")
		}
		return nil
	}).(*handler)
	waiting := make(chan struct{}, n)
	h.onWait = func() { waiting <- struct{}{} }

	var wg sync.WaitGroup
	var ok, failed atomic.Int32
	deliver := func() {
		defer wg.Done()
		switch serveOnce(h, delivery(deliveredForm)).Code {
		case 200:
			ok.Add(1)
		case 500:
			failed.Add(1)
		}
	}
	wg.Add(1)
	go deliver()
	testwait.Receive(t, started, "the first delivery's callback")
	for i := 1; i < n; i++ {
		wg.Add(1)
		go deliver()
	}
	for i := 1; i < n; i++ {
		testwait.Receive(t, waiting, "every other delivery to wait for the first")
	}
	free()
	wg.Wait()
	if calls.Load() != 2 || failed.Load() != 1 || ok.Load() != n-1 {
		t.Errorf("calls %d, 500s %d, 200s %d; want 2, 1, %d", calls.Load(), failed.Load(), ok.Load(), n-1)
	}
}

func TestHandlerWaitCancelled(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	h := NewHandler(func(ctx context.Context, ev *Event) error {
		close(started)
		<-release
		return nil
	}).(*handler)
	ctx, cancel := context.WithCancel(context.Background())
	h.onWait = cancel // the second delivery's client goes away while it waits

	done := make(chan int)
	go func() { done <- serveOnce(h, delivery(deliveredForm)).Code }()
	<-started
	rec := serveOnce(h, delivery(deliveredForm).WithContext(ctx))
	if rec.Code != 503 {
		t.Errorf("cancelled wait: status %d, want 503", rec.Code)
	}
	close(release)
	if code := <-done; code != 200 {
		t.Errorf("first delivery: status %d", code)
	}
}

func TestHandlerReleasesEvenWhenClientLeft(t *testing.T) {
	t.Parallel()
	store := &storeFaults{}
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	h := NewHandler(func(ctx context.Context, ev *Event) error {
		if calls.Add(1) == 1 {
			cancel() // the client goes away during the callback
			return ctx.Err()
		}
		return nil
	}, WithDeduplicator(store))
	if rec := serveOnce(h, delivery(deliveredForm).WithContext(ctx)); rec.Code != 500 {
		t.Errorf("status %d, want 500", rec.Code)
	}
	if store.releaseCtxErr != nil {
		t.Errorf("Release got a cancelled context: %v", store.releaseCtxErr)
	}
	if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 || calls.Load() != 2 {
		t.Errorf("redelivery: status %d, calls %d; the failed event is still claimed", rec.Code, calls.Load())
	}
}

func TestHandlerLogging(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fail := errors.New("insert failed")
	mode := "ok"
	h := NewHandler(func(ctx context.Context, ev *Event) error {
		switch mode {
		case "error":
			return fail
		case "panic":
			panic("kaboom")
		}
		return nil
	}, WithBasicAuth(testUser, testPass), WithBearerToken(testToken), WithLogger(logger))

	serveOnce(h, delivery(deliveredForm, basicAuth(testUser, testPass)))
	serveOnce(h, delivery(deliveredForm, basicAuth(testUser, testPassNext)))
	serveOnce(h, delivery(deliveredForm, bearer(testToken2)))
	serveOnce(h, delivery(deliveredForm))
	mode = "error"
	serveOnce(h, delivery(strings.Replace(deliveredForm, "0f1e", "1111", 1), bearer(testToken)))
	mode = "panic"
	serveOnce(h, delivery(strings.Replace(deliveredForm, "0f1e", "2222", 1), bearer(testToken)))

	out := buf.String()
	for _, secret := range append(testSecrets, "Basic ", "Bearer ") {
		if strings.Contains(out, secret) {
			t.Fatalf("log output contains a credential or the Authorization header:\n%s", hideSecrets(out))
		}
	}
	for _, want := range []string{
		`level=DEBUG msg="smtp2go webhook delivery" status=200 outcome=processed duration=`,
		`event=delivered id=0f1e2d3c4b5a69788796a5b4c3d2e1f0`,
		`level=WARN msg="smtp2go webhook: authentication failed" reason="credentials do not match" remote_addr=192.0.2.1:1234`,
		`level=WARN msg="smtp2go webhook: authentication failed" reason="no Authorization header"`,
		`status=401 outcome=unauthorized`,
		`level=ERROR msg="smtp2go webhook: event handler failed; answering 500 for a redelivery" event=delivered id=1111`,
		`error="insert failed"`,
		`level=ERROR msg="smtp2go webhook: event handler panicked; answering 500 for a redelivery" event=delivered id=2222`,
		`panic=kaboom stack=`,
		`status=500 outcome=failed`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if n := strings.Count(out, `msg="smtp2go webhook delivery"`); n != 6 {
		t.Errorf("%d delivery lines, want 6 (one per request)", n)
	}
	if t.Failed() {
		t.Logf("log:\n%s", hideSecrets(out))
	}
}

func TestHandlerLoggingOtherErrors(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil)) // info: no per-delivery lines
	serveOnce(NewHandler(nil, WithLogger(logger)), delivery(deliveredForm))
	serveOnce(NewHandler(func(context.Context, *Event) error { return nil }, WithLogger(logger), WithDeduplicator(&storeFaults{claim: true})), delivery(deliveredForm))
	serveOnce(NewHandler(func(context.Context, *Event) error { return errors.New("x") }, WithLogger(logger), WithDeduplicator(&storeFaults{release: true})), delivery(deliveredForm))
	serveOnce(NewHandler(func(context.Context, *Event) error { return nil }, WithLogger(logger), WithDeduplicator(&storeFaults{complete: true})), delivery(deliveredForm))
	rejecting := NewHandler(func(context.Context, *Event) error { return nil }, WithLogger(logger), WithMaxBodyBytes(64))
	serveOnce(rejecting, httptest.NewRequest(http.MethodGet, "/", nil))
	serveOnce(rejecting, delivery(deliveredForm+"&pad="+strings.Repeat("x", 64)))
	serveOnce(rejecting, delivery("<event/>", func(r *http.Request) { r.Header.Set("Content-Type", "text/xml") }))
	serveOnce(rejecting, delivery("event=delivered&rcpt=jane%zz"))
	out := buf.String()
	for _, want := range []string{
		`level=ERROR msg="smtp2go webhook: no EventFunc configured; answering 500"`,
		`level=ERROR msg="smtp2go webhook: deduplication store failed; answering 500 for a redelivery" event=delivered id=0f1e2d3c4b5a69788796a5b4c3d2e1f0 error="store unavailable"`,
		`level=ERROR msg="smtp2go webhook: deduplication store could not release a failed event; its redelivery is processed once the lease expires"`,
		`level=ERROR msg="smtp2go webhook: deduplication store could not mark an event processed; a redelivery after the lease may run the callback again"`,
		`level=WARN msg="smtp2go webhook: delivery rejected" status=405 reason="method not allowed" remote_addr=192.0.2.1:1234`,
		`level=WARN msg="smtp2go webhook: delivery rejected" status=413 reason="body too large"`,
		`level=WARN msg="smtp2go webhook: delivery rejected" status=415 reason="webhook: unsupported content type: \"text/xml\""`,
		`level=WARN msg="smtp2go webhook: delivery rejected" status=400 reason="webhook: malformed payload: form: invalid percent-escape in the value of \"rcpt\""`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(out, "level=DEBUG") {
		t.Error("debug lines logged at info level")
	}
	if strings.Contains(out, "jane") {
		t.Error("a value of a rejected body was logged")
	}
}

// TestHandlerWithoutLoggerIsSilent sets the process-wide default logger, so it
// does not run in parallel (parallel tests start after it has finished).
func TestHandlerWithoutLoggerIsSilent(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)

	h := NewHandler(func(context.Context, *Event) error { panic("silent") }, WithBasicAuth(testUser, testPass))
	serveOnce(h, delivery(deliveredForm))
	serveOnce(h, delivery(deliveredForm, basicAuth(testUser, testPass)))
	serveOnce(NewHandler(nil), delivery(deliveredForm))
	if buf.Len() != 0 {
		t.Errorf("handler without a logger logged %q", hideSecrets(buf.String()))
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestHandlerHostileBodies sends hostile bodies, and every seed of the fuzz
// corpus, through a real loopback server: each is answered with a 4xx (or 200
// where the tolerant parser rightly accepts it), never a 5xx, and the server
// never panics. The client's timeout only guards against a hang.
func TestHandlerHostileBodies(t *testing.T) {
	t.Parallel()
	var processed atomic.Int32
	h := NewHandler(func(context.Context, *Event) error { processed.Add(1); return nil }, WithBasicAuth(testUser, testPass))
	// The server side records what the handler answered each case, so that a
	// case the client sees only as a dropped connection is still checked.
	var answered sync.Map // X-Case -> chan int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		done, _ := answered.LoadOrStore(r.Header.Get("X-Case"), make(chan int, 1))
		defer func() {
			select {
			case done.(chan int) <- rec.status:
			default: // the fuzz corpus sends many requests under one name
			}
		}()
		h.ServeHTTP(rec, r)
	}))
	t.Cleanup(srv.Close) // after the parallel subtests
	client := &http.Client{Timeout: 30 * time.Second}

	send := func(t *testing.T, ct string, body io.Reader, size int64) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = size
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-Case", t.Name())
		req.SetBasicAuth(testUser, testPass)
		done, _ := answered.LoadOrStore(t.Name(), make(chan int, 1))
		resp, err := client.Do(req)
		if err != nil {
			// The server may close the connection on a body over the limit
			// before the client has sent it all: what it answered is what
			// the handler wrote.
			select {
			case status := <-done.(chan int):
				return status
			case <-time.After(30 * time.Second):
				t.Fatalf("request failed (%v), and the handler never answered", err)
			}
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}

	huge := strings.Repeat("a", 2*DefaultMaxBodyBytes)
	var repeated strings.Builder
	repeated.WriteString("event=processed&id=0f1e2d3c4b5a69788796a5b4c3d2e1f0")
	for i := 0; i < 10_000; i++ {
		fmt.Fprintf(&repeated, "&recipients=user%d%%40example.org", i)
	}
	tests := []struct {
		name string
		ct   string
		body string
		want int
	}{
		{"huge form", ctForm, "event=open&x=" + huge, http.StatusRequestEntityTooLarge},
		{"huge JSON", ctJSON, `{"event":"open","x":"` + huge + `"}`, http.StatusRequestEntityTooLarge},
		{"deeply nested JSON", ctJSON, `{"event":"open","x":` + strings.Repeat("[", 200_000) + strings.Repeat("]", 200_000) + "}", http.StatusBadRequest},
		{"nested objects", ctJSON, strings.Repeat(`{"a":`, 100_000), http.StatusBadRequest},
		{"invalid UTF-8 in JSON values", ctJSON, "{\"event\":\"open\",\"subject\":\"\xff\xfe\",\"id\":\"aa\"}", http.StatusOK},
		{"invalid UTF-8 as JSON", ctJSON, "\xff\xfe\xfd", http.StatusBadRequest},
		{"NUL bytes in JSON", ctJSON, "{\"event\":\"open\",\x00\"x\":1}", http.StatusBadRequest},
		{"NUL bytes in form", ctForm, "event=open&id=bb&x=%00\x00", http.StatusOK},
		{"10,000 repeated keys", ctForm, repeated.String(), http.StatusOK},
		{"no event", ctJSON, `{"id":"cc"}`, http.StatusBadRequest},
		{"JSON array", ctJSON, `[{"event":"open"}]`, http.StatusBadRequest},
		{"bad percent escapes", ctForm, "event=open&x=%zz", http.StatusBadRequest},
		{"multipart without boundary", "multipart/form-data", "--x\r\n", http.StatusBadRequest},
		{"XML", "application/xml", "<event>open</event>", http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := send(t, tt.ct, strings.NewReader(tt.body), int64(len(tt.body)))
			if got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
	t.Run("huge chunked body", func(t *testing.T) {
		t.Parallel()
		got := send(t, ctForm, io.MultiReader(strings.NewReader("event=open&x="), strings.NewReader(huge)), -1)
		if got != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", got)
		}
	})
	t.Run("fuzz corpus", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join("testdata", "fuzz", "FuzzParseBody")
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, entry := range entries {
			sel, body := readFuzzSeed(t, filepath.Join(dir, entry.Name()))
			ct := fuzzContentTypes[int(sel)%len(fuzzContentTypes)]
			if got := send(t, ct, bytes.NewReader(body), int64(len(body))); got >= 500 {
				t.Errorf("%s: status %d", entry.Name(), got)
			}
		}
	})
}

// statusRecorder remembers the status a handler writes.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// readFuzzSeed reads a "go test fuzz v1" file of FuzzParseBody: a byte
// selector and a body.
func readFuzzSeed(t *testing.T, path string) (byte, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(data), "\n", 3)
	if len(lines) < 3 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a fuzz seed", path)
	}
	var sel byte
	if s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "byte("), ")")); err == nil && len(s) == 1 {
		sel = s[0]
	} else {
		t.Fatalf("%s: selector %q", path, lines[1])
	}
	lit := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(lines[2]), "[]byte("), ")")
	body, err := strconv.Unquote(lit)
	if err != nil {
		t.Fatalf("%s: body: %v", path, err)
	}
	return sel, []byte(body)
}
