package smtp2go

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/internal/leakcheck"
)

// TestClientLeavesNoGoroutines drives the retry paths (503s, 429s, timeouts,
// cancellation during backoff, Add's reconciliation) against a real loopback
// server, then checks that nothing the client started is still running.
func TestClientLeavesNoGoroutines(t *testing.T) {
	leakcheck.Check(t)
	var calls atomic.Int32
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case r.URL.Path == "/v3/webhook/view" && n%3 != 0:
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/v3/webhook/view":
			_, _ = w.Write([]byte(`{"request_id":"r","data":[]}`))
		case r.URL.Path == "/v3/webhook/add" && r.Header.Get("X-Test") == "hang":
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		case r.URL.Path == "/v3/webhook/add":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	defer close(hang)
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "add") && r.Context().Value(hangKey{}) != nil {
			r.Header.Set("X-Test", "hang")
		}
		return transport.RoundTrip(r)
	})}
	c, err := NewClient("api-leaktest0123456789abcdef01234567", WithBaseURL(srv.URL+"/v3/"), WithHTTPClient(hc),
		WithRetryWait(time.Millisecond, 2*time.Millisecond), WithTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 5 {
		if _, err := c.Webhooks.List(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Webhooks.Add(ctx, &AddWebhookRequest{URL: "https://example.com/a"}); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("Add = %v, want ErrRateLimited", err)
	}
	// A timeout is ambiguous: Add lists, finds nothing and tries again.
	if _, err := c.Webhooks.Add(context.WithValue(ctx, hangKey{}, true), &AddWebhookRequest{URL: "https://example.com/b"}); err == nil {
		t.Fatal("Add against a hanging server succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Webhooks.List(cancelled, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("List = %v", err)
	}
}

type hangKey struct{}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestHandlerLeavesNoGoroutines drives the handler through success,
// duplicates waiting while the first is in its callback, failures and panics,
// then closes the server and checks that nothing is left running.
func TestHandlerLeavesNoGoroutines(t *testing.T) {
	leakcheck.Check(t)
	release, entered := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	h := NewWebhookHandler(func(_ context.Context, ev *Event) error {
		switch calls.Add(1) {
		case 1:
			close(entered)
			<-release // hold the first delivery while its duplicates wait
		case 2:
			return errors.New("fails once")
		case 3:
			panic("callback panic")
		}
		return nil
	}, WithBearerToken("tok")).(*webhookHandler)
	waiting := make(chan struct{}, 3)
	h.onWait = func() { waiting <- struct{}{} }
	srv := httptest.NewServer(h)
	defer srv.Close()
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport}
	post := func(id string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("event=delivered&id="+id))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := hc.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	statuses := make(chan int, 4)
	go func() { statuses <- post("held") }()
	<-entered
	for range 3 {
		go func() { statuses <- post("held") }()
	}
	for range 3 {
		<-waiting // every duplicate is waiting for the first
	}
	close(release)
	for range 4 {
		if s := <-statuses; s != http.StatusOK {
			t.Errorf("held delivery or duplicate answered %d", s)
		}
	}
	if s := post("fails"); s != http.StatusInternalServerError {
		t.Errorf("failing callback answered %d", s)
	}
	if s := post("panics"); s != http.StatusInternalServerError {
		t.Errorf("panicking callback answered %d", s)
	}
	if s := post("fails"); s != http.StatusOK {
		t.Errorf("redelivery answered %d", s)
	}
}
