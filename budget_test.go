package smtp2go_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/smtp2go"
)

// TestEnsureSpendsTheBudgetOnce: an add that answers 503, and views that
// all answer 503 after it, make one add and RetryMax+1 views after it, and
// the error counts the views really sent.
func TestEnsureSpendsTheBudgetOnce(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", fixture(t, 200, "view_empty.json"), raw(503, "text/plain", "", nil))
	api.on("webhook/add", raw(503, "text/plain", "", nil))
	req := documentedAdd
	_, err := api.client(smtp2go.WithRetryMax(3)).Webhooks.Ensure(context.Background(), &req)
	if !errors.Is(err, smtp2go.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "after 4 attempts") {
		t.Errorf("Ensure = %v; want an unknown outcome whose look failed after 4 attempts", err)
	}
	if adds, views := api.count("webhook/add"), api.count("webhook/view"); adds != 1 || views != 1+4 {
		t.Errorf("sent %d adds and %d views; want 1 add, and 4 views after the first", adds, views)
	}
}

// TestEnsureCountsAddAttempts: the adds Ensure may make are counted in
// attempts, as the client retries them, not in calls.
func TestEnsureCountsAddAttempts(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", fixture(t, 200, "view_empty.json"))
	// One call: two 429s the client retries, then a 503 it does not.
	api.on("webhook/add", raw(429, "text/plain", "", nil), raw(429, "text/plain", "", nil), raw(503, "text/plain", "", nil))
	req := documentedAdd
	_, err := api.client(smtp2go.WithRetryMax(2)).Webhooks.Ensure(context.Background(), &req)
	if !errors.Is(err, smtp2go.ErrOutcomeUnknown) {
		t.Errorf("Ensure = %v; want an unknown outcome", err)
	}
	if n := api.count("webhook/add"); n != 3 {
		t.Errorf("sent %d adds; want 3, the budget of RetryMax 2", n)
	}
}

// TestAddRefusedCertificateIsNotSent: a TLS handshake refused for the
// server's certificate sent nothing, so Add neither retries nor reports an
// unknown outcome, and does not look.
func TestAddRefusedCertificateIsNotSent(t *testing.T) {
	t.Parallel()
	reached := make(chan struct{}, 10)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached <- struct{}{} }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c, err := smtp2go.NewClient(testKey, smtp2go.WithBaseURL(srv.URL), smtp2go.WithRetryWait(0, 0),
		smtp2go.WithHTTPClient(&http.Client{Transport: &http.Transport{}}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/h"})
	var netErr *smtp2go.NetworkError
	if !errors.As(err, &netErr) || errors.Is(err, smtp2go.ErrOutcomeUnknown) || netErr.Attempts != 1 {
		t.Errorf("Add = %v; want a *NetworkError after one attempt, outcome known", err)
	}
	if len(reached) != 0 {
		t.Errorf("the server was reached %d times", len(reached))
	}
}

// TestCallersShorterTimeoutApplies: an *http.Client whose Timeout is
// shorter than the SDK's bounds each attempt.
func TestCallersShorterTimeoutApplies(t *testing.T) {
	t.Parallel()
	hang := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done()
		return nil, r.Context().Err()
	})
	c, err := smtp2go.NewClient(testKey, smtp2go.WithBaseURL(testBase), smtp2go.WithRetryMax(0), smtp2go.WithTimeout(time.Hour),
		smtp2go.WithHTTPClient(&http.Client{Transport: hang, Timeout: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Webhooks.List(context.Background(), nil)
		done <- err
	}()
	select {
	case err := <-done:
		var netErr *smtp2go.NetworkError
		if !errors.As(err, &netErr) {
			t.Errorf("List = %v; want a *NetworkError", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("List still waits: the caller's 1ms Timeout was not applied")
	}
}

// TestEditValidatesANewURL: a new URL is checked before anything is sent
// but the listing Edit reads.
func TestEditValidatesANewURL(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", view("v", documentedJSON(4320)))
	_, err := api.client().Webhooks.Edit(context.Background(), &smtp2go.EditWebhookRequest{ID: 4320, URL: smtp2go.Ptr("ftp://example.com/h")})
	var ve *smtp2go.ValidationError
	if !errors.As(err, &ve) || ve.Field != "url" {
		t.Errorf("Edit = %v; want a ValidationError for url", err)
	}
	if n := api.count("webhook/edit"); n != 0 {
		t.Errorf("sent %d edits", n)
	}
}

// TestScrubLongestFirst: a secret that holds another is removed whole.
func TestScrubLongestFirst(t *testing.T) {
	t.Parallel()
	const short, long = "pw-1234", "pw-1234-tail5678"
	hookURL := "https://hook:" + long + "@example.com/h"
	api := newMockAPI(t)
	api.on("webhook/add", raw(400, "application/json", `{"data":{"error":"bad url `+hookURL+`","error_code":"E_ApiResponseCodes.INVALID_IN_PAYLOAD"}}`, nil))
	_, err := api.client().Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: hookURL, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: short})
	if err == nil {
		t.Fatal("want an error")
	}
	noSecrets(t, "error", err.Error(), short, "tail5678")
}

// TestScrubJSONEscapedSecret: a proxy's error page that echoes the JSON
// body as sent shows an auth value as encoding/json escaped it.
func TestScrubJSONEscapedSecret(t *testing.T) {
	t.Parallel()
	const token = `tok/<"&>secret`
	const escaped = `tok/\u003c\"\u0026\u003esecret`
	api := newMockAPI(t)
	api.on("webhook/add", echoHTML(400))
	_, err := api.client().Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/h", AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: token})
	if err == nil || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("Add = %v; want an error with the echo, redacted", err)
	}
	noSecrets(t, "error", err.Error(), token, escaped)
	// Error quotes the excerpt, doubling its backslashes: the Body field
	// holds the echo as it came.
	var apiErr *smtp2go.APIError
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Body, "auth_header_value") {
		t.Fatalf("Add = %v; want an *APIError whose Body excerpt reaches the auth value", err)
	}
	noSecrets(t, "APIError.Body", apiErr.Body, token, escaped)
}
