package fakesmtp2go

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/testwait"
)

// capture is a receiver that keeps the last body it got.
func capture(t *testing.T) (*httptest.Server, <-chan []byte) {
	t.Helper()
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	t.Cleanup(srv.Close)
	return srv, bodies
}

func TestDeliverFieldsOverrideAndAdd(t *testing.T) {
	t.Parallel()
	fields := map[string]string{
		"rcpt":        "vip@example.org", // a wire field
		"SUBJECT":     "Overridden",      // any case; form bodies' "Subject" too
		"bounce":      "soft",
		"read-secs":   "30",                // a number field
		"context":     "",                  // dropped
		"X-Tenant-Id": "tenant-7",          // not a wire field: added
		"recipients":  "a@x.test,b@x.test", // a list
	}
	ev := SampleEvent(smtp2go.EventBounce)

	t.Run("form", func(t *testing.T) {
		t.Parallel()
		srv, bodies := capture(t)
		if _, err := Deliver(t.Context(), srv.URL, ev, DeliverConfig{Fields: fields}); err != nil {
			t.Fatal(err)
		}
		form, err := url.ParseQuery(string(testwait.Receive(t, bodies, "the delivery")))
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]string{"rcpt": "vip@example.org", "subject": "Overridden", "Subject": "Overridden",
			"bounce": "soft", "read-secs": "30", "X-Tenant-Id": "tenant-7", "event": "bounce"} {
			if got := form.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if form.Has("context") {
			t.Error("context was not dropped")
		}
		if got := form["recipients"]; strings.Join(got, " ") != "a@x.test b@x.test" {
			t.Errorf("recipients = %q", got)
		}
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		srv, bodies := capture(t)
		if _, err := Deliver(t.Context(), srv.URL, ev, DeliverConfig{Format: formatJSON, Fields: fields}); err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(testwait.Receive(t, bodies, "the delivery"), &got); err != nil {
			t.Fatal(err)
		}
		if got["read-secs"] != float64(30) || got["subject"] != "Overridden" || got["X-Tenant-Id"] != "tenant-7" || got["context"] != nil {
			t.Errorf("body %v", got)
		}
	})
	t.Run("a number field given a word", func(t *testing.T) {
		t.Parallel()
		_, err := Deliver(t.Context(), "http://127.0.0.1:1/", ev, DeliverConfig{Fields: map[string]string{"read-secs": "long"}})
		if err == nil || !strings.Contains(err.Error(), "read-secs") {
			t.Errorf("err = %v, want one naming read-secs", err)
		}
	})
}

func TestOnRequestSeesEachAnswer(t *testing.T) {
	t.Parallel()
	seen := make(chan Request, 4)
	cfg := DefaultConfig()
	cfg.OnRequest = func(r Request) { seen <- r }
	fk := New(cfg)
	srv := httptest.NewServer(fk)
	t.Cleanup(func() { fk.Close(); srv.Close() })
	fk.Fail("webhook/add", Fault{DropBeforeProcessing: true})

	for _, path := range []string{"/v3/webhook/view", "/other", "/v3/webhook/add"} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(apiKeyHeader, fk.APIKey())
		if resp, err := srv.Client().Do(req); err == nil {
			resp.Body.Close()
		}
		r := testwait.Receive(t, seen, "OnRequest for "+path)
		if r.Header.Get(apiKeyHeader) != redacted {
			t.Errorf("%s: the key was not redacted", path)
		}
		want := map[string]int{"/v3/webhook/view": 200, "/other": 404, "/v3/webhook/add": 0}[path]
		if r.Status != want {
			t.Errorf("%s: status %d, want %d", path, r.Status, want)
		}
	}
}
