package smtp2go_test

// End-to-end tests: the real client against the fake SMTP2GO of package
// smtp2gotest, over real HTTP on loopback.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

// e2eEndpoints returns the endpoints of the requests srv received, in order.
func e2eEndpoints(srv *smtp2gotest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, r.Endpoint)
	}
	return out
}

// e2eStatuses returns the statuses srv answered, in order (0: dropped).
func e2eStatuses(srv *smtp2gotest.Server) []int {
	var out []int
	for _, r := range srv.Requests() {
		out = append(out, r.Status)
	}
	return out
}

// e2eSame compares webhooks field by field, the auth value included.
func e2eSame(a, b smtp2go.Webhook) bool {
	return a.ID == b.ID && a.URL == b.URL && a.OutputFormat == b.OutputFormat &&
		a.AuthHeaderType == b.AuthHeaderType && a.AuthHeaderValue == b.AuthHeaderValue &&
		slices.Equal(a.Events, b.Events) && slices.Equal(a.SMSEvents, b.SMSEvents) &&
		slices.Equal(a.Headers, b.Headers) && slices.Equal(a.Usernames, b.Usernames)
}

func e2eWantOne(t *testing.T, srv *smtp2gotest.Server, want smtp2go.Webhook) {
	t.Helper()
	got := srv.Webhooks()
	if len(got) != 1 || !e2eSame(got[0], want) {
		t.Fatalf("stored webhooks = %v, want only %v", got, want)
	}
}

func TestE2ELifecycle(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	client := srv.Client()
	ctx := context.Background()

	added, err := client.Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{
		URL:             "https://example.com/hooks/smtp2go",
		Events:          []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce},
		SMSEvents:       []smtp2go.SMSEventType{smtp2go.SMSFailed},
		Headers:         []string{"X-Customer-Id"},
		Usernames:       []string{"api-user"},
		OutputFormat:    smtp2go.OutputJSON,
		AuthHeaderType:  smtp2go.AuthBearer,
		AuthHeaderValue: "s3cret-token",
	})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	want := smtp2go.Webhook{
		ID: added.Webhook.ID, URL: "https://example.com/hooks/smtp2go",
		Events:    []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce},
		SMSEvents: []smtp2go.SMSEventType{smtp2go.SMSFailed}, Headers: []string{"X-Customer-Id"}, Usernames: []string{"api-user"},
		OutputFormat: smtp2go.OutputJSON, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: "s3cret-token",
	}
	if added.Webhook.ID < 1000 || !e2eSame(added.Webhook, want) || added.RequestID == "" {
		t.Fatalf("Add returned %+v (request %q)", added.Webhook, added.RequestID)
	}
	e2eWantOne(t, srv, want)

	list, err := client.Webhooks.List(ctx, nil)
	if err != nil || len(list.Webhooks) != 1 || !e2eSame(list.Webhooks[0], want) {
		t.Fatalf("List = %+v, %v", list, err)
	}
	got, err := client.Webhooks.Get(ctx, want.ID, nil)
	if err != nil || !e2eSame(*got, want) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := client.Webhooks.Get(ctx, want.ID+100, nil); !errors.Is(err, smtp2go.ErrNotFound) {
		t.Errorf("Get of a missing ID: %v, want ErrNotFound", err)
	}

	// Partial edits keep every field not named.
	edited, err := client.Webhooks.Edit(ctx, &smtp2go.EditWebhookRequest{ID: want.ID, URL: smtp2go.Ptr("https://example.com/hooks/v2")})
	if err != nil {
		t.Fatalf("Edit URL: %v", err)
	}
	want.URL = "https://example.com/hooks/v2"
	if !e2eSame(edited.Webhook, want) {
		t.Errorf("Edit returned %+v, want %+v", edited.Webhook, want)
	}
	e2eWantOne(t, srv, want)
	if _, err := client.Webhooks.Edit(ctx, &smtp2go.EditWebhookRequest{ID: want.ID, Events: []smtp2go.EventType{smtp2go.EventOpen}, Headers: []string{}}); err != nil {
		t.Fatalf("Edit events: %v", err)
	}
	want.Events, want.Headers = []smtp2go.EventType{smtp2go.EventOpen}, []string{}
	e2eWantOne(t, srv, want)
	if _, err := client.Webhooks.Edit(ctx, &smtp2go.EditWebhookRequest{ID: want.ID, AuthHeaderType: smtp2go.Ptr(smtp2go.AuthBasic), AuthHeaderValue: smtp2go.Ptr(smtp2go.Secret("dXNlcjpwYXNz"))}); err != nil {
		t.Fatalf("Edit auth: %v", err)
	}
	want.AuthHeaderType, want.AuthHeaderValue = smtp2go.AuthBasic, "dXNlcjpwYXNz"
	e2eWantOne(t, srv, want)

	removed, err := client.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: want.ID})
	if err != nil || removed.Webhook == nil || !e2eSame(*removed.Webhook, want) {
		t.Fatalf("Remove = %+v, %v", removed, err)
	}
	if n := len(srv.Webhooks()); n != 0 {
		t.Errorf("%d webhooks after Remove", n)
	}
	if _, err := client.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: want.ID}); !errors.Is(err, smtp2go.ErrBadRequest) {
		t.Errorf("second Remove: %v, want the fake's 400 webhook not found", err)
	}

	// What the client sent: one request per step, Edit reading the state first,
	// always the key in the header and never in the body.
	wantSent := []string{"webhook/add", "webhook/view", "webhook/view", "webhook/view",
		"webhook/view", "webhook/edit", "webhook/view", "webhook/edit", "webhook/view", "webhook/edit",
		"webhook/remove", "webhook/remove"}
	if got := e2eEndpoints(srv); !slices.Equal(got, wantSent) {
		t.Errorf("sent %v\nwant %v", got, wantSent)
	}
	for i, r := range srv.Requests() {
		if r.Method != http.MethodPost || r.Header.Get("X-Smtp2go-Api-Key") != "[redacted]" ||
			r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Accept") != "application/json" ||
			!strings.HasPrefix(r.Header.Get("User-Agent"), "smtp2go-go/") ||
			r.Header.Get("Authorization") != "" || strings.Contains(string(r.Body), "api_key") {
			t.Errorf("request %d (%s): header %v body %s", i, r.Endpoint, r.Header, r.Body)
		}
	}
}

func TestE2EEnsure(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	client := srv.Client()
	ctx := context.Background()
	req := &smtp2go.AddWebhookRequest{
		URL:    "https://example.com/ensure",
		Events: []smtp2go.EventType{smtp2go.EventBounce, smtp2go.EventDelivered},
	}
	for i, want := range []smtp2go.EnsureAction{smtp2go.EnsureCreated, smtp2go.EnsureUnchanged, smtp2go.EnsureUnchanged} {
		res, err := client.Webhooks.Ensure(ctx, req)
		if err != nil || res.Action != want {
			t.Fatalf("Ensure #%d = %+v, %v; want %s", i+1, res, err, want)
		}
	}
	if got, want := e2eEndpoints(srv), []string{"webhook/view", "webhook/add", "webhook/view", "webhook/view", "webhook/view"}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}

	req.Events = []smtp2go.EventType{smtp2go.EventBounce}
	req.OutputFormat = smtp2go.OutputJSON
	res, err := client.Webhooks.Ensure(ctx, req)
	if err != nil || res.Action != smtp2go.EnsureUpdated {
		t.Fatalf("Ensure after a change = %+v, %v", res, err)
	}
	stored := srv.Webhooks()
	if len(stored) != 1 || !slices.Equal(stored[0].Events, req.Events) || stored[0].OutputFormat != smtp2go.OutputJSON || stored[0].ID != res.Webhook.ID {
		t.Errorf("stored %v after update", stored)
	}
	if res, err := client.Webhooks.Ensure(ctx, req); err != nil || res.Action != smtp2go.EnsureUnchanged {
		t.Errorf("Ensure after update = %+v, %v", res, err)
	}
}

func TestE2EEnsureConcurrent(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	client := srv.Client()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := client.Webhooks.Ensure(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/once", Events: []smtp2go.EventType{smtp2go.EventOpen}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(srv.Webhooks()); n != 1 {
		t.Errorf("%d webhooks after 8 concurrent Ensures, want 1", n)
	}
}

func TestE2ESubaccount(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	client := srv.Client()
	ctx := context.Background()
	added, err := client.Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/sub", SubaccountID: "sa-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.SubaccountWebhooks("sa-1"); len(got) != 1 || got[0].ID != added.Webhook.ID {
		t.Errorf("subaccount webhooks = %v", got)
	}
	if len(srv.Webhooks()) != 0 {
		t.Error("the subaccount's webhook shows in the main account")
	}
	if _, err := client.Webhooks.Get(ctx, added.Webhook.ID, nil); !errors.Is(err, smtp2go.ErrNotFound) {
		t.Errorf("Get from the main account: %v", err)
	}
	if _, err := client.Webhooks.Edit(ctx, &smtp2go.EditWebhookRequest{ID: added.Webhook.ID, SubaccountID: "sa-1", Events: []smtp2go.EventType{smtp2go.EventSpam}}); err != nil {
		t.Fatal(err)
	}
	if got := srv.SubaccountWebhooks("sa-1")[0].Events; !slices.Equal(got, []smtp2go.EventType{smtp2go.EventSpam}) {
		t.Errorf("events after edit = %v", got)
	}
	if _, err := client.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: added.Webhook.ID, SubaccountID: "sa-1"}); err != nil {
		t.Fatal(err)
	}
}

func TestE2ELimit(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithWebhookLimit(1))
	client := srv.Client()
	ctx := context.Background()
	if _, err := client.Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/1"}); err != nil {
		t.Fatal(err)
	}
	_, err := client.Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/2"})
	var apiErr *smtp2go.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, smtp2go.ErrBadRequest) || apiErr.Code != "E_ApiResponseCodes.API_EXCEPTION" || apiErr.Attempts != 1 {
		t.Errorf("Add over the limit: %v", err)
	}
}

func TestE2EValidationError(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	// The SDK refuses an unknown event before sending; the fake refuses an
	// unknown ID, which the SDK cannot know about.
	_, err := srv.Client().Webhooks.Remove(context.Background(), &smtp2go.RemoveWebhookRequest{ID: 77})
	var apiErr *smtp2go.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "E_ApiResponseCodes.INVALID_IN_PAYLOAD" ||
		len(apiErr.FieldErrors) != 1 || apiErr.FieldErrors[0].Field != "id" || apiErr.RequestID == "" {
		t.Errorf("Remove of an unknown ID: %#v", err)
	}
}

func TestE2EWrongKey(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	client, err := smtp2go.NewClient("api-wrong", smtp2go.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Webhooks.List(context.Background(), nil); !errors.Is(err, smtp2go.ErrUnauthorized) {
		t.Errorf("List with a wrong key: %v", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests: a 401 must not be retried", n)
	}
}

func TestE2EDenyEndpoint(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	srv.DenyEndpoint("webhook/add")
	_, err := srv.Client().Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/x"})
	var apiErr *smtp2go.APIError
	if !errors.Is(err, smtp2go.ErrForbidden) || !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != permissionDenied {
		t.Errorf("Add on a denied endpoint: %v", err)
	}
	if got := e2eEndpoints(srv); !slices.Equal(got, []string{"webhook/add"}) {
		t.Errorf("sent %v, want one add and nothing else", got)
	}
}

func TestE2ERetries(t *testing.T) {
	t.Parallel()
	t.Run("503 twice then success", func(t *testing.T) {
		t.Parallel()
		srv := smtp2gotest.NewServer(t)
		srv.Fail("webhook/view", smtp2gotest.Fault{Status: 503, Times: 2})
		if _, err := srv.Client().Webhooks.List(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if got := e2eStatuses(srv); !slices.Equal(got, []int{503, 503, 200}) {
			t.Errorf("answered %v, want 503 503 200", got)
		}
	})
	t.Run("429 with a long Retry-After is capped", func(t *testing.T) {
		t.Parallel()
		srv := smtp2gotest.NewServer(t)
		// Retry-After: an hour. Uncapped, the test would hang.
		srv.Fail("webhook/view", smtp2gotest.Fault{Status: 429, RetryAfter: "3600"})
		if _, err := srv.Client(smtp2go.WithRetryWait(time.Millisecond, 20*time.Millisecond)).Webhooks.List(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if got := e2eStatuses(srv); !slices.Equal(got, []int{429, 200}) {
			t.Errorf("answered %v", got)
		}
	})
	t.Run("429 until retries run out", func(t *testing.T) {
		t.Parallel()
		srv := smtp2gotest.NewServer(t)
		srv.Fail("webhook/view", smtp2gotest.Fault{Status: 429, RetryAfter: "1", Times: 10})
		_, err := srv.Client().Webhooks.List(context.Background(), nil)
		var apiErr *smtp2go.APIError
		if !errors.Is(err, smtp2go.ErrRateLimited) || !errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want ErrRateLimited", err)
		}
		if apiErr.Attempts != defaultRetryMax+1 || apiErr.RetryAfter != time.Second ||
			apiErr.Code != "E_ApiResponseCodes.REQ_LIMIT_EXCEEDED" || apiErr.RequestID == "" {
			t.Errorf("APIError = %+v", apiErr)
		}
		if n := len(srv.Requests()); n != defaultRetryMax+1 {
			t.Errorf("sent %d requests", n)
		}
	})
	t.Run("4xx is not retried", func(t *testing.T) {
		t.Parallel()
		srv := smtp2gotest.NewServer(t)
		srv.Fail("webhook/view", smtp2gotest.Fault{Status: 402, Times: 5})
		if _, err := srv.Client().Webhooks.List(context.Background(), nil); !errors.Is(err, smtp2go.ErrRequestFailed) {
			t.Errorf("err = %v", err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("sent %d requests, want 1", n)
		}
	})
}

func TestE2EBrokenBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    smtp2gotest.Fault
		status   int
		sentinel error
		body     string // want in APIError.Body
		decode   bool   // want an error wrapping a JSON syntax error
		attempts int
	}{
		{"HTML from a proxy", smtp2gotest.Fault{Status: 502, Body: "<html><body>\n<h1>502 Bad Gateway</h1>\n</body></html>", Times: 10}, 502, smtp2go.ErrServer, "<h1>502 Bad Gateway</h1>", false, 4},
		{"empty 503", smtp2gotest.Fault{Status: 503, EmptyBody: true, Times: 10}, 503, smtp2go.ErrServer, "", false, 4},
		{"plain text 400", smtp2gotest.Fault{Status: 400, Body: "bad request", ContentType: "text/plain"}, 400, smtp2go.ErrBadRequest, "bad request", false, 1},
		// No excerpt of a 2xx body: it is webhook data, secrets included.
		{"malformed JSON with 200", smtp2gotest.Fault{Body: `{"request_id":"r","data":[{"id":1`, ContentType: "application/json"}, 200, nil, "", true, 1},
		{"empty 200", smtp2gotest.Fault{EmptyBody: true, ContentType: "application/json"}, 200, nil, "", true, 1},
		{"200 with the wrong data type", smtp2gotest.Fault{Body: `{"request_id":"r","data":"nope"}`}, 200, nil, "", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtp2gotest.NewServer(t)
			srv.Fail("webhook/view", tt.fault)
			_, err := srv.Client().Webhooks.List(context.Background(), nil)
			var apiErr *smtp2go.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Attempts != tt.attempts || (tt.sentinel != nil && !errors.Is(err, tt.sentinel)) {
				t.Errorf("APIError = %+v", apiErr)
			}
			if tt.body != "" && !strings.Contains(apiErr.Body, tt.body) {
				t.Errorf("Body = %q, want it to contain %q", apiErr.Body, tt.body)
			}
			if tt.status == 200 && apiErr.Body != "" {
				t.Errorf("Body = %q, want no excerpt of a 2xx body", apiErr.Body)
			}
			var syntaxErr *json.SyntaxError
			if tt.decode && !errors.As(err, &syntaxErr) {
				t.Errorf("err = %v, want it to wrap a *json.SyntaxError", err)
			}
			if tt.status == 200 && errors.Unwrap(err) == nil {
				t.Errorf("a 200 that cannot be decoded should wrap the decode error: %v", err)
			}
			if n := len(srv.Requests()); n != tt.attempts {
				t.Errorf("sent %d requests, want %d", n, tt.attempts)
			}
		})
	}
}

func TestE2ETimeout(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	// Hour-long delays: only the 50ms per-attempt timeout ends each attempt.
	srv.Fail("webhook/view", smtp2gotest.Fault{Delay: time.Hour, Times: 3})
	client := srv.Client(smtp2go.WithTimeout(50*time.Millisecond), smtp2go.WithRetryMax(2))
	_, err := client.Webhooks.List(context.Background(), nil)
	var netErr *smtp2go.NetworkError
	if !errors.As(err, &netErr) || netErr.Attempts != 3 || netErr.Endpoint != "webhook/view" {
		t.Fatalf("err = %v (%T), want a NetworkError after 3 attempts", err, err)
	}
	var timeout net.Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &timeout) || !timeout.Timeout() {
		t.Errorf("err = %v, want a timeout matching context.DeadlineExceeded", err)
	}
	if got := e2eStatuses(srv); !slices.Equal(got, []int{0, 0, 0}) {
		t.Errorf("answered %v, want three abandoned requests", got)
	}

	// A timeout on the first attempt only: the retry succeeds.
	srv.Fail("webhook/view", smtp2gotest.Fault{Delay: 2 * time.Second})
	if _, err := client.Webhooks.List(context.Background(), nil); err != nil {
		t.Errorf("List after one timeout: %v", err)
	}
}

// TestE2EAddAtMostOnce plays each failure of webhook/add after which the
// webhook may or may not exist: Add sends it once and says the outcome is
// unknown, naming the webhook if it exists; what provably created nothing
// is retried.
func TestE2EAddAtMostOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   smtp2gotest.Fault
		created bool // whether the webhook exists afterwards
		unknown bool // whether Add says the outcome is unknown
		adds    int
	}{
		{"dropped after processing", smtp2gotest.Fault{DropAfterProcessing: true}, true, true, 1},
		{"503 after processing", smtp2gotest.Fault{Status: 503, AfterProcessing: true}, true, true, 1},
		{"HTML 502 after processing", smtp2gotest.Fault{Status: 502, Body: "<html>502 Bad Gateway</html>", AfterProcessing: true}, true, true, 1},
		{"200 that does not decode, after processing", smtp2gotest.Fault{Body: `{"request_id":"r","data":{`, AfterProcessing: true}, true, true, 1},
		{"dropped before processing", smtp2gotest.Fault{DropBeforeProcessing: true}, false, true, 1},
		{"503 before processing", smtp2gotest.Fault{Status: 503}, false, true, 1},
		{"timed out before processing", smtp2gotest.Fault{Delay: time.Hour}, false, true, 1},
		{"429 is retried", smtp2gotest.Fault{Status: 429, RetryAfter: "0"}, true, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtp2gotest.NewServer(t)
			srv.Fail("webhook/add", tt.fault)
			client := srv.Client(smtp2go.WithTimeout(200 * time.Millisecond))
			res, err := client.Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{
				URL:    "https://example.com/once",
				Events: []smtp2go.EventType{smtp2go.EventDelivered},
			})
			stored := srv.Webhooks()
			if tt.created != (len(stored) == 1) || len(stored) > 1 {
				t.Fatalf("%d webhooks exist, want created=%t", len(stored), tt.created)
			}
			var unknown *smtp2go.OutcomeUnknownError
			switch {
			case !tt.unknown:
				if err != nil || !e2eSame(res.Webhook, stored[0]) {
					t.Errorf("Add = %v, %v; want the stored webhook", res, err)
				}
			case !errors.As(err, &unknown) || !errors.Is(err, smtp2go.ErrOutcomeUnknown):
				t.Errorf("Add = %v, %v; want ErrOutcomeUnknown", res, err)
			case tt.created && !slices.Equal(unknown.Candidates, []int64{stored[0].ID}):
				t.Errorf("Candidates = %v, want the stored webhook %d", unknown.Candidates, stored[0].ID)
			case !tt.created && len(unknown.Candidates) != 0:
				t.Errorf("Candidates = %v, want none", unknown.Candidates)
			}
			adds := 0
			for _, e := range e2eEndpoints(srv) {
				if e == "webhook/add" {
					adds++
				}
			}
			if adds != tt.adds {
				t.Errorf("sent %d adds, want %d: %v", adds, tt.adds, e2eEndpoints(srv))
			}
		})
	}
}

// TestE2EEnsureSettlesFailedAdds plays the same failures under Ensure, which
// must end each time with one webhook, the one it returns.
func TestE2EEnsureSettlesFailedAdds(t *testing.T) {
	t.Parallel()
	const (
		v = "webhook/view"
		a = "webhook/add"
	)
	tests := []struct {
		name     string
		faults   []smtp2gotest.Fault // on webhook/add
		wantSent []string
	}{
		{"dropped after processing", []smtp2gotest.Fault{{DropAfterProcessing: true}}, []string{v, a, v}},
		{"503 after processing", []smtp2gotest.Fault{{Status: 503, AfterProcessing: true}}, []string{v, a, v}},
		{"dropped before processing", []smtp2gotest.Fault{{DropBeforeProcessing: true}}, []string{v, a, v, a, v}},
		{"503 before processing", []smtp2gotest.Fault{{Status: 503}}, []string{v, a, v, a, v}},
		{"timed out before processing", []smtp2gotest.Fault{{Delay: time.Hour}}, []string{v, a, v, a, v}},
		{"two 503s in a row", []smtp2gotest.Fault{{Status: 503, Times: 2}}, []string{v, a, v, a, v, a, v}},
		{"three 503s in a row", []smtp2gotest.Fault{{Status: 503, Times: 3}}, []string{v, a, v, a, v, a, v, a, v}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtp2gotest.NewServer(t)
			for _, f := range tt.faults {
				srv.Fail("webhook/add", f)
			}
			res, err := srv.Client(smtp2go.WithTimeout(200*time.Millisecond)).Webhooks.Ensure(context.Background(), &smtp2go.AddWebhookRequest{
				URL:    "https://example.com/once",
				Events: []smtp2go.EventType{smtp2go.EventDelivered},
			})
			if err != nil {
				t.Fatalf("Ensure: %v", err)
			}
			stored := srv.Webhooks()
			if len(stored) != 1 || !e2eSame(res.Webhook, stored[0]) || res.Action != smtp2go.EnsureCreated {
				t.Errorf("Ensure = %s %v; stored %v", res.Action, res.Webhook, stored)
			}
			if got := e2eEndpoints(srv); !slices.Equal(got, tt.wantSent) {
				t.Errorf("sent %v, want %v", got, tt.wantSent)
			}
		})
	}
}

// TestE2EEnsureTwo503sWithDefaults: two 503s in a row on webhook/add must
// not make Ensure fail with the client's default settings (nothing shortened:
// the test waits the default backoff, a few seconds).
func TestE2EEnsureTwo503sWithDefaults(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	srv.Fail("webhook/add", smtp2gotest.Fault{Status: 503, Times: 2})
	client, err := smtp2go.NewClient(srv.APIKey, smtp2go.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Webhooks.Ensure(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/defaults"})
	if err != nil || res.Action != smtp2go.EnsureCreated {
		t.Fatalf("Ensure = %v, %v", res, err)
	}
	if n := len(srv.Webhooks()); n != 1 {
		t.Errorf("%d webhooks, want 1", n)
	}
}

// TestE2EEnsureLimit: on a free plan (one webhook), an add refused because
// another webhook fills the plan is an error, after one look.
func TestE2EEnsureLimit(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithWebhookLimit(1))
	client := srv.Client()
	ctx := context.Background()
	if _, err := client.Webhooks.Ensure(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/1"}); err != nil {
		t.Fatal(err)
	}
	_, err := client.Webhooks.Ensure(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/2"})
	var apiErr *smtp2go.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "E_ApiResponseCodes.API_EXCEPTION" || errors.Is(err, smtp2go.ErrOutcomeUnknown) {
		t.Errorf("Ensure over the limit: %v", err)
	}
	if got, want := e2eEndpoints(srv)[3:], []string{"webhook/view", "webhook/add", "webhook/view"}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}

// TestE2EEnsureDuplicates: identical webhooks with the URL, as a pod that
// died between adding and cleaning up leaves them, are removed but the
// lowest; a deliberate pair (differing in usernames) is never touched.
func TestE2EEnsureDuplicates(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	client := srv.Client()
	ctx := context.Background()
	req := smtp2go.AddWebhookRequest{URL: "https://example.com/dups", Events: []smtp2go.EventType{smtp2go.EventBounce}}
	pair := req
	pair.URL = "https://example.com/pair"
	var ids []int64
	for _, r := range []smtp2go.AddWebhookRequest{req, req, req} {
		added, err := client.Webhooks.Add(ctx, &r)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, added.Webhook.ID)
	}
	for _, user := range []string{"shop", "billing"} {
		p := pair
		p.Usernames = []string{user}
		if _, err := client.Webhooks.Add(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	before := srv.Webhooks()[3:]

	res, err := client.Webhooks.Ensure(ctx, &req)
	if err != nil || res.Action != smtp2go.EnsureUnchanged || res.Webhook.ID != ids[0] || !slices.Equal(res.Removed, ids[1:]) {
		t.Fatalf("Ensure = %+v, %v; want %d kept, %v removed", res, err, ids[0], ids[1:])
	}
	if res, err := client.Webhooks.Ensure(ctx, &req); err != nil || res.Action != smtp2go.EnsureUnchanged || res.Removed != nil {
		t.Errorf("later Ensure = %+v, %v", res, err)
	}
	_, err = client.Webhooks.Ensure(ctx, &pair)
	if !errors.Is(err, smtp2go.ErrDuplicateURL) {
		t.Errorf("Ensure of the pair's URL = %v, want ErrDuplicateURL", err)
	}
	after := srv.Webhooks()
	if len(after) != 3 || after[0].ID != ids[0] || !e2eSame(after[1], before[0]) || !e2eSame(after[2], before[1]) {
		t.Errorf("stored %v, want %d and the untouched pair %v", after, ids[0], before)
	}
}

// TestE2EShapes runs the same client code against every documented and live
// variant of the responses.
func TestE2EShapes(t *testing.T) {
	t.Parallel()
	for _, shape := range []smtp2gotest.ViewShape{smtp2gotest.ViewArray, smtp2gotest.ViewObject, smtp2gotest.ViewWrapped} {
		for _, stringLists := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stringLists=%v", shape, stringLists), func(t *testing.T) {
				t.Parallel()
				opts := []smtp2gotest.Option{smtp2gotest.WithViewShape(shape)}
				if stringLists {
					opts = append(opts, smtp2gotest.WithStringLists())
				}
				srv := smtp2gotest.NewServer(t, opts...)
				e2eLifecycle(t, srv.Client(), srv)
			})
		}
	}
}

// e2eLifecycle is client code as an application would write it: ensure, read
// back, change, remove. It holds one webhook at a time, as the single-object
// view shape can show no more.
func e2eLifecycle(t *testing.T, client *smtp2go.Client, srv *smtp2gotest.Server) {
	t.Helper()
	ctx := context.Background()
	req := &smtp2go.AddWebhookRequest{
		URL:       "https://example.com/shapes",
		Events:    []smtp2go.EventType{smtp2go.EventDelivered},
		Headers:   []string{"X-Customer-Id"},
		Usernames: []string{"MyUser1"},
	}
	for i, want := range []smtp2go.EnsureAction{smtp2go.EnsureCreated, smtp2go.EnsureUnchanged} {
		if res, err := client.Webhooks.Ensure(ctx, req); err != nil || res.Action != want {
			t.Fatalf("Ensure #%d = %+v, %v; want %s", i+1, res, err, want)
		}
	}
	list, err := client.Webhooks.List(ctx, nil)
	if err != nil || len(list.Webhooks) != 1 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	w := list.Webhooks[0]
	if !slices.Equal(w.Headers, req.Headers) || !slices.Equal(w.Usernames, req.Usernames) || w.OutputFormat != smtp2go.OutputForm {
		t.Errorf("listed %+v", w)
	}
	if _, err := client.Webhooks.Edit(ctx, &smtp2go.EditWebhookRequest{ID: w.ID, Usernames: []string{}}); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	got, err := client.Webhooks.Get(ctx, w.ID, nil)
	if err != nil || len(got.Usernames) != 0 || !slices.Equal(got.Headers, req.Headers) {
		t.Fatalf("Get after Edit = %+v, %v", got, err)
	}
	if _, err := client.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: w.ID}); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if list, err := client.Webhooks.List(ctx, nil); err != nil || len(list.Webhooks) != 0 {
		t.Fatalf("List after Remove = %+v, %v", list, err)
	}
	if n := len(srv.Webhooks()); n != 0 {
		t.Errorf("%d webhooks left", n)
	}
}

// TestE2EStringListsSeveral: with WithStringLists, a webhook with two headers
// is answered as "X-A,X-B" (the fake's guess at SMTP2GO's string form of a
// list). The client must read that back as two headers, or Add returns the
// wrong lists, Ensure never sees the webhook as unchanged, Edit refuses to
// send "X-A,X-B" as a header name, and Add's duplicate check misses.
func TestE2EStringListsSeveral(t *testing.T) {
	t.Parallel()
	req := smtp2go.AddWebhookRequest{
		URL:       "https://example.com/several",
		Events:    []smtp2go.EventType{smtp2go.EventBounce},
		Headers:   []string{"X-A", "X-B"},
		Usernames: []string{"u1", "u2"},
	}
	t.Run("Add returns the lists", func(t *testing.T) {
		t.Parallel()
		srv := smtp2gotest.NewServer(t, smtp2gotest.WithStringLists())
		res, err := srv.Client().Webhooks.Add(context.Background(), &req)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Webhook.Headers, req.Headers) || !slices.Equal(res.Webhook.Usernames, req.Usernames) {
			t.Errorf("Add returned %+v", res.Webhook)
		}
	})
	t.Run("Ensure is unchanged the second time", func(t *testing.T) {
		t.Parallel()
		srv := smtp2gotest.NewServer(t, smtp2gotest.WithStringLists())
		client := srv.Client()
		if _, err := client.Webhooks.Ensure(context.Background(), &req); err != nil {
			t.Fatal(err)
		}
		res, err := client.Webhooks.Ensure(context.Background(), &req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Action != smtp2go.EnsureUnchanged {
			t.Errorf("second Ensure: %s", res.Action)
		}
	})
	t.Run("Edit of another field", func(t *testing.T) {
		t.Parallel()
		srv := smtp2gotest.NewServer(t, smtp2gotest.WithStringLists())
		client := srv.Client()
		added, err := client.Webhooks.Add(context.Background(), &req)
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.Webhooks.Edit(context.Background(), &smtp2go.EditWebhookRequest{ID: added.Webhook.ID, URL: smtp2go.Ptr("https://example.com/moved")})
		if err != nil {
			t.Fatal(err)
		}
		if got := srv.Webhooks()[0]; !slices.Equal(got.Headers, req.Headers) || got.URL != "https://example.com/moved" {
			t.Errorf("stored %+v", got)
		}
	})
	t.Run("Add after a dropped connection", func(t *testing.T) {
		t.Parallel()
		srv := smtp2gotest.NewServer(t, smtp2gotest.WithStringLists())
		srv.Fail("webhook/add", smtp2gotest.Fault{DropAfterProcessing: true})
		_, err := srv.Client().Webhooks.Add(context.Background(), &req)
		var unknown *smtp2go.OutcomeUnknownError
		stored := srv.Webhooks()
		if !errors.As(err, &unknown) || len(stored) != 1 || !slices.Equal(unknown.Candidates, []int64{stored[0].ID}) {
			t.Errorf("Add = %v with %d stored; want the stored one as the candidate", err, len(stored))
		}
	})
}

// TestE2ERemoveWhoseAnswerWasLost: the first remove is carried out but its
// connection dropped; the retry is told the webhook does not exist. That is
// the success it looks like, not an error.
// TestE2ERemoveRefusedOnRetryIsNoSuccess: a retry of a remove refused with a
// 4xx is a success only if the webhook is gone, looked for where it lives:
// in its subaccount.
func TestE2ERemoveRefusedOnRetryIsNoSuccess(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	client := srv.Client()
	added, err := client.Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/kept", SubaccountID: "sa-1"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Fail("webhook/remove", smtp2gotest.Fault{Status: http.StatusServiceUnavailable})
	srv.Fail("webhook/remove", smtp2gotest.Fault{Status: http.StatusBadRequest})
	_, err = client.Webhooks.Remove(context.Background(), &smtp2go.RemoveWebhookRequest{ID: added.Webhook.ID, SubaccountID: "sa-1"})
	if !errors.Is(err, smtp2go.ErrBadRequest) {
		t.Errorf("Remove = %v; want the retry's 400, since the webhook is still there", err)
	}
	if _, err := client.Webhooks.Get(context.Background(), added.Webhook.ID, &smtp2go.GetWebhookOptions{SubaccountID: "sa-1"}); err != nil {
		t.Errorf("the webhook is gone: %v", err)
	}
}

func TestE2ERemoveWhoseAnswerWasLost(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	client := srv.Client()
	added, err := client.Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/gone"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Fail("webhook/remove", smtp2gotest.Fault{DropAfterProcessing: true})
	res, err := client.Webhooks.Remove(context.Background(), &smtp2go.RemoveWebhookRequest{ID: added.Webhook.ID})
	if err != nil || res.Webhook != nil {
		t.Fatalf("Remove = %+v, %v; want success without data", res, err)
	}
	if n := len(srv.Webhooks()); n != 0 {
		t.Errorf("%d webhooks left", n)
	}
	// A remove of an ID that never existed is still an error.
	if _, err := client.Webhooks.Remove(context.Background(), &smtp2go.RemoveWebhookRequest{ID: 999999}); !errors.Is(err, smtp2go.ErrBadRequest) {
		t.Errorf("Remove(999999) = %v, want the fake's 400", err)
	}
}
