package smtp2gotest_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/webhook"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/testwait"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

func TestDeliverDefaults(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	ev := smtp2gotest.SampleEvent(smtp2go.EventBounce)
	ev.Fields = map[string][]string{"x-customer-id": {"42"}}
	before := time.Now()
	d, err := smtp2gotest.Deliver(context.Background(), rc.URL+"/hook", ev,
		smtp2gotest.WithHeaders("X-Customer-Id"), smtp2gotest.WithHeaders("X-Account"),
		nil, smtp2gotest.WithTimeout(0), smtp2gotest.WithHTTPClient(nil))
	if err != nil || !d.OK() || d.Err != nil {
		t.Fatalf("Deliver = %+v, %v", d, err)
	}
	if d.WebhookID != 0 || d.Attempt != 1 || d.Format != smtp2go.OutputForm || d.Type != smtp2go.EventBounce ||
		d.URL != rc.URL+"/hook" || !eventIDRE.MatchString(d.EventID) || d.Latency <= 0 || d.Time.Before(before) {
		t.Errorf("Delivery = %+v", d)
	}
	h := rc.next(t)
	f := h.form(t)
	if f.Get("X-Customer-Id") != "42" || f.Get("X-Account") != "Headers Unavailable" || f.Get("id") != d.EventID {
		t.Errorf("body %v: want X-Customer-Id 42, X-Account Headers Unavailable, id %s", f, d.EventID)
	}
	if _, ok := f["x-customer-id"]; ok {
		t.Error("the header is sent twice")
	}
	if a := h.Header.Get("Authorization"); a != "" {
		t.Errorf("Authorization = %q, want none", a)
	}
}

func TestDeliverFormatAndAuth(t *testing.T) {
	t.Parallel()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("u:p w"))
	tests := []struct {
		name   string
		url    func(base string) string
		opts   []smtp2gotest.DeliverOption
		format smtp2go.OutputFormat
		auth   string
	}{
		{"json bearer", nil, []smtp2gotest.DeliverOption{smtp2gotest.WithFormat(smtp2go.OutputJSON), smtp2gotest.WithBearerToken("t0k")}, smtp2go.OutputJSON, "Bearer t0k"},
		{"basic", nil, []smtp2gotest.DeliverOption{smtp2gotest.WithBearerToken("t0k"), smtp2gotest.WithBasicAuth("u", "p w")}, smtp2go.OutputForm, basic},
		{"url userinfo", func(b string) string { return strings.Replace(b, "://", "://u:p%20w@", 1) }, nil, smtp2go.OutputForm, basic},
		{"option over userinfo", func(b string) string { return strings.Replace(b, "://", "://x:y@", 1) }, []smtp2gotest.DeliverOption{smtp2gotest.WithBearerToken("t0k")}, smtp2go.OutputForm, "Bearer t0k"},
		{"empty format is form", nil, []smtp2gotest.DeliverOption{smtp2gotest.WithFormat("")}, smtp2go.OutputForm, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, nil)
			target := rc.URL
			if tt.url != nil {
				target = tt.url(target)
			}
			ev := smtp2gotest.SampleEvent(smtp2go.EventSMSDelivered)
			ev.ID = "ffeeddccbbaa99887766554433221100"
			d, err := smtp2gotest.Deliver(context.Background(), target, ev, tt.opts...)
			if err != nil || !d.OK() || d.Format != tt.format || d.EventID != ev.ID {
				t.Fatalf("Deliver = %+v, %v", d, err)
			}
			h := rc.next(t)
			if got := h.Header.Get("Authorization"); got != tt.auth {
				t.Errorf("Authorization = %q, want %q", got, tt.auth)
			}
			var id any
			if tt.format == smtp2go.OutputJSON {
				id = h.json(t)["id"]
			} else {
				id = h.form(t).Get("id")
			}
			if id != ev.ID {
				t.Errorf("id = %v, want %s", id, ev.ID)
			}
		})
	}
}

func TestDeliverNon2xxIsNotAnError(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
	d, err := smtp2gotest.Deliver(context.Background(), rc.URL, smtp2gotest.SampleEvent(smtp2go.EventOpen))
	if err != nil || d.Status != http.StatusUnauthorized || d.OK() || d.Err != nil {
		t.Errorf("Deliver = %+v, %v; want status 401 and no error", d, err)
	}
}

func TestDeliverCannotBuild(t *testing.T) {
	t.Parallel()
	sample := smtp2gotest.SampleEvent(smtp2go.EventClick)
	tests := []struct {
		name string
		url  string
		ev   webhook.Event
		opts []smtp2gotest.DeliverOption
	}{
		{"no type", "http://127.0.0.1:1/", webhook.Event{}, nil},
		{"not http", "ftp://example.com/hook", sample, nil},
		{"relative", "/hook", sample, nil},
		{"unparsable", "http://[::1", sample, nil},
		{"unknown format", "http://127.0.0.1:1/", sample, []smtp2gotest.DeliverOption{smtp2gotest.WithFormat("xml")}},
	}
	for _, tt := range tests {
		d, err := smtp2gotest.Deliver(context.Background(), tt.url, tt.ev, tt.opts...)
		if err == nil || d.Err != err || d.Status != 0 || d.Attempt != 1 {
			t.Errorf("%s: Deliver = %+v, %v; want an error, also in Err", tt.name, d, err)
		}
	}
}

func TestDeliverTransportErrors(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(http.NotFoundHandler())
	target := dead.URL + "/hook?token=topsecret"
	dead.Close()
	d, err := smtp2gotest.Deliver(context.Background(), target, smtp2gotest.SampleEvent(smtp2go.EventSpam))
	if err == nil || d.Err != err || d.Status != 0 || d.Latency <= 0 {
		t.Errorf("Deliver to a closed port = %+v, %v", d, err)
	}
	if err != nil && strings.Contains(err.Error(), "topsecret") {
		t.Errorf("error %q reveals the URL's secret", err)
	}

	rc, _ := hanging(t)
	d, err = smtp2gotest.Deliver(context.Background(), rc.URL+"?token=topsecret", smtp2gotest.SampleEvent(smtp2go.EventSpam),
		smtp2gotest.WithTimeout(20*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) || d.Err != err || d.Status != 0 {
		t.Errorf("Deliver to a hanging receiver = %+v, %v; want a timeout", d, err)
	}
	if err != nil && strings.Contains(err.Error(), "topsecret") {
		t.Errorf("error %q reveals the URL's secret", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := smtp2gotest.Deliver(ctx, rc.URL, smtp2gotest.SampleEvent(smtp2go.EventSpam)); !errors.Is(err, context.Canceled) {
		t.Errorf("Deliver with a cancelled context: %v", err)
	}
}

func TestDeliverWithHTTPClient(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Content-Type")
	}))
	defer ts.Close()
	d, err := smtp2gotest.Deliver(context.Background(), ts.URL, smtp2gotest.SampleEvent(smtp2go.EventDelivered),
		smtp2gotest.WithHTTPClient(ts.Client()), smtp2gotest.WithFormat(smtp2go.OutputJSON))
	if err != nil || !d.OK() {
		t.Fatalf("Deliver over TLS = %+v, %v", d, err)
	}
	if ct := testwait.Receive(t, got, "the request"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}
