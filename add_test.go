package smtp2go_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/relaykit/smtp2go"
)

// TestAddAtMostOnce plays each way a webhook/add can fail. What provably
// created nothing (a connection never made, a 429) is retried; anything else
// is sent once and answered with ErrOutcomeUnknown, the underlying error,
// and the IDs of the matching webhooks one list found.
func TestAddAtMostOnce(t *testing.T) {
	t.Parallel()
	refused := httpmock.NewErrorResponder(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
	noSuchHost := httpmock.NewErrorResponder(&net.DNSError{Err: "no such host", Name: "api.test", IsNotFound: true})
	reset := httpmock.NewErrorResponder(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET})
	hang := func(req *http.Request) (*http.Response, error) {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	cutOff := func(req *http.Request) (*http.Response, error) {
		body := io.MultiReader(strings.NewReader(`{"request_id":"r","data":{"id":43`), iotest.ErrReader(syscall.ECONNRESET))
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(body), Request: req}, nil
	}
	added := fixture(t, 200, "add_documented.json")
	// The documented webhook, and one with its URL set up otherwise.
	matching := raw(200, "application/json", `{"request_id":"list-1","data":[{"id":4320,"url":"https://example.com/test-webhook","events":["processed"],"headers":"X-Test-Header","usernames":"MyUser1","sms_events":["sending"],"output_format":"json"},{"id":17,"url":"https://example.com/test-webhook","events":["bounce"]},{"id":4000,"url":"https://example.com/test-webhook","events":["processed"],"headers":["X-Test-Header"],"usernames":["MyUser1"],"sms_events":["sending"],"output_format":"json"}]}`, nil)
	different := raw(200, "application/json", `{"request_id":"list-2","data":[{"id":17,"url":"https://example.com/test-webhook","events":["bounce"]}]}`, nil)

	tests := []struct {
		name       string
		add, view  []httpmock.Responder
		wantAdds   int
		wantViews  int
		wantID     int64   // on success
		wantIs     error   // what the error matches, besides ErrOutcomeUnknown when candidates is not nil
		candidates []int64 // nil: not an OutcomeUnknownError
	}{
		{"503", []httpmock.Responder{raw(503, "text/html", "", nil)}, []httpmock.Responder{matching}, 1, 1, 0, smtp2go.ErrServer, []int64{4000, 4320}},
		{"reset", []httpmock.Responder{reset}, []httpmock.Responder{matching}, 1, 1, 0, syscall.ECONNRESET, []int64{4000, 4320}},
		{"timeout", []httpmock.Responder{hang}, []httpmock.Responder{different}, 1, 1, 0, context.DeadlineExceeded, []int64{}},
		{"2xx cut off", []httpmock.Responder{cutOff}, []httpmock.Responder{different}, 1, 1, 0, syscall.ECONNRESET, []int64{}},
		{"2xx without a webhook", []httpmock.Responder{raw(200, "application/json", `{"request_id":"r","data":{}}`, nil)}, []httpmock.Responder{matching}, 1, 1, 0, nil, []int64{4000, 4320}},
		{"2xx that does not decode", []httpmock.Responder{raw(200, "application/json", `{"request_id":"r","data":{"id":"x1"`, nil)}, []httpmock.Responder{different}, 1, 1, 0, nil, []int64{}},
		{"429, then 503", []httpmock.Responder{raw(429, "application/json", "{}", nil), raw(503, "text/plain", "", nil)}, []httpmock.Responder{different}, 2, 1, 0, smtp2go.ErrServer, []int64{}},
		{"the list fails too", []httpmock.Responder{raw(502, "text/plain", "", nil)}, []httpmock.Responder{fixture(t, 403, "error_permission_403.json")}, 1, 1, 0, smtp2go.ErrServer, []int64{}},
		{"refused: retried", []httpmock.Responder{refused, refused, added}, nil, 3, 0, 4320, nil, nil},
		{"no such host: retried", []httpmock.Responder{noSuchHost, added}, nil, 2, 0, 4320, nil, nil},
		{"429: retried", []httpmock.Responder{raw(429, "application/json", "{}", nil), added}, nil, 2, 0, 4320, nil, nil},
		{"refused until retries run out: nothing was sent", []httpmock.Responder{refused}, nil, 4, 0, 0, syscall.ECONNREFUSED, nil},
		{"400: refused", []httpmock.Responder{fixture(t, 400, "error_field_object_400.json")}, nil, 1, 0, 0, smtp2go.ErrBadRequest, nil},
		{"documented shape as an array of one", []httpmock.Responder{raw(200, "application/json", `{"request_id":"r","data":[{"id":77,"url":"https://example.com/test-webhook"}]}`, nil)}, nil, 1, 0, 77, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on("webhook/add", tt.add...)
			if tt.view != nil {
				api.on("webhook/view", tt.view...)
			}
			req := documentedAdd
			res, err := api.client(smtp2go.WithTimeout(20*time.Millisecond)).Webhooks.Add(context.Background(), &req)
			if a, v := api.count("webhook/add"), api.count("webhook/view"); a != tt.wantAdds || v != tt.wantViews {
				t.Errorf("sent %d adds and %d views, want %d and %d", a, v, tt.wantAdds, tt.wantViews)
			}
			if tt.wantID != 0 {
				if err != nil || res.Webhook.ID != tt.wantID {
					t.Fatalf("Add = %v, %v; want webhook %d", res, err, tt.wantID)
				}
				return
			}
			if err == nil {
				t.Fatalf("Add succeeded: %v", res)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error = %v, want it to match %v", err, tt.wantIs)
			}
			var unknown *smtp2go.OutcomeUnknownError
			if tt.candidates == nil {
				if errors.Is(err, smtp2go.ErrOutcomeUnknown) || errors.As(err, &unknown) {
					t.Errorf("error = %v: nothing was created, the outcome is known", err)
				}
				return
			}
			if !errors.Is(err, smtp2go.ErrOutcomeUnknown) || !errors.As(err, &unknown) {
				t.Fatalf("error = %v, want ErrOutcomeUnknown", err)
			}
			if !slices.Equal(unknown.Candidates, tt.candidates) && len(unknown.Candidates)+len(tt.candidates) > 0 {
				t.Errorf("Candidates = %v, want %v", unknown.Candidates, tt.candidates)
			}
			if len(tt.candidates) > 0 && !strings.Contains(err.Error(), "webhooks set up as asked: 4000, 4320") {
				t.Errorf("Error() = %q, want it to name the candidates", err)
			}
			var apiErr *smtp2go.APIError
			var netErr *smtp2go.NetworkError
			if !errors.As(err, &apiErr) && !errors.As(err, &netErr) {
				t.Errorf("error = %v: want the *APIError or *NetworkError underneath", err)
			}
			if errors.Is(err, smtp2go.ErrForbidden) {
				t.Errorf("error = %v matches the list's error; it should answer for the add only", err)
			}
		})
	}
}

func TestAddCountsEveryAttempt(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/add", raw(429, "application/json", "{}", nil), raw(429, "application/json", "{}", nil), raw(500, "text/plain", "", nil))
	api.on("webhook/view", fixture(t, 200, "view_array.json"))
	_, err := api.client().Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/a"})
	var apiErr *smtp2go.APIError
	if !errors.As(err, &apiErr) || apiErr.Attempts != 3 || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("error = %v, want the 3 adds counted", err)
	}
	if !strings.Contains(err.Error(), "outcome unknown") || !strings.Contains(err.Error(), "no webhook set up as asked") {
		t.Errorf("error = %q, want it to say the outcome is unknown and what the list showed", err)
	}
}

// TestAddAndTheContext: a caller who gives up while the add is on the wire
// does not know whether it was carried out either; one who gave up before
// it was sent does.
func TestAddAndTheContext(t *testing.T) {
	t.Parallel()
	cancelling := func(cancel context.CancelFunc, status int) httpmock.Responder {
		return func(req *http.Request) (*http.Response, error) {
			cancel()
			if status != 0 {
				return raw(status, "text/plain", "", nil)(req)
			}
			return nil, req.Context().Err()
		}
	}
	tests := []struct {
		name      string
		add, view func(cancel context.CancelFunc) httpmock.Responder
		before    bool // cancel before calling Add
		unknown   bool
		wantAdds  int
		wantIs    error
		wantText  string // in the error
	}{
		{"cancelled while Add looks",
			func(context.CancelFunc) httpmock.Responder { return raw(503, "text/plain", "", nil) },
			func(cancel context.CancelFunc) httpmock.Responder { return cancelling(cancel, 0) }, false, true, 1, smtp2go.ErrServer,
			"listing to look failed: smtp2go: webhook/view: context canceled"},
		{"cancelled while the add is under way",
			func(cancel context.CancelFunc) httpmock.Responder { return cancelling(cancel, 0) }, nil, false, true, 1, nil,
			"smtp2go: webhook/add: context canceled (outcome unknown: it may have been carried out; the context ended before a list could tell: context canceled)"},
		{"cancelled before the add was sent",
			func(context.CancelFunc) httpmock.Responder { return fixture(t, 200, "add_documented.json") }, nil, true, false, 0, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			api.on("webhook/add", tt.add(cancel))
			if tt.view != nil {
				api.on("webhook/view", tt.view(cancel))
			}
			if tt.before {
				cancel()
			}
			_, err := api.client().Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/a"})
			if !errors.Is(err, context.Canceled) || errors.Is(err, smtp2go.ErrOutcomeUnknown) != tt.unknown || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
				t.Errorf("error = %v; want context.Canceled, outcome unknown %t, and %v", err, tt.unknown, tt.wantIs)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to say %q", err, tt.wantText)
			}
			if n := api.count("webhook/add"); n != tt.wantAdds {
				t.Errorf("sent %d adds, want %d", n, tt.wantAdds)
			}
		})
	}
}

// TestAddCancelledAfterA429: a 429 created nothing, so a caller who gives up
// while Add waits to retry it knows the outcome.
func TestAddCancelledAfterA429(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/add", raw(429, "application/json", `{"request_id":"r429","data":{}}`, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The context ends once the 429 is back, while Add waits to retry.
	cancelAfter := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		defer cancel()
		return api.mt.RoundTrip(req)
	})
	c := api.client(smtp2go.WithHTTPClient(&http.Client{Transport: cancelAfter}), smtp2go.WithRetryWait(time.Hour, time.Hour))
	_, err := c.Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/a"})
	if !errors.Is(err, smtp2go.ErrRateLimited) || errors.Is(err, smtp2go.ErrOutcomeUnknown) {
		t.Errorf("error = %v; want the 429, and no unknown outcome", err)
	}
	if n := api.count("webhook/add"); n != 1 {
		t.Errorf("sent %d adds, want 1", n)
	}
}
