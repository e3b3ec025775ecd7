package smtp2go_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/relaykit/smtp2go"
)

// benchServer answers webhook/view and webhook/add on loopback with the
// fixtures the tests use.
func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	view, err := os.ReadFile("testdata/view_array.json")
	if err != nil {
		b.Fatal(err)
	}
	add, err := os.ReadFile("testdata/add_documented.json")
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v3/webhook/view":
			_, _ = w.Write(view)
		case "/v3/webhook/add":
			_, _ = w.Write(add)
		default:
			http.NotFound(w, r)
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkWebhooksList(b *testing.B) {
	srv := benchServer(b)
	c, err := smtp2go.NewClient(testKey, smtp2go.WithBaseURL(srv.URL+"/v3/"), smtp2go.WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Webhooks.List(ctx, nil)
		if err != nil || len(res.Webhooks) != 2 {
			b.Fatal(res, err)
		}
	}
}

func BenchmarkWebhooksAdd(b *testing.B) {
	srv := benchServer(b)
	c, err := smtp2go.NewClient(testKey, smtp2go.WithBaseURL(srv.URL+"/v3/"), smtp2go.WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	req := documentedAdd
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Webhooks.Add(ctx, &req)
		if err != nil || res.Webhook.ID != 4320 {
			b.Fatal(res, err)
		}
	}
}

// baselineWebhook is what a hand-written client would decode into.
type baselineWebhook struct {
	ID              int64    `json:"id"`
	URL             string   `json:"url"`
	Events          []string `json:"events"`
	SMSEvents       []string `json:"sms_events"`
	Headers         []string `json:"headers"`
	Usernames       []string `json:"usernames"`
	OutputFormat    string   `json:"output_format"`
	AuthHeaderType  string   `json:"auth_header_type"`
	AuthHeaderValue string   `json:"auth_header_value"`
}

// baselineCall is the same request made with bare net/http and
// encoding/json: no retries, no tolerance for the API's quirks.
func baselineCall(ctx context.Context, hc *http.Client, url string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-Smtp2go-Api-Key", testKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "baseline/1")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func BenchmarkWebhooksListBaseline(b *testing.B) {
	srv := benchServer(b)
	hc, ctx := srv.Client(), context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var out struct {
			RequestID string            `json:"request_id"`
			Data      []baselineWebhook `json:"data"`
		}
		if err := baselineCall(ctx, hc, srv.URL+"/v3/webhook/view", struct{}{}, &out); err != nil || len(out.Data) != 2 {
			b.Fatal(out, err)
		}
	}
}

func BenchmarkWebhooksAddBaseline(b *testing.B) {
	srv := benchServer(b)
	hc, ctx := srv.Client(), context.Background()
	req := documentedAdd
	b.ReportAllocs()
	for b.Loop() {
		var out struct {
			RequestID string `json:"request_id"`
			Data      struct {
				ID  int64  `json:"id"`
				URL string `json:"url"`
				// The documented response sends headers and usernames as
				// strings; a bare decoder must give them a type that fits.
				Events    []string `json:"events"`
				SMSEvents []string `json:"sms_events"`
				Headers   string   `json:"headers"`
				Usernames string   `json:"usernames"`
				Output    string   `json:"output_format"`
			} `json:"data"`
		}
		if err := baselineCall(ctx, hc, srv.URL+"/v3/webhook/add", &req, &out); err != nil || out.Data.ID != 4320 {
			b.Fatal(out, err)
		}
	}
}
