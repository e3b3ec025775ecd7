package smtp2gotest_test

import (
	"context"
	"net"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/webhook"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/testwait"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

func TestSampleEventFields(t *testing.T) {
	t.Parallel()
	nonEmpty := func(s string) bool { return s != "" }
	tests := []struct {
		typ  smtp2go.EventType
		want map[string]func(webhook.Event) bool
	}{
		{smtp2go.EventProcessed, map[string]func(webhook.Event) bool{
			"2 Recipients": func(e webhook.Event) bool { return len(e.Recipients) == 2 },
			"SrcHost":      func(e webhook.Event) bool { return nonEmpty(e.SrcHost) },
			"no Rcpt":      func(e webhook.Event) bool { return e.Rcpt == "" },
		}},
		{smtp2go.EventDelivered, map[string]func(webhook.Event) bool{
			"Rcpt":    func(e webhook.Event) bool { return nonEmpty(e.Rcpt) },
			"Host":    func(e webhook.Event) bool { return nonEmpty(e.Host) },
			"Message": func(e webhook.Event) bool { return e.Message == "250 2.0.0 Ok: queued" },
			"Context": func(e webhook.Event) bool { return nonEmpty(e.Context) },
		}},
		{smtp2go.EventOpen, map[string]func(webhook.Event) bool{
			"UserAgent": func(e webhook.Event) bool { return nonEmpty(e.UserAgent) },
			"ReadSecs":  func(e webhook.Event) bool { return e.ReadSecs > 0 && e.ReadSecs <= 30 && e.ReadSecs%5 == 0 },
			"Client": func(e webhook.Event) bool {
				return nonEmpty(e.Client) && nonEmpty(e.ClientDevice) && nonEmpty(e.ClientOS)
			},
			"GeoIP": func(e webhook.Event) bool {
				return nonEmpty(e.GeoIPContinent) && nonEmpty(e.GeoIPCountry) && nonEmpty(e.GeoIPCity)
			},
		}},
		{smtp2go.EventClick, map[string]func(webhook.Event) bool{
			"URL": func(e webhook.Event) bool { return strings.HasPrefix(e.URL, "https://example.com/") },
			"UserAgent": func(e webhook.Event) bool {
				return nonEmpty(e.UserAgent) && nonEmpty(e.Client) && nonEmpty(e.GeoIPCity)
			},
		}},
		{smtp2go.EventBounce, map[string]func(webhook.Event) bool{
			"hard":    func(e webhook.Event) bool { return e.Bounce == webhook.BounceHard },
			"550":     func(e webhook.Event) bool { return strings.HasPrefix(e.Message, "550 ") },
			"Context": func(e webhook.Event) bool { return e.Context == "RCPT TO:<"+e.Rcpt+">" },
		}},
		{smtp2go.EventSpam, nil},
		{smtp2go.EventUnsubscribe, nil},
		{smtp2go.EventResubscribe, nil},
		{smtp2go.EventReject, map[string]func(webhook.Event) bool{
			"Message": func(e webhook.Event) bool { return nonEmpty(e.Message) },
		}},
	}
	for _, tt := range tests {
		ev := smtp2gotest.SampleEvent(tt.typ)
		if ev.Type != tt.typ || ev.ID != "" || ev.SMS != nil || ev.Fields == nil || len(ev.Fields) != 0 {
			t.Errorf("%s: Type %q, ID %q, SMS %v, Fields %v", tt.typ, ev.Type, ev.ID, ev.SMS, ev.Fields)
		}
		if ev.EmailID == "" || !strings.HasSuffix(ev.MessageID, "@message-id.example>") || ev.Time.IsZero() ||
			ev.SendTime.IsZero() || ev.Subject == "" || ev.FromAddress == "" || ev.Auth != "smtp-user@example.com" {
			t.Errorf("%s: common fields missing: %+v", tt.typ, ev)
		}
		if ev.Time.Location() != time.UTC || ev.Time.Nanosecond() != 0 || ev.SendTime.Nanosecond()%1000 != 0 {
			t.Errorf("%s: times %v, %v: want UTC, whole seconds and microseconds", tt.typ, ev.Time, ev.SendTime)
		}
		if tt.typ != smtp2go.EventProcessed && ev.Rcpt == "" {
			t.Errorf("%s: no Rcpt", tt.typ)
		}
		for name, ok := range tt.want {
			if !ok(ev) {
				t.Errorf("%s: %s wrong in %+v", tt.typ, name, ev)
			}
		}
	}
}

// TestSampleEventCustomHeader follows SampleEvent's doc: a custom header set
// with ev.Fields.Set reaches a receiver as the top-level field the webhook's
// headers list names, and the handler finds it with Header.
func TestSampleEventCustomHeader(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	endpoint := httptest.NewServer(webhook.NewHandler(func(_ context.Context, ev *webhook.Event) error {
		got <- ev.Header("X-Customer-Id")
		return nil
	}))
	t.Cleanup(endpoint.Close)
	srv := smtp2gotest.NewServer(t)
	addWebhook(t, srv, smtp2go.AddWebhookRequest{
		URL: endpoint.URL, Events: []smtp2go.EventType{smtp2go.EventDelivered}, Headers: []string{"X-Customer-Id"},
	})

	ev := smtp2gotest.SampleEvent(smtp2go.EventDelivered)
	ev.Fields.Set("X-Customer-Id", "C-42")
	if ds := emit(t, srv, ev); len(ds) != 1 || !ds[0].OK() {
		t.Fatalf("deliveries = %+v, want one that succeeded", ds)
	}
	if v := testwait.Receive(t, got, "the handler to receive the event"); v != "C-42" {
		t.Errorf(`Header("X-Customer-Id") = %q, want "C-42"`, v)
	}
}

func TestSampleEventSMS(t *testing.T) {
	t.Parallel()
	for _, s := range smtp2go.SMSEventTypes() {
		ev := smtp2gotest.SampleEvent(s.EventType())
		if ev.Type != s.EventType() || ev.SMS == nil || ev.ID != "" {
			t.Fatalf("%s: %+v", s, ev)
		}
		d := ev.SMS
		if d.DestinationNumber == "" || d.SourceNumber == "" || d.MessageContent == "" || d.MessageID == "" ||
			d.ReceivedTimestamp.IsZero() || d.Region == "" || d.SenderEmail == "" {
			t.Errorf("%s: details missing: %+v", s, d)
		}
		if s == smtp2go.SMSFailed && (d.RetryCount == 0 || d.StatusCode == 0) {
			t.Errorf("failed: %+v, want retries and a status code", d)
		}
	}
}

func TestSampleEventUnknownType(t *testing.T) {
	t.Parallel()
	for _, typ := range []smtp2go.EventType{"", "opened", "sms_opt_out", "something_new"} {
		if got := smtp2gotest.SampleEvent(typ); !reflect.DeepEqual(got, webhook.Event{Type: typ, Fields: url.Values{}}) {
			t.Errorf("SampleEvent(%q) = %+v, want only the Type", typ, got)
		}
	}
}

func TestSampleEventIsDeterministicAndFresh(t *testing.T) {
	t.Parallel()
	for _, typ := range allEventTypes() {
		a, b := smtp2gotest.SampleEvent(typ), smtp2gotest.SampleEvent(typ)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two calls differ", typ)
		}
		if a.SMS != nil && a.SMS == b.SMS {
			t.Errorf("%s: SMS details shared between calls", typ)
		}
	}
	a := smtp2gotest.SampleEvent(smtp2go.EventProcessed)
	a.Recipients[0] = "changed@example.com"
	if b := smtp2gotest.SampleEvent(smtp2go.EventProcessed); b.Recipients[0] == "changed@example.com" {
		t.Error("Recipients shared between calls")
	}
}

// TestSampleEventUsesReservedNames checks every address, domain and IP of
// every sample against the names reserved for documentation.
func TestSampleEventUsesReservedNames(t *testing.T) {
	t.Parallel()
	email := regexp.MustCompile(`[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+)`)
	ipv4 := regexp.MustCompile(`(?:^|[\s\[(])(\d{1,3}(?:\.\d{1,3}){3})\b`) // not a version such as Chrome/124.0.0.0
	domain := regexp.MustCompile(`https?://([A-Za-z0-9.-]+)`)
	reservedDomain := func(d string) bool {
		for _, r := range []string{"example.com", "example.org", "example.net", "message-id.example"} {
			if d == r || strings.HasSuffix(d, "."+r) {
				return true
			}
		}
		return false
	}
	docNets := []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"}
	reservedIP := func(s string) bool {
		ip := net.ParseIP(s)
		for _, n := range docNets {
			if _, cidr, _ := net.ParseCIDR(n); ip != nil && cidr.Contains(ip) {
				return true
			}
		}
		return false
	}
	for _, typ := range allEventTypes() {
		ev := smtp2gotest.SampleEvent(typ)
		var texts []string
		collectStrings(reflect.ValueOf(ev), &texts)
		for _, s := range texts {
			for _, m := range email.FindAllStringSubmatch(s, -1) {
				if !reservedDomain(m[1]) {
					t.Errorf("%s: address %q is not under a reserved domain", typ, m[0])
				}
			}
			for _, m := range domain.FindAllStringSubmatch(s, -1) {
				if !reservedDomain(m[1]) {
					t.Errorf("%s: URL host %q is not reserved", typ, m[1])
				}
			}
			for _, m := range ipv4.FindAllStringSubmatch(s, -1) {
				if ip := m[1]; !reservedIP(ip) {
					t.Errorf("%s: IP %q is not in a documentation range", typ, ip)
				}
			}
			if strings.HasPrefix(s, "api-") {
				t.Errorf("%s: %q looks like an API key", typ, s)
			}
		}
	}
}

// collectStrings appends every string reachable from v.
func collectStrings(v reflect.Value, out *[]string) {
	switch v.Kind() {
	case reflect.String:
		*out = append(*out, v.String())
	case reflect.Pointer:
		if !v.IsNil() {
			collectStrings(v.Elem(), out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				collectStrings(v.Field(i), out)
			}
		}
	case reflect.Slice, reflect.Map:
		if v.Kind() == reflect.Map {
			for _, k := range v.MapKeys() {
				collectStrings(v.MapIndex(k), out)
			}
			return
		}
		for i := range v.Len() {
			collectStrings(v.Index(i), out)
		}
	}
}
