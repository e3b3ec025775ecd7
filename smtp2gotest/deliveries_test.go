package smtp2gotest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/webhook"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/testwait"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

var (
	eventIDRE  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	timeRE     = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	sendTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$`)
)

// documentedFields is every top-level field name SMTP2GO documents or has
// been seen to send, spelt as sent.
var documentedFields = map[string]bool{
	"event": true, "time": true, "sendtime": true, "sender": true, "from": true, "from_address": true,
	"from_name": true, "rcpt": true, "recipients": true, "auth": true, "host": true, "message": true,
	"context": true, "email_id": true, "id": true, "message-id": true, "bounce": true, "subject": true,
	"user-agent": true, "read-secs": true, "client": true, "client-device": true, "client-os": true,
	"geoip-continent": true, "geoip-country": true, "geoip-city": true, "srchost": true,
	"opened-at": true, "clicked-at": true, "url": true, "Message-Id": true, "Subject": true,
	"destination_number": true, "source_number": true, "sender_email": true, "email_subject": true,
	"message_content": true, "message_id": true, "received_timestamp": true,
	"submitted_timestamp": true, "region": true, "retry_count": true, "status_code": true,
}

// allEventTypes is every email and SMS event.
func allEventTypes() []smtp2go.EventType {
	types := smtp2go.EmailEventTypes()
	for _, s := range smtp2go.SMSEventTypes() {
		types = append(types, s.EventType())
	}
	return types
}

// hit is one request a receiver got.
type hit struct {
	Method     string
	Host       string
	RequestURI string
	Header     http.Header
	Body       []byte
}

// form parses a form body.
func (h hit) form(t *testing.T) url.Values {
	t.Helper()
	if ct := h.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Fatalf("Content-Type = %q, want application/x-www-form-urlencoded", ct)
	}
	v, err := url.ParseQuery(string(h.Body))
	if err != nil {
		t.Fatalf("body %q: %v", h.Body, err)
	}
	return v
}

// json parses a JSON body, keeping numbers as json.Number.
func (h hit) json(t *testing.T) map[string]any {
	t.Helper()
	if ct := h.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	dec := json.NewDecoder(strings.NewReader(string(h.Body)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body %s: %v", h.Body, err)
	}
	return m
}

// receiver is a webhook endpoint on loopback: it records every request and
// answers with respond, 200 when respond is nil. n counts requests from 1.
type receiver struct {
	*httptest.Server
	hits chan hit
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{hits: make(chan hit, 256)}
	var n atomic.Int32
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.hits <- hit{Method: r.Method, Host: r.Host, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: body}
		if respond != nil {
			respond(int(n.Add(1)), w, r)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

// next returns the next request received. Emit returns after the requests
// it made were answered, so after Emit the requests are all there.
func (rc *receiver) next(t *testing.T) hit {
	t.Helper()
	select {
	case h := <-rc.hits:
		return h
	default:
		t.Fatal("receiver: no request received")
		return hit{}
	}
}

// drain returns every request received and not yet read.
func (rc *receiver) drain() []hit {
	var out []hit
	for {
		select {
		case h := <-rc.hits:
			out = append(out, h)
		default:
			return out
		}
	}
}

// addWebhook creates a webhook on srv through the SDK.
func addWebhook(t *testing.T, srv *smtp2gotest.Server, req smtp2go.AddWebhookRequest) smtp2go.Webhook {
	t.Helper()
	res, err := srv.Client().Webhooks.Add(context.Background(), &req)
	if err != nil {
		t.Fatalf("Add(%v): %v", req, err)
	}
	return res.Webhook
}

// emit emits ev on srv's main account and fails t on an error.
func emit(t *testing.T, srv *smtp2gotest.Server, ev webhook.Event) []smtp2gotest.Delivery {
	t.Helper()
	ds, err := srv.Emit(context.Background(), ev)
	if err != nil {
		t.Fatalf("Emit(%s): %v", ev.Type, err)
	}
	return ds
}

func sortedKeys[M ~map[string]V, V any](m M) []string { return slices.Sorted(maps.Keys(m)) }

func TestEmitFormBodyHasTheLiveCapturesFields(t *testing.T) {
	t.Parallel()
	capture, err := os.ReadFile("../webhook/testdata/events/delivered_live_capture.form")
	if err != nil {
		t.Fatal(err)
	}
	live, err := url.ParseQuery(strings.TrimSpace(string(capture)))
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp2gotest.NewServer(t)
	rc := newReceiver(t, nil)
	addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL, Events: []smtp2go.EventType{smtp2go.EventDelivered}})

	ds := emit(t, srv, smtp2gotest.SampleEvent(smtp2go.EventDelivered))
	if len(ds) != 1 || !ds[0].OK() {
		t.Fatalf("deliveries = %+v, want one OK", ds)
	}
	h := rc.next(t)
	if h.Method != http.MethodPost {
		t.Errorf("method = %s, want POST", h.Method)
	}
	if ua := h.Header.Get("User-Agent"); ua == "" || strings.HasPrefix(ua, "Go-http-client") {
		t.Errorf("User-Agent = %q, want the fake's own", ua)
	}
	got := h.form(t)
	if g, w := sortedKeys(got), sortedKeys(live); !slices.Equal(g, w) {
		t.Errorf("keys =\n%v\nwant the live capture's\n%v", g, w)
	}
	for _, k := range []string{"event", "email_id", "message-id", "Message-Id", "subject", "Subject", "host", "message", "context", "rcpt", "sender", "from_address", "sendtime"} {
		if g, w := got[k], live[k]; !slices.Equal(g, w) {
			t.Errorf("%s = %q, want %q as captured", k, g, w)
		}
	}
	if !timeRE.MatchString(got.Get("time")) || !sendTimeRE.MatchString(got.Get("sendtime")) {
		t.Errorf("time = %q, sendtime = %q: not in SMTP2GO's formats", got.Get("time"), got.Get("sendtime"))
	}
	if id := got.Get("id"); !eventIDRE.MatchString(id) || id != ds[0].EventID {
		t.Errorf("id = %q, want 32 hex digits equal to Delivery.EventID %q", id, ds[0].EventID)
	}
	if a := got.Get("auth"); a != "smtp-user@example.com" {
		t.Errorf("auth = %q", a)
	}
}

// TestDeliverResendsAParsedCaptureUnchanged checks that an event parsed from
// a live capture is sent again with exactly the same fields, the empty
// from_name included.
func TestDeliverResendsAParsedCaptureUnchanged(t *testing.T) {
	t.Parallel()
	capture, err := os.ReadFile("../webhook/testdata/events/delivered_live_capture.form")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimSpace(string(capture))
	ev, err := webhook.ParseBody("application/x-www-form-urlencoded", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t, nil)
	if _, err := smtp2gotest.Deliver(context.Background(), rc.URL, *ev); err != nil {
		t.Fatal(err)
	}
	want, _ := url.ParseQuery(body)
	if got := rc.next(t).form(t); !equalValues(got, want) {
		t.Errorf("sent\n%v\nwant the capture\n%v", got, want)
	}
}

func equalValues(a, b url.Values) bool {
	return maps.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

// TestBodiesUseOnlyDocumentedNames sends every sample in both formats and
// checks the names, the JSON types and that the two formats agree.
func TestBodiesUseOnlyDocumentedNames(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	form, js := newReceiver(t, nil), newReceiver(t, nil)
	for _, rc := range []struct {
		url    string
		format smtp2go.OutputFormat
	}{{form.URL, smtp2go.OutputForm}, {js.URL, smtp2go.OutputJSON}} {
		addWebhook(t, srv, smtp2go.AddWebhookRequest{
			URL: rc.url, Events: smtp2go.EmailEventTypes(), SMSEvents: smtp2go.SMSEventTypes(), OutputFormat: rc.format,
		})
	}
	for _, typ := range allEventTypes() {
		ds := emit(t, srv, smtp2gotest.SampleEvent(typ))
		if len(ds) != 2 || ds[0].Format != smtp2go.OutputForm || ds[1].Format != smtp2go.OutputJSON {
			t.Fatalf("%s: deliveries = %+v, want form then json", typ, ds)
		}
		fv, jv := form.next(t).form(t), js.next(t).json(t)
		for k := range fv {
			if !documentedFields[k] {
				t.Errorf("%s: form field %q is not documented", typ, k)
			}
		}
		if fv.Get("event") != string(typ) || jv["event"] != string(typ) {
			t.Errorf("%s: event = %q (form), %v (json)", typ, fv.Get("event"), jv["event"])
		}
		wantJSON := maps.Clone(fv)
		delete(wantJSON, "Message-Id")
		delete(wantJSON, "Subject")
		if g, w := sortedKeys(jv), sortedKeys(wantJSON); !slices.Equal(g, w) {
			t.Errorf("%s: JSON keys %v, want the form's without Message-Id and Subject: %v", typ, g, w)
		}
		for k, v := range jv {
			switch k {
			case "read-secs", "retry_count", "status_code":
				if _, ok := v.(json.Number); !ok {
					t.Errorf("%s: %s = %#v, want a JSON number", typ, k, v)
				}
			case "recipients":
				if a, ok := v.([]any); !ok || len(a) != len(fv[k]) {
					t.Errorf("%s: recipients = %#v, want an array of %d", typ, v, len(fv[k]))
				}
			case "id": // each webhook has its own
			default:
				if s, ok := v.(string); !ok || s != fv.Get(k) {
					t.Errorf("%s: %s = %#v in JSON, %q in form", typ, k, v, fv.Get(k))
				}
			}
		}
		if fv.Get("id") != ds[0].EventID || jv["id"] != ds[1].EventID || ds[0].EventID == ds[1].EventID {
			t.Errorf("%s: ids %q and %v, deliveries %q and %q: want each webhook its own id", typ, fv.Get("id"), jv["id"], ds[0].EventID, ds[1].EventID)
		}
		if typ.IsSMS() {
			if _, ok := fv["rcpt"]; ok {
				t.Errorf("%s: an SMS event carries rcpt", typ)
			}
			if !sendTimeRE.MatchString(fv.Get("received_timestamp")) {
				t.Errorf("%s: received_timestamp = %q", typ, fv.Get("received_timestamp"))
			}
		}
	}
	if typ := smtp2go.EventProcessed; len(smtp2gotest.SampleEvent(typ).Recipients) != 2 {
		t.Errorf("processed sample: %d recipients, want 2", len(smtp2gotest.SampleEvent(typ).Recipients))
	}
}

func TestEmitAuthorization(t *testing.T) {
	t.Parallel()
	basic := base64.StdEncoding.EncodeToString([]byte("hook-user:s3cret pass"))
	tests := []struct {
		name      string
		userinfo  string // put in the URL before the host
		query     string
		authType  smtp2go.AuthHeaderType
		authValue string
		want      string
	}{
		{name: "none", want: ""},
		{name: "bearer", authType: smtp2go.AuthBearer, authValue: "tok-123", want: "Bearer tok-123"},
		{name: "basic", authType: smtp2go.AuthBasic, authValue: basic, want: "Basic " + basic},
		{name: "url userinfo", userinfo: "hook-user:s3cret%20pass@", query: "?key=topsecret", want: "Basic " + basic},
		{name: "header type wins over userinfo", userinfo: "other:pw@", authType: smtp2go.AuthBearer, authValue: "tok-9", want: "Bearer tok-9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtp2gotest.NewServer(t)
			rc := newReceiver(t, nil)
			target := strings.Replace(rc.URL, "://", "://"+tt.userinfo, 1) + "/hooks/smtp2go" + tt.query
			addWebhook(t, srv, smtp2go.AddWebhookRequest{
				URL: target, Events: []smtp2go.EventType{smtp2go.EventBounce},
				AuthHeaderType: tt.authType, AuthHeaderValue: smtp2go.Secret(tt.authValue),
			})
			ds := emit(t, srv, smtp2gotest.SampleEvent(smtp2go.EventBounce))
			h := rc.next(t)
			if got := h.Header.Get("Authorization"); got != tt.want {
				t.Errorf("Authorization = %q, want %q", got, tt.want)
			}
			if h.RequestURI != "/hooks/smtp2go"+tt.query {
				t.Errorf("request URI = %q", h.RequestURI)
			}
			if strings.Contains(h.Host, "@") {
				t.Errorf("Host = %q carries userinfo", h.Host)
			}
			if len(ds) != 1 || ds[0].URL != smtp2go.RedactURL(target) ||
				strings.Contains(ds[0].URL, "s3cret") || strings.Contains(ds[0].URL, "topsecret") {
				t.Errorf("Delivery.URL = %q, want %q", ds[0].URL, smtp2go.RedactURL(target))
			}
		})
	}
}

func TestEmitCustomHeadersAndExtraFields(t *testing.T) {
	t.Parallel()
	for _, format := range []smtp2go.OutputFormat{smtp2go.OutputForm, smtp2go.OutputJSON} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			srv := smtp2gotest.NewServer(t)
			rc := newReceiver(t, nil)
			addWebhook(t, srv, smtp2go.AddWebhookRequest{
				URL: rc.URL, Events: []smtp2go.EventType{smtp2go.EventDelivered}, OutputFormat: format,
				Headers: []string{"X-Customer-Id", "X-Missing", "Subject"},
			})
			ev := smtp2gotest.SampleEvent(smtp2go.EventDelivered)
			ev.Fields = url.Values{
				"x-customer-id": {"42"},          // named as the webhook spells it
				"odd-field":     {"kept"},        // not a typed field: sent as is
				"rcpt":          {"not@used"},    // a typed field wins
				"from_name":     {"not used"},    // likewise
				"X-Other":       {"sent anyway"}, // a header the webhook does not list
			}
			emit(t, srv, ev)
			h := rc.next(t)
			get := func(k string) (string, bool) {
				if format == smtp2go.OutputForm {
					v, ok := h.form(t)[k]
					return strings.Join(v, ","), ok
				}
				v, ok := h.json(t)[k]
				s, _ := v.(string)
				return s, ok
			}
			for k, want := range map[string]string{
				"X-Customer-Id": "42", "odd-field": "kept", "rcpt": "jane@example.org",
				"from_name": "Example Shop", "X-Other": "sent anyway", "subject": "Order 4711 shipped",
			} {
				if got, ok := get(k); !ok || got != want {
					t.Errorf("%s = %q (present %v), want %q", k, got, ok, want)
				}
			}
			for _, k := range []string{"x-customer-id", "X-Missing"} {
				if got, ok := get(k); ok {
					t.Errorf("%s = %q, want it absent", k, got)
				}
			}
			if _, ok := get("Subject"); ok != (format == smtp2go.OutputForm) {
				t.Errorf("Subject present = %v in %s", ok, format)
			}
		})
	}
}

func TestEmitUsernamesFilter(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	rc := newReceiver(t, nil)
	events := []smtp2go.EventType{smtp2go.EventOpen}
	mine := addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL + "/mine", Events: events, Usernames: []string{"someone-else", "smtp-user@example.com"}})
	addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL + "/other", Events: events, Usernames: []string{"someone-else"}})
	all := addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL + "/all", Events: events})

	ds := emit(t, srv, smtp2gotest.SampleEvent(smtp2go.EventOpen))
	if len(ds) != 2 || ds[0].WebhookID != mine.ID || ds[1].WebhookID != all.ID {
		t.Fatalf("deliveries = %+v, want webhooks %d and %d", ds, mine.ID, all.ID)
	}
	var uris []string
	for _, h := range rc.drain() {
		uris = append(uris, h.RequestURI)
	}
	slices.Sort(uris)
	if !slices.Equal(uris, []string{"/all", "/mine"}) {
		t.Errorf("requests to %v, want /all and /mine", uris)
	}
}

func TestEmitMatchesSMSEvents(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	rc := newReceiver(t, nil)
	sms := addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL + "/sms", SMSEvents: []smtp2go.SMSEventType{smtp2go.SMSDelivered}})
	email := addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL + "/email", Events: []smtp2go.EventType{smtp2go.EventDelivered}})

	tests := []struct {
		typ  smtp2go.EventType
		want []int64
	}{
		{smtp2go.EventSMSDelivered, []int64{sms.ID}},
		{smtp2go.EventSMSFailed, nil},
		{smtp2go.EventDelivered, []int64{email.ID}},
		{smtp2go.EventBounce, nil},
		{"sms_opt_out", nil},
	}
	for _, tt := range tests {
		ds := emit(t, srv, smtp2gotest.SampleEvent(tt.typ))
		var got []int64
		for _, d := range ds {
			got = append(got, d.WebhookID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s delivered to %v, want %v", tt.typ, got, tt.want)
		}
		for _, h := range rc.drain() {
			if e := h.form(t).Get("event"); e != string(tt.typ) {
				t.Errorf("%s: event = %q", tt.typ, e)
			}
		}
	}
}

func TestEmitSubaccountIsolation(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	rc := newReceiver(t, nil)
	events := []smtp2go.EventType{smtp2go.EventClick}
	main := addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL + "/main", Events: events})
	sub := addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL + "/sub", Events: events, SubaccountID: "sub-1"})
	ev := smtp2gotest.SampleEvent(smtp2go.EventClick)
	ctx := context.Background()

	for _, tt := range []struct {
		account string
		want    []int64
		uri     string
	}{{"", []int64{main.ID}, "/main"}, {"sub-1", []int64{sub.ID}, "/sub"}, {"sub-2", nil, ""}} {
		ds, err := srv.EmitSubaccount(ctx, tt.account, ev)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, d := range ds {
			got = append(got, d.WebhookID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("account %q: delivered to %v, want %v", tt.account, got, tt.want)
		}
		hits := rc.drain()
		if tt.uri == "" && len(hits) != 0 || tt.uri != "" && (len(hits) != 1 || hits[0].RequestURI != tt.uri) {
			t.Errorf("account %q: requests %+v, want one to %q", tt.account, hits, tt.uri)
		}
	}
}

func TestEmitUsesTheEventsID(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	rc := newReceiver(t, nil)
	for range 2 {
		addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL, Events: []smtp2go.EventType{smtp2go.EventSpam}})
	}
	ev := smtp2gotest.SampleEvent(smtp2go.EventSpam)
	ev.ID = "0123456789abcdef0123456789abcdef"
	for _, d := range emit(t, srv, ev) {
		if d.EventID != ev.ID {
			t.Errorf("EventID = %q, want %q", d.EventID, ev.ID)
		}
	}
	for _, h := range rc.drain() {
		if id := h.form(t).Get("id"); id != ev.ID {
			t.Errorf("id = %q, want %q", id, ev.ID)
		}
	}
}

func TestRedeliveryAfterFailures(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
		case 2:
			http.Redirect(w, r, "/elsewhere", http.StatusFound) // not followed: a failure
		}
	})
	hook := addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL, Events: []smtp2go.EventType{smtp2go.EventReject}, OutputFormat: smtp2go.OutputJSON})
	start := time.Now()

	ds := emit(t, srv, smtp2gotest.SampleEvent(smtp2go.EventReject))
	all := srv.Deliveries()
	if len(ds) != 1 || ds[0] != all[len(all)-1] {
		t.Fatalf("Emit = %+v, want the last of %+v", ds, all)
	}
	if len(all) != 3 {
		t.Fatalf("Deliveries = %+v, want 3 attempts", all)
	}
	for i, d := range all {
		want := []int{500, 302, 200}[i]
		if d.Attempt != i+1 || d.Status != want || d.OK() != (want == 200) || d.Err != nil {
			t.Errorf("attempt %d: %+v, want status %d", i+1, d, want)
		}
		if d.EventID != all[0].EventID || d.WebhookID != hook.ID || d.Type != smtp2go.EventReject ||
			d.Format != smtp2go.OutputJSON || d.URL != rc.URL || d.Latency <= 0 || d.Time.Before(start) {
			t.Errorf("attempt %d: %+v", i+1, d)
		}
		if i > 0 && d.Time.Before(all[i-1].Time.Add(all[i-1].Latency)) {
			t.Errorf("attempt %d started before attempt %d ended", i+1, i)
		}
		start = d.Time
	}
	for i, h := range rc.drain() {
		if id := h.json(t)["id"]; id != all[0].EventID {
			t.Errorf("request %d: id = %v, want %q on every redelivery", i+1, id, all[0].EventID)
		}
	}
}

func TestRedeliveryAfterTimeout(t *testing.T) {
	t.Parallel()
	// Long enough that a loaded machine answers the second attempt in time.
	const timeout = 250 * time.Millisecond
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithDeliveryTimeout(timeout))
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			<-r.Context().Done() // hang until the fake gives up
		}
	})
	addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL, Events: []smtp2go.EventType{smtp2go.EventUnsubscribe}})

	ds := emit(t, srv, smtp2gotest.SampleEvent(smtp2go.EventUnsubscribe))
	all := srv.Deliveries()
	if len(all) != 2 || len(ds) != 1 || ds[0].Attempt != 2 || !ds[0].OK() {
		t.Fatalf("Emit = %+v, Deliveries = %+v: want a timeout then a success", ds, all)
	}
	first := all[0]
	if first.Status != 0 || !errors.Is(first.Err, context.DeadlineExceeded) || first.Latency < timeout {
		t.Errorf("first attempt = %+v, want a timeout after %v", first, timeout)
	}
	if first.EventID != all[1].EventID {
		t.Errorf("ids %q then %q, want the same", first.EventID, all[1].EventID)
	}
}

func TestRedeliveryRunsOut(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		schedule []time.Duration
	}{{"no redelivery", nil}, {"two redeliveries", []time.Duration{0, -time.Second}}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtp2gotest.NewServer(t, smtp2gotest.WithRedeliverySchedule(tt.schedule...))
			rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
			})
			addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL, Events: []smtp2go.EventType{smtp2go.EventResubscribe}})
			ds, err := srv.Emit(context.Background(), smtp2gotest.SampleEvent(smtp2go.EventResubscribe))
			attempts := len(tt.schedule) + 1
			if err != nil || len(ds) != 1 || ds[0].Attempt != attempts || ds[0].Status != 503 || ds[0].OK() {
				t.Fatalf("Emit = %+v, %v: want attempt %d answered 503 and no error", ds, err, attempts)
			}
			if n := len(srv.Deliveries()); n != attempts {
				t.Errorf("%d deliveries, want %d", n, attempts)
			}
		})
	}
}

func TestDefaultScheduleRedeliversFiveTimes(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL, Events: []smtp2go.EventType{smtp2go.EventProcessed}})
	ds := emit(t, srv, smtp2gotest.SampleEvent(smtp2go.EventProcessed))
	if len(ds) != 1 || ds[0].Attempt != 6 || len(srv.Deliveries()) != 6 {
		t.Fatalf("Emit = %+v, want the 6th attempt of 6", ds)
	}
}

func TestEmitTransportError(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithRedeliverySchedule(0))
	dead := httptest.NewServer(http.NotFoundHandler())
	target := dead.URL + "/hook?token=topsecret"
	dead.Close() // nothing listens there any more
	addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: target, Events: []smtp2go.EventType{smtp2go.EventBounce}})
	ds := emit(t, srv, smtp2gotest.SampleEvent(smtp2go.EventBounce))
	if len(ds) != 1 || ds[0].Attempt != 2 || ds[0].Status != 0 || ds[0].Err == nil {
		t.Fatalf("Emit = %+v, want two attempts that failed to connect", ds)
	}
	if strings.Contains(ds[0].Err.Error(), "topsecret") {
		t.Errorf("Err %q reveals the URL's secret", ds[0].Err)
	}
}

func TestEmitErrors(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	if _, err := srv.Emit(context.Background(), webhook.Event{}); err == nil {
		t.Error("Emit of an event without a Type: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := srv.Emit(ctx, smtp2gotest.SampleEvent(smtp2go.EventOpen)); !errors.Is(err, context.Canceled) {
		t.Errorf("Emit with a cancelled context: %v, want context.Canceled", err)
	}
	if ds, err := srv.Emit(context.Background(), smtp2gotest.SampleEvent(smtp2go.EventOpen)); err != nil || len(ds) != 0 {
		t.Errorf("Emit without webhooks = %+v, %v; want nothing", ds, err)
	}
}

// hanging returns a receiver that signals each request on arrived and then
// hangs until the client goes away, or the test ends: so a test that fails
// while a request hangs still ends.
func hanging(t *testing.T) (*receiver, chan struct{}) {
	arrived, ended := make(chan struct{}, 16), make(chan struct{})
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-ended:
		}
	})
	t.Cleanup(func() { close(ended) }) // before rc.Close, which waits for the handler
	return rc, arrived
}

func TestCloseStopsAHangingDelivery(t *testing.T) {
	t.Parallel()
	// An hour-long delivery timeout: if Close waited for it, Emit would not
	// return within testwait's bound.
	srv := smtp2gotest.NewServer(nil, smtp2gotest.WithDeliveryTimeout(time.Hour))
	rc, arrived := hanging(t)
	addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL, Events: []smtp2go.EventType{smtp2go.EventDelivered}})

	type result struct {
		ds  []smtp2gotest.Delivery
		err error
	}
	done := make(chan result, 1)
	go func() {
		ds, err := srv.Emit(context.Background(), smtp2gotest.SampleEvent(smtp2go.EventDelivered))
		done <- result{ds, err}
	}()
	testwait.Receive(t, arrived, "the delivery")
	srv.Close()
	res := testwait.Receive(t, done, "Emit to return after Close")
	if !errors.Is(res.err, http.ErrServerClosed) {
		t.Errorf("Emit error = %v, want http.ErrServerClosed", res.err)
	}
	if len(res.ds) != 1 || res.ds[0].Status != 0 || res.ds[0].Err == nil {
		t.Errorf("Emit = %+v, want the interrupted attempt", res.ds)
	}
	if _, err := srv.Emit(context.Background(), smtp2gotest.SampleEvent(smtp2go.EventDelivered)); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Emit after Close: %v, want http.ErrServerClosed", err)
	}
	srv.Close() // again: no-op
}

func TestCloseStopsARedeliveryWait(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(nil, smtp2gotest.WithRedeliverySchedule(time.Hour))
	answered := make(chan struct{})
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		close(answered)
	})
	addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL, Events: []smtp2go.EventType{smtp2go.EventDelivered}})
	done := make(chan error, 1)
	go func() {
		_, err := srv.Emit(context.Background(), smtp2gotest.SampleEvent(smtp2go.EventDelivered))
		done <- err
	}()
	testwait.Receive(t, answered, "the delivery")
	// Emit reads the 500 and waits an hour, or Close cuts the reading short:
	// either way Close ends it at once.
	srv.Close()
	if err := testwait.Receive(t, done, "Emit to return after Close"); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Emit error = %v, want http.ErrServerClosed", err)
	}
	if ds := srv.Deliveries(); len(ds) != 1 {
		t.Errorf("Deliveries = %+v, want one attempt", ds)
	}
}

func TestDeadlineStopsARedeliveryWait(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithRedeliverySchedule(time.Hour))
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL, Events: []smtp2go.EventType{smtp2go.EventDelivered}})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	ds, err := srv.Emit(ctx, smtp2gotest.SampleEvent(smtp2go.EventDelivered))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Emit error = %v, want context.DeadlineExceeded", err)
	}
	if len(ds) != 1 || ds[0].Status != 500 || ds[0].Attempt != 1 {
		t.Errorf("Emit = %+v, want the 500 of attempt 1", ds)
	}
}

func TestEmitContextCancelled(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	rc, arrived := hanging(t)
	addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL, Events: []smtp2go.EventType{smtp2go.EventOpen}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := srv.Emit(ctx, smtp2gotest.SampleEvent(smtp2go.EventOpen))
		done <- err
	}()
	testwait.Receive(t, arrived, "the delivery")
	cancel()
	if err := testwait.Receive(t, done, "Emit to return after cancel"); !errors.Is(err, context.Canceled) {
		t.Errorf("Emit error = %v, want context.Canceled", err)
	}
}

func TestEmitConcurrently(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n%3 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	for range 3 {
		addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: rc.URL, Events: smtp2go.EmailEventTypes()})
	}
	var wg sync.WaitGroup
	for _, typ := range smtp2go.EmailEventTypes() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ds, err := srv.Emit(context.Background(), smtp2gotest.SampleEvent(typ))
			if err != nil || len(ds) != 3 {
				t.Errorf("Emit(%s) = %d deliveries, %v", typ, len(ds), err)
			}
			for _, d := range ds {
				if !d.OK() {
					t.Errorf("Emit(%s): %+v", typ, d)
				}
			}
			_ = srv.Deliveries()
		}()
	}
	wg.Wait()
	if got, least := len(srv.Deliveries()), 3*len(smtp2go.EmailEventTypes()); got < least {
		t.Errorf("%d deliveries, want at least %d", got, least)
	}
}
