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

	"go.uber.org/goleak"
)

// TestClientLeavesNoGoroutines drives the retry paths (503s, 429s, timeouts,
// cancellation during backoff, Add's reconciliation) against a real loopback
// server, then checks that nothing the client started is still running.
func TestClientLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
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
	// A timeout is ambiguous: Add lists once and says the outcome is unknown.
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
