package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/smtp2go"
)

const (
	ctForm = "application/x-www-form-urlencoded"
	ctJSON = "application/json"
)

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func contentTypeOf(name string) string {
	if strings.HasSuffix(name, ".json") {
		return ctJSON
	}
	return ctForm
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// billing fills the fields the email fixtures share.
func billing(e Event) Event {
	e.EmailID = "1abc-0002"
	e.MessageID = "<E1abc-0002@message-id.example>"
	e.Subject = "Your invoice"
	e.Sender = "billing@example.com"
	e.From = "Example Billing <billing@example.com>"
	e.FromAddress = "billing@example.com"
	e.FromName = "Example Billing"
	e.Auth = "api-EXAMPLE"
	e.SendTime = utc("2026-03-24T08:23:19.052765Z")
	return e
}

func smsEvent(e Event, d SMSDetails) Event {
	d.DestinationNumber = "+61400000001"
	d.SourceNumber = "+61400000999"
	d.SenderEmail = "alerts@example.com"
	d.EmailSubject = "Server down"
	d.MessageContent = "web-1 is down"
	d.Region = "au"
	e.SMS = &d
	return e
}

// checkEvent compares every typed field of got with want (Fields aside). Auth
// may hold an API key, so its values are never printed.
func checkEvent(t *testing.T, got *Event, want Event) {
	t.Helper()
	if got == nil {
		t.Fatal("event is nil")
	}
	g := *got
	g.Fields = nil
	gv, wv := reflect.ValueOf(g), reflect.ValueOf(want)
	for i := 0; i < gv.NumField(); i++ {
		name := gv.Type().Field(i).Name
		gf, wf := gv.Field(i).Interface(), wv.Field(i).Interface()
		if reflect.DeepEqual(gf, wf) {
			continue
		}
		switch name {
		case "Auth":
			t.Errorf("Auth differs from the expected value (values not shown)")
		case "SMS":
			t.Errorf("SMS = %+v, want %+v", deref(g.SMS), deref(want.SMS))
		default:
			t.Errorf("%s = %v, want %v", name, gf, wf)
		}
	}
}

func deref(d *SMSDetails) any {
	if d == nil {
		return nil
	}
	return *d
}

// referenceFields decodes body with encoding/json's streaming decoder, as the
// definition of what Fields must hold for a JSON body.
func referenceFields(body []byte) (url.Values, error) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not an object")
	}
	out := url.Values{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		raw = bytes.TrimSpace(raw)
		if raw[0] != '[' {
			out[key] = []string{referenceText(raw)} // a key sent again: the last wins
			continue
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, err
		}
		vs := []string{}
		for _, el := range elems {
			vs = append(vs, referenceText(bytes.TrimSpace(el)))
		}
		out[key] = vs
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data: %v", err)
	}
	return out, nil
}

func referenceText(raw []byte) string {
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			panic(err)
		}
		return s
	case '{', '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			panic(err)
		}
		return buf.String()
	case 'n':
		return ""
	}
	return string(raw)
}

func TestParseBodyFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want Event
	}{
		{"delivered_live_capture.form", Event{
			Type: smtp2go.EventDelivered, RawType: "delivered", ID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
			EmailID: "1abc-0001", MessageID: "<E1abc-0001@message-id.example>",
			Time: utc("2026-03-24T08:23:19Z"), SendTime: utc("2026-03-24T08:23:19.052765Z"),
			Sender: "shop@example.com", From: "shop@example.com", FromAddress: "shop@example.com",
			Rcpt: "jane@example.org", Auth: "api-EXAMPLE", Subject: "Order 4711 shipped",
			Host: "mx.example.org [192.0.2.7]", Message: "250 2.0.0 Ok: queued", Context: "Unavailable",
		}},
		{"delivered.json", billing(Event{
			Type: smtp2go.EventDelivered, RawType: "delivered", ID: "1a2b3c4d5e6f708192a3b4c5d6e7f809",
			Time: utc("2026-03-24T08:23:21Z"), Rcpt: "jane@example.org",
			Host: "mx.example.org [192.0.2.7]", Message: "250 2.0.0 Ok: queued as 4711", Context: "Unavailable",
		})},
		{"processed_recipients.form", billing(Event{
			Type: smtp2go.EventProcessed, RawType: "processed", ID: "2b3c4d5e6f708192a3b4c5d6e7f8091a",
			Time: utc("2026-03-24T08:23:19Z"), SrcHost: "198.51.100.23",
			Recipients: []string{"jane@example.org", "john@example.net", "ops@example.com"},
		})},
		{"processed_recipients.json", billing(Event{
			Type: smtp2go.EventProcessed, RawType: "processed", ID: "3c4d5e6f708192a3b4c5d6e7f8091a2b",
			Time: utc("2026-03-24T08:23:19Z"), SrcHost: "198.51.100.23",
			Recipients: []string{"jane@example.org", "john@example.net", "ops@example.com"},
		})},
		{"processed_recipient_string.json", billing(Event{
			Type: smtp2go.EventProcessed, RawType: "processed", ID: "4d5e6f708192a3b4c5d6e7f8091a2b3c",
			Time: utc("2026-03-24T08:23:19Z"), Recipients: []string{"jane@example.org"},
		})},
		{"open.form", billing(Event{
			Type: smtp2go.EventOpen, RawType: "open", ID: "5e6f708192a3b4c5d6e7f8091a2b3c4d",
			Time: utc("2026-03-24T09:01:02Z"), Rcpt: "jane@example.org", SrcHost: "203.0.113.9",
			UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)", ReadSecs: 15,
			Client: "Apple Mail", ClientDevice: "Mobile", ClientOS: "iOS",
			GeoIPContinent: "Europe", GeoIPCountry: "Germany", GeoIPCity: "Berlin",
			OpenedAt: utc("2026-03-24T08:01:02Z"),
		})},
		{"open.json", billing(Event{
			Type: smtp2go.EventOpen, RawType: "open", ID: "6f708192a3b4c5d6e7f8091a2b3c4d5e",
			Time: utc("2026-03-24T09:01:02Z"), Rcpt: "jane@example.org", SrcHost: "203.0.113.9",
			UserAgent: "Thunderbird/115.0", ReadSecs: 30,
			Client: "Thunderbird", ClientDevice: "Desktop", ClientOS: "Linux",
			GeoIPContinent: "North America", GeoIPCountry: "Canada", GeoIPCity: "Toronto",
			OpenedAt: utc("2026-03-24T09:01:02Z"),
		})},
		{"click.json", billing(Event{
			Type: smtp2go.EventClick, RawType: "click", ID: "708192a3b4c5d6e7f8091a2b3c4d5e6f",
			Time: utc("2026-03-24T09:05:00Z"), Rcpt: "jane@example.org", SrcHost: "203.0.113.9",
			UserAgent: "Mozilla/5.0", GeoIPCountry: "Germany",
			URL: "https://shop.example.com/orders/4711?utm_source=email", ClickedAt: utc("2026-03-24T09:05:00.5Z"),
		})},
		{"click_link.form", billing(Event{
			Type: smtp2go.EventClick, RawType: "click", ID: "8192a3b4c5d6e7f8091a2b3c4d5e6f70",
			Time: utc("2026-03-24T09:05:00Z"), Rcpt: "jane@example.org",
			URL: "https://shop.example.com/track?id=4711&x=1",
		})},
		{"bounce_hard.json", billing(Event{
			Type: smtp2go.EventBounce, RawType: "bounce", ID: "92a3b4c5d6e7f8091a2b3c4d5e6f7081",
			Time: utc("2026-03-24T08:23:22Z"), Rcpt: "nobody@example.org", Bounce: BounceHard,
			Host:    "mx.example.org [192.0.2.7]",
			Message: "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown",
			Context: "RCPT TO:<nobody@example.org>",
		})},
		{"bounce_soft.form", billing(Event{
			Type: smtp2go.EventBounce, RawType: "bounce", ID: "a3b4c5d6e7f8091a2b3c4d5e6f708192",
			Time: utc("2026-03-24T08:23:22Z"), Rcpt: "full@example.org", Bounce: BounceSoft,
			Host: "mx.example.org [192.0.2.7]", Message: "452 4.2.2 Mailbox full", Context: "DATA",
		})},
		{"spam.json", billing(Event{
			Type: smtp2go.EventSpam, RawType: "spam", ID: "b4c5d6e7f8091a2b3c4d5e6f708192a3",
			Time: utc("2026-03-25T10:00:00Z"), Rcpt: "jane@example.org",
		})},
		{"unsubscribe.form", billing(Event{
			Type: smtp2go.EventUnsubscribe, RawType: "unsubscribe", ID: "c5d6e7f8091a2b3c4d5e6f708192a3b4",
			Time: utc("2026-03-25T10:00:01Z"), Rcpt: "jane@example.org", SrcHost: "203.0.113.9",
		})},
		{"resubscribe.json", billing(Event{
			Type: smtp2go.EventResubscribe, RawType: "resubscribe", ID: "d6e7f8091a2b3c4d5e6f708192a3b4c5",
			Time: utc("2026-03-26T10:00:02Z"), Rcpt: "jane@example.org",
		})},
		{"reject.form", billing(Event{
			Type: smtp2go.EventReject, RawType: "reject", ID: "e7f8091a2b3c4d5e6f708192a3b4c5d6",
			Time: utc("2026-03-24T08:23:19Z"), Rcpt: "blocked@example.org",
			Message: "Recipient is on the suppression list", Context: "Unavailable",
		})},
		{"sms_sending.json", smsEvent(Event{
			Type: smtp2go.EventSMSSending, RawType: "sms_sending", ID: "f8091a2b3c4d5e6f708192a3b4c5d6e7",
		}, SMSDetails{MessageID: "sms-0001", ReceivedTimestamp: utc("2026-03-24T08:23:19Z")})},
		{"sms_submitted.form", smsEvent(Event{
			Type: smtp2go.EventSMSSubmitted, RawType: "sms_submitted", ID: "091a2b3c4d5e6f708192a3b4c5d6e7f8",
		}, SMSDetails{
			MessageID: "sms-0001", ReceivedTimestamp: utc("2026-03-24T08:23:19Z"),
			SubmittedTimestamp: utc("2026-03-24T08:23:20.25Z"),
		})},
		{"sms_delivered.json", smsEvent(Event{
			Type: smtp2go.EventSMSDelivered, RawType: "sms_delivered", ID: "1a2b3c4d5e6f708192a3b4c5d6e7f800",
		}, SMSDetails{
			MessageID: "sms-0001", ReceivedTimestamp: utc("2026-03-24T08:23:19Z"),
			SubmittedTimestamp: utc("2026-03-24T08:23:20.25Z"), RetryCount: 1, StatusCode: 200,
		})},
		{"sms_failed.form", smsEvent(Event{
			Type: smtp2go.EventSMSFailed, RawType: "sms_failed", ID: "2a2b3c4d5e6f708192a3b4c5d6e7f800",
		}, SMSDetails{
			MessageID: "sms-0002", ReceivedTimestamp: utc("2026-03-24T08:23:19Z"),
			SubmittedTimestamp: utc("2026-03-24T08:23:20Z"), RetryCount: 3, StatusCode: 500,
		})},
		{"sms_rejected.json", smsEvent(Event{
			Type: smtp2go.EventSMSRejected, RawType: "sms_rejected", ID: "3a2b3c4d5e6f708192a3b4c5d6e7f800",
		}, SMSDetails{MessageID: "sms-0003", ReceivedTimestamp: utc("2026-03-24T08:23:19Z"), StatusCode: 400})},
		{"custom_headers.form", Event{
			Type: smtp2go.EventDelivered, RawType: "delivered", ID: "4a2b3c4d5e6f708192a3b4c5d6e7f800",
			Time: utc("2026-03-24T08:23:21Z"), Rcpt: "jane@example.org",
			MessageID: "<E1abc-0003@message-id.example>", Subject: "Custom headers",
		}},
		{"mixed_case_headers.json", Event{
			Type: smtp2go.EventDelivered, RawType: "delivered", ID: "5a2b3c4d5e6f708192a3b4c5d6e7f800",
			Time: utc("2026-03-24T08:23:21Z"), Rcpt: "jane@example.org",
			MessageID: "<E1abc-0004@message-id.example>", Subject: "Only mixed-case keys",
		}},
		{"numbers_as_strings.json", Event{
			Type: smtp2go.EventOpen, RawType: "open", ID: "6a2b3c4d5e6f708192a3b4c5d6e7f800",
			Time: utc("2026-03-24T09:01:02Z"), Rcpt: "jane@example.org", ReadSecs: 10, GeoIPCountry: "Germany",
		}},
		{"numbers_as_json.json", Event{
			Type: smtp2go.EventOpen, RawType: "open", ID: "7a2b3c4d5e6f708192a3b4c5d6e7f800",
			Time: time.Unix(1711268599, 0).UTC(), Rcpt: "jane@example.org", ReadSecs: 5,
			GeoIPContinent: "7", GeoIPCountry: "true",
		}},
		{"bad_times.json", Event{
			Type: smtp2go.EventDelivered, RawType: "delivered", ID: "8a2b3c4d5e6f708192a3b4c5d6e7f800",
			Rcpt: "jane@example.org",
		}},
		{"unknown_event.json", Event{
			Type: "deferred", RawType: "deferred", ID: "9a2b3c4d5e6f708192a3b4c5d6e7f800",
			Time: utc("2026-03-24T08:23:21Z"), Rcpt: "jane@example.org",
		}},
		{"unknown_sms_event.json", Event{
			Type: "sms_opt_out", RawType: "sms_opt_out", ID: "aa2b3c4d5e6f708192a3b4c5d6e7f800",
			SMS: &SMSDetails{DestinationNumber: "+61400000001", MessageID: "sms-0004"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			body := readFixture(t, tt.file)
			ct := contentTypeOf(tt.file)
			ev, err := ParseBody(ct, body)
			if err != nil {
				t.Fatalf("ParseBody: %v", err)
			}
			checkEvent(t, ev, tt.want)

			// Fields is every field exactly as received.
			var want url.Values
			if ct == ctJSON {
				want, err = referenceFields(body)
			} else {
				want, err = url.ParseQuery(string(body))
			}
			if err != nil {
				t.Fatalf("reference decoding: %v", err)
			}
			if !reflect.DeepEqual(ev.Fields, want) {
				t.Errorf("Fields differ from the reference decoding:\n got %d keys\nwant %d keys", len(ev.Fields), len(want))
				for k := range want {
					if !reflect.DeepEqual(ev.Fields[k], want[k]) && k != fieldAuth {
						t.Errorf("Fields[%q] = %q, want %q", k, ev.Fields[k], want[k])
					}
				}
			}
			if ev.DedupKey() != tt.want.ID {
				t.Errorf("DedupKey() = %q, want the ID %q", ev.DedupKey(), tt.want.ID)
			}
		})
	}
}

func TestParseBodyLiveCaptureFields(t *testing.T) {
	t.Parallel()
	ev, err := ParseBody(ctForm, readFixture(t, "delivered_live_capture.form"))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"Message-Id": "<E1abc-0001@message-id.example>",
		"Subject":    "Order 4711 shipped",
		"from_name":  "",
		"sendtime":   "2026-03-24T08:23:19.052765+00:00",
	} {
		if got := ev.Fields[k]; len(got) != 1 || got[0] != want {
			t.Errorf("Fields[%q] = %q, want [%q]", k, got, want)
		}
	}
	if got := ev.Header("message-id"); got != "<E1abc-0001@message-id.example>" {
		t.Errorf(`Header("message-id") = %q`, got)
	}
}

func TestParseBodyAliases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want smtp2go.EventType
	}{
		{"opened", smtp2go.EventOpen},
		{"clicked", smtp2go.EventClick},
		{"spam_complaint", smtp2go.EventSpam},
		{"unsubscribed", smtp2go.EventUnsubscribe},
		{"Delivered", smtp2go.EventDelivered},
		{" BOUNCE ", smtp2go.EventBounce},
		{"Opened", smtp2go.EventOpen},
		{"SMS_Delivered", smtp2go.EventSMSDelivered},
		{"Deferred", "Deferred"}, // unknown names stay as sent
	}
	for _, tt := range tests {
		for _, enc := range []struct {
			ct   string
			body string
		}{
			{ctForm, "event=" + url.QueryEscape(tt.raw) + "&id=abc"},
			{ctJSON, `{"event":` + strconvQuote(tt.raw) + `,"id":"abc"}`},
		} {
			ev, err := ParseBody(enc.ct, []byte(enc.body))
			if err != nil {
				t.Errorf("%s %q: %v", enc.ct, tt.raw, err)
				continue
			}
			if ev.Type != tt.want || ev.RawType != tt.raw {
				t.Errorf("%s %q: Type, RawType = %q, %q; want %q, %q", enc.ct, tt.raw, ev.Type, ev.RawType, tt.want, tt.raw)
			}
			if (ev.SMS != nil) != tt.want.IsSMS() {
				t.Errorf("%s %q: SMS = %v, want non-nil only for SMS events", enc.ct, tt.raw, ev.SMS)
			}
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestParseBodyJSONValues(t *testing.T) {
	t.Parallel()
	ev, err := ParseBody(ctJSON, readFixture(t, "nested_values.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"score":   {"1.50"},
		"big":     {"12345678901234567890"},
		"flag":    {"true"},
		"off":     {"false"},
		"nothing": {""},
		"meta":    {`{"a":[1,2],"b":"x y"}`},
		"tags":    {"one", "2", "", `{"k":"v"}`, "[true]"},
		"empty":   {},
		"escaped": {"café \"quoted\" \\ back\nslash"},
	}
	for k, w := range want {
		got, ok := ev.Fields[k]
		if !ok || !reflect.DeepEqual(got, w) {
			t.Errorf("Fields[%q] = %q (present %v), want %q", k, got, ok, w)
		}
	}
}

func TestParseBodyTolerance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		ct    string
		body  string
		check func(t *testing.T, ev *Event)
	}{
		{"json duplicate keys: the last wins, as in encoding/json", ctJSON, `{"event":"processed","recipients":"a@x","recipients":["b@x","c@x"]}`, func(t *testing.T, ev *Event) {
			if want := []string{"b@x", "c@x"}; !reflect.DeepEqual(ev.Recipients, want) {
				t.Errorf("Recipients = %q, want %q", ev.Recipients, want)
			}
		}},
		{"form repeated key: typed field is the first", ctForm, "event=delivered&rcpt=a%40x&rcpt=b%40x", func(t *testing.T, ev *Event) {
			if ev.Rcpt != "a@x" || len(ev.Fields["rcpt"]) != 2 {
				t.Errorf("Rcpt = %q, Fields[rcpt] = %q", ev.Rcpt, ev.Fields["rcpt"])
			}
		}},
		{"empty recipients", ctForm, "event=processed&recipients=", func(t *testing.T, ev *Event) {
			if ev.Recipients != nil {
				t.Errorf("Recipients = %q, want nil", ev.Recipients)
			}
		}},
		{"recipients do not share storage with Fields", ctForm, "event=processed&recipients=a&recipients=b", func(t *testing.T, ev *Event) {
			ev.Recipients[0] = "changed"
			if ev.Fields["recipients"][0] != "a" {
				t.Error("changing Recipients changed Fields")
			}
		}},
		{"form values do not overwrite each other on append", ctForm, "event=e&a=1&b=2", func(t *testing.T, ev *Event) {
			ev.Fields["a"] = append(ev.Fields["a"], "x")
			if got := ev.Fields["b"]; len(got) != 1 || got[0] != "2" {
				t.Errorf("Fields[b] = %q after appending to Fields[a]", got)
			}
		}},
		{"url fallbacks: click_url", ctForm, "event=click&click_url=https%3A%2F%2Fa.example", func(t *testing.T, ev *Event) {
			if ev.URL != "https://a.example" {
				t.Errorf("URL = %q", ev.URL)
			}
		}},
		{"url preferred over link", ctJSON, `{"event":"click","link":"https://b.example","url":"https://a.example"}`, func(t *testing.T, ev *Event) {
			if ev.URL != "https://a.example" {
				t.Errorf("URL = %q", ev.URL)
			}
		}},
		{"bounce type case and unknown", ctForm, "event=bounce&bounce=HARD", func(t *testing.T, ev *Event) {
			if ev.Bounce != BounceHard {
				t.Errorf("Bounce = %q", ev.Bounce)
			}
		}},
		{"unknown bounce type kept", ctForm, "event=bounce&bounce=block", func(t *testing.T, ev *Event) {
			if ev.Bounce != "block" {
				t.Errorf("Bounce = %q", ev.Bounce)
			}
		}},
		{"sms fields ignored on email events", ctForm, "event=delivered&destination_number=%2B1&retry_count=2", func(t *testing.T, ev *Event) {
			if ev.SMS != nil || ev.Fields.Get("destination_number") != "+1" {
				t.Errorf("SMS = %v, Fields = %v", ev.SMS, ev.Fields)
			}
		}},
		{"sms numbers as decimals and garbage", ctJSON, `{"event":"sms_failed","retry_count":"2.0","status_code":"n/a"}`, func(t *testing.T, ev *Event) {
			if ev.SMS.RetryCount != 2 || ev.SMS.StatusCode != 0 {
				t.Errorf("RetryCount, StatusCode = %d, %d", ev.SMS.RetryCount, ev.SMS.StatusCode)
			}
		}},
		{"byte order mark", ctJSON, "\xef\xbb\xbf{\"event\":\"open\"}", func(t *testing.T, ev *Event) {
			if ev.Type != smtp2go.EventOpen {
				t.Errorf("Type = %q", ev.Type)
			}
		}},
		{"invalid UTF-8 and NUL in JSON", ctJSON, "{\"event\":\"open\",\"subject\":\"a\xff\\u0000b\",\"x\xfe\":\"\\u0000\"}", func(t *testing.T, ev *Event) {
			if ev.Subject != "a\uFFFD\x00b" {
				t.Errorf("Subject = %q", ev.Subject)
			}
			if ev.Fields.Get("x\uFFFD") != "\x00" {
				t.Errorf("Fields = %q", ev.Fields)
			}
		}},
		{"invalid UTF-8 and NUL in form", ctForm, "event=open&subject=a%FF%00b&x\xfe=%00", func(t *testing.T, ev *Event) {
			if ev.Subject != "a\xff\x00b" || ev.Fields.Get("x\xfe") != "\x00" {
				t.Errorf("Subject = %q, Fields = %q", ev.Subject, ev.Fields)
			}
		}},
		{"content type parameters and case", "Application/JSON; Charset=UTF-8", `{"event":"open"}`, func(t *testing.T, ev *Event) {
			if ev.Type != smtp2go.EventOpen {
				t.Errorf("Type = %q", ev.Type)
			}
		}},
		{"broken parameter does not hide the media type", "application/x-www-form-urlencoded; charset", "event=open", func(t *testing.T, ev *Event) {
			if ev.Type != smtp2go.EventOpen {
				t.Errorf("Type = %q", ev.Type)
			}
		}},
		{"empty pairs and key without value", ctForm, "&&event=open&&flag&=orphan", func(t *testing.T, ev *Event) {
			if !ev.Fields.Has("flag") || ev.Fields.Get("") != "orphan" {
				t.Errorf("Fields = %q", ev.Fields)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := ParseBody(tt.ct, []byte(tt.body))
			if err != nil {
				t.Fatalf("ParseBody: %v", err)
			}
			tt.check(t, ev)
		})
	}
}

func TestParseBodyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ct      string
		body    string
		is      error
		message string
	}{
		{"no content type", "", `{"event":"open"}`, ErrUnsupportedContentType, "webhook: unsupported content type: none given"},
		{"text/plain", "text/plain", "event=open", ErrUnsupportedContentType, `webhook: unsupported content type: "text/plain"`},
		{"unparsable content type", "/json", "{}", ErrUnsupportedContentType, "webhook: unsupported content type: unparsable media type"},
		{"json not an object", ctJSON, `["event","open"]`, ErrMalformedPayload, "webhook: malformed payload: json: top level must be an object"},
		{"json string", ctJSON, `"event"`, ErrMalformedPayload, "webhook: malformed payload: json: top level must be an object"},
		{"json syntax", ctJSON, `{"event":"open",}`, ErrMalformedPayload, "webhook: malformed payload: json: invalid character at byte 17"},
		{"json empty", ctJSON, ``, ErrMalformedPayload, "webhook: malformed payload: json: unexpected end of JSON input"},
		{"json trailing data", ctJSON, `{"event":"open"} {}`, ErrMalformedPayload, "webhook: malformed payload: json: invalid character at byte 18"},
		{"json no event", ctJSON, `{"id":"x"}`, ErrMalformedPayload, "webhook: malformed payload: no event field"},
		{"json null event", ctJSON, `{"event":null}`, ErrMalformedPayload, "webhook: malformed payload: no event field"},
		{"json empty event list", ctJSON, `{"event":[]}`, ErrMalformedPayload, "webhook: malformed payload: no event field"},
		{"form no event", ctForm, "id=x", ErrMalformedPayload, "webhook: malformed payload: no event field"},
		{"form blank event", ctForm, "event=+", ErrMalformedPayload, "webhook: malformed payload: no event field"},
		{"form empty", ctForm, "", ErrMalformedPayload, "webhook: malformed payload: no event field"},
		{"form bad escape", ctForm, "event=open&secret=%zz", ErrMalformedPayload, `webhook: malformed payload: form: invalid percent-escape in the value of "secret"`},
		{"form bad escape in key", ctForm, "ev%g1=open", ErrMalformedPayload, `webhook: malformed payload: form: invalid percent-escape in a field name`},
		{"form semicolon", ctForm, "event=open;id=1", ErrMalformedPayload, "webhook: malformed payload: form: semicolon separator"},
		{"long media type", "application/" + strings.Repeat("x", 100), "", ErrUnsupportedContentType, `webhook: unsupported content type: "application/` + strings.Repeat("x", 52) + `…"`},
		{"multipart without boundary", "multipart/form-data", "x", ErrMalformedPayload, "webhook: malformed payload: multipart: no boundary in Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := ParseBody(tt.ct, []byte(tt.body))
			if err == nil {
				t.Fatalf("ParseBody succeeded with type %q, want an error", ev.Type)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %q does not match %v", err, tt.is)
			}
			if err.Error() != tt.message {
				t.Errorf("error = %q, want %q", err, tt.message)
			}
		})
	}
}

func TestParseBodyErrorUnwrapsCause(t *testing.T) {
	t.Parallel()
	_, err := ParseBody(ctJSON, []byte(`{"event":`))
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		t.Errorf("error %v does not unwrap to *json.SyntaxError", err)
	}
	_, err = ParseBody(ctForm, []byte(`event=%`))
	var esc url.EscapeError
	if !errors.As(err, &esc) {
		t.Errorf("error %v does not unwrap to url.EscapeError", err)
	}
}

func TestParseBodyHostile(t *testing.T) {
	t.Parallel()
	t.Run("depth bomb", func(t *testing.T) {
		t.Parallel()
		for _, body := range []string{
			strings.Repeat("[", 100_000),
			`{"event":"open","x":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}",
			`{"event":"open","x":` + strings.Repeat(`{"a":`, 20_000) + "1" + strings.Repeat("}", 20_000) + "}",
		} {
			_, err := ParseBody(ctJSON, []byte(body))
			if !errors.Is(err, ErrMalformedPayload) || !strings.Contains(err.Error(), "nested too deep") {
				t.Errorf("error = %v, want malformed payload: nested too deep", err)
			}
		}
	})
	t.Run("raw NUL bytes", func(t *testing.T) {
		t.Parallel()
		for _, body := range []string{"{\"event\":\"open\",\"x\":\"\x00\"}", "\x00", "{\"event\":\"open\"}\x00"} {
			if _, err := ParseBody(ctJSON, []byte(body)); !errors.Is(err, ErrMalformedPayload) {
				t.Errorf("%q: error = %v, want malformed payload", body, err)
			}
		}
	})
	t.Run("10000 repeated form keys", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		b.WriteString("event=processed&id=abc")
		for i := 0; i < 10_000; i++ {
			fmt.Fprintf(&b, "&recipients=user%d%%40example.org", i)
		}
		if b.Len() > DefaultMaxBodyBytes {
			t.Fatalf("body of %d bytes is over the limit", b.Len())
		}
		ev, err := ParseBody(ctForm, []byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.Recipients) != 10_000 || ev.Recipients[9999] != "user9999@example.org" {
			t.Errorf("got %d recipients", len(ev.Recipients))
		}
	})
	t.Run("10000 repeated JSON keys", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		b.WriteString(`{"event":"processed"`)
		for i := 0; i < 10_000; i++ {
			fmt.Fprintf(&b, `,"recipients":"user%d@example.org"`, i)
		}
		b.WriteString("}")
		ev, err := ParseBody(ctJSON, []byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"user9999@example.org"}; !reflect.DeepEqual(ev.Recipients, want) { // the last wins
			t.Errorf("got %d recipients", len(ev.Recipients))
		}
	})
	t.Run("100000 distinct keys", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		b.WriteString("event=open")
		for i := 0; i < 100_000; i++ {
			fmt.Fprintf(&b, "&k%d=v", i)
		}
		ev, err := ParseBody(ctForm, []byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.Fields) != 100_001 || ev.Fields.Get("k99999") != "v" {
			t.Errorf("got %d fields", len(ev.Fields))
		}
	})
}

func multipartBody(t testing.TB, parts func(w *multipart.Writer)) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	parts(w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

func TestParseBodyMultipart(t *testing.T) {
	t.Parallel()
	ct, body := multipartBody(t, func(w *multipart.Writer) {
		w.WriteField("event", "processed")
		w.WriteField("id", "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
		w.WriteField("recipients", "jane@example.org")
		w.WriteField("recipients", "john@example.net")
		w.WriteField("read-secs", "5")
		w.WriteField("time", "2026-03-24T08:23:19Z")
	})
	ev, err := ParseBody(ct, body)
	if err != nil {
		t.Fatal(err)
	}
	checkEvent(t, ev, Event{
		Type: smtp2go.EventProcessed, RawType: "processed", ID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		Recipients: []string{"jane@example.org", "john@example.net"}, ReadSecs: 5,
		Time: utc("2026-03-24T08:23:19Z"),
	})

	tests := []struct {
		name    string
		parts   func(w *multipart.Writer)
		message string
	}{
		{"file part", func(w *multipart.Writer) {
			w.WriteField("event", "open")
			fw, _ := w.CreateFormFile("upload", "secret.txt")
			fw.Write([]byte("data"))
		}, `webhook: malformed payload: multipart: file part "upload" not accepted`},
		{"file part with a long name", func(w *multipart.Writer) {
			fw, _ := w.CreateFormFile(strings.Repeat("n", 100), "a.txt")
			fw.Write([]byte("data"))
		}, `webhook: malformed payload: multipart: file part "` + strings.Repeat("n", 64) + `…" not accepted`},
		{"part without a name", func(w *multipart.Writer) {
			w.WriteField("event", "open")
			w.CreatePart(map[string][]string{"Content-Disposition": {"attachment"}})
		}, "webhook: malformed payload: multipart: part without a form-data name"},
		{"no event", func(w *multipart.Writer) {
			w.WriteField("id", "1")
		}, "webhook: malformed payload: no event field"},
	}
	for _, tt := range tests {
		ct, body := multipartBody(t, tt.parts)
		_, err := ParseBody(ct, body)
		if !errors.Is(err, ErrMalformedPayload) || err.Error() != tt.message {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.message)
		}
	}

	// A broken part header must not be echoed: it could hold anything.
	broken := "--B\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\nopen\r\n--B\r\nsecret-header-line\r\n\r\nx\r\n--B--\r\n"
	_, err = ParseBody("multipart/form-data; boundary=B", []byte(broken))
	if !errors.Is(err, ErrMalformedPayload) || strings.Contains(err.Error(), "secret") {
		t.Errorf("error = %v, want a malformed payload that does not quote the body", err)
	}
	if err.Error() != "webhook: malformed payload: multipart: malformed part" {
		t.Errorf("error = %q", err)
	}
}

func TestEventHeader(t *testing.T) {
	t.Parallel()
	ev, err := ParseBody(ctForm, readFixture(t, "custom_headers.form"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"X-Customer-Id": "cust-42",
		"x-customer-id": "cust-42",
		"X-CAMPAIGN":    "spring",
		"Message-Id":    "<E1abc-0003@message-id.example>",
		"message-ID":    "<E1abc-0003@message-id.example>",
		"Subject":       "Custom headers",
		"X-Missing":     "",
	} {
		if got := ev.Header(name); got != want {
			t.Errorf("Header(%q) = %q, want %q", name, got, want)
		}
	}

	// Keys differing only in case: exact match first, then the first in order.
	ev = &Event{Fields: url.Values{"x-id": {"lower"}, "X-Id": {"canonical"}, "X-ID": {"upper"}}}
	for name, want := range map[string]string{"x-id": "lower", "X-Id": "canonical", "x-ID": "upper"} {
		if got := ev.Header(name); got != want {
			t.Errorf("Header(%q) = %q, want %q", name, got, want)
		}
	}
	var nilEvent *Event
	if nilEvent.Header("x") != "" {
		t.Error("Header on a nil event is not empty")
	}
	if got := (&Event{}).Header("x"); got != "" {
		t.Errorf("Header without Fields = %q", got)
	}
}

func TestParseMixedCaseHeaderIsDeterministic(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event":"delivered","Message-ID":"<upper>","Message-Id":"<canonical>","message-ID":"<mixed>","SUBJECT":"A","Subject":"B"}`)
	for i := 0; i < 20; i++ { // map order varies from run to run
		ev, err := ParseBody(ctJSON, body)
		if err != nil {
			t.Fatal(err)
		}
		if ev.MessageID != "<upper>" || ev.Subject != "A" {
			t.Fatalf("MessageID, Subject = %q, %q; want the first key in sort order", ev.MessageID, ev.Subject)
		}
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	want := utc("2026-03-24T08:23:19Z")
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-03-24T08:23:19Z", want},
		{"2026-03-24T08:23:19z", want},
		{"2026-03-24T08:23:19", want},
		{"2026-03-24 08:23:19", want},
		{"2026-03-24t08:23:19", want},
		{" 2026-03-24T08:23:19Z ", want},
		{"2026-03-24T08:23:19+00:00", want},
		{"2026-03-24T10:23:19+02:00", want},
		{"2026-03-24T03:53:19-04:30", want},
		{"2026-03-24T10:23:19+0200", want},
		{"2026-03-24T10:23:19+02", want},
		{"2026-03-24 08:23:19 UTC", want},
		{"2026-03-24 08:23:19 +00:00", want},
		{"2026-03-24T08:23:19GMT", want},
		{"2026-03-24T08:23:19.052765+00:00", utc("2026-03-24T08:23:19.052765Z")},
		{"2026-03-24T08:23:19.052765", utc("2026-03-24T08:23:19.052765Z")},
		{"2026-03-24T08:23:19,5Z", utc("2026-03-24T08:23:19.5Z")},
		{"2026-03-24T08:23:19.123456789123Z", utc("2026-03-24T08:23:19.123456789Z")},
		{"2024-02-29T00:00:00Z", utc("2024-02-29T00:00:00Z")},
		{"2000-02-29T00:00:00Z", utc("2000-02-29T00:00:00Z")},
		{"1711268599", time.Unix(1711268599, 0).UTC()},
		{"1711268599.25", time.Unix(1711268599, 250_000_000).UTC()},
		{"1711268599123", time.UnixMilli(1711268599123).UTC()},
		// Not times: left zero.
		{"", time.Time{}},
		{"yesterday", time.Time{}},
		{"2026-03-24", time.Time{}},
		{"2026-13-24T08:23:19Z", time.Time{}},
		{"2026-00-24T08:23:19Z", time.Time{}},
		{"2026-02-29T08:23:19Z", time.Time{}},
		{"1900-02-29T08:23:19Z", time.Time{}},
		{"2026-04-31T08:23:19Z", time.Time{}},
		{"2026-03-00T08:23:19Z", time.Time{}},
		{"2026-03-24T24:00:00Z", time.Time{}},
		{"2026-03-24T08:60:00Z", time.Time{}},
		{"2026-03-24T08:23:60Z", time.Time{}},
		{"2026-03-24X08:23:19Z", time.Time{}},
		{"2026-03-24T08:23:19.Z", time.Time{}},
		{"2026-03-24T08:23:19+2", time.Time{}},
		{"2026-03-24T08:23:19+02-00", time.Time{}},
		{"2026-03-24T08:23:19+0x", time.Time{}},
		{"2026-03-24T08:23:19+xx:00", time.Time{}},
		{"2026-03-24T08:23:19 PST", time.Time{}},
		{"+026-03-24T08:23:19Z", time.Time{}},
		{"17112685", time.Time{}},
		{"1711268599.2x", time.Time{}},
		{"171126859912", time.Time{}},
		{"1711268599123.5", time.Time{}},
		{"-1711268599", time.Time{}},
	}
	for _, tt := range tests {
		if got := parseTime(tt.in); !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseInt(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{
		"5": 5, " 30 ": 30, "-2": -2, "5.0": 5, "7.9": 7, "1e1": 10,
		"": 0, "x": 0, "NaN": 0, "Inf": 0, "1e300": 0, "-1e300": 0, "99999999999999999999": 0,
	} {
		if got := parseLooseInt(in); got != want {
			t.Errorf("parseInt(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestDedupKey(t *testing.T) {
	t.Parallel()
	parse := func(ct, body string) *Event {
		t.Helper()
		ev, err := ParseBody(ct, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	isHash := func(k string) bool { return strings.HasPrefix(k, "h:") && len(k) == 2+64 }

	if k := parse(ctForm, "event=open&id=0f1e2d3c4b5a69788796a5b4c3d2e1f0").DedupKey(); k != "0f1e2d3c4b5a69788796a5b4c3d2e1f0" {
		t.Errorf("with an ID: %q", k)
	}
	long := strings.Repeat("a", maxDirectIDLen+1)
	if k := parse(ctForm, "event=open&id="+long).DedupKey(); !isHash(k) {
		t.Errorf("with a long ID: %q, want a hash", k)
	}

	for _, id := range []string{"0f1e\xff", "abc\x00def", "a b", "é", "h:x", "a/b"} {
		if k := (&Event{ID: id}).DedupKey(); !isHash(k) {
			t.Errorf("with the ID %q: %q, want a hash", id, k)
		}
	}
	for _, id := range []string{"a", "A-b_c.9", strings.Repeat("f", maxDirectIDLen)} {
		if k := (&Event{ID: id}).DedupKey(); k != id {
			t.Errorf("with the ID %q: %q, want the ID", id, k)
		}
	}
	if (&Event{ID: long}).DedupKey() == (&Event{Fields: url.Values{"id": {long}}}).DedupKey() {
		t.Error("a hashed ID and the fields of another event share a key")
	}

	// Without an ID, every field counts: the same delivery gives the same
	// key in any order and either encoding, and deliveries that differ in
	// anything give different keys.
	a := parse(ctForm, "event=bounce&email_id=e1&rcpt=a%40x&bounce=soft&x=1&x=2")
	same := []*Event{
		parse(ctForm, "x=1&rcpt=a%40x&bounce=soft&x=2&event=bounce&email_id=e1"),
		parse(ctJSON, `{"event":"bounce","email_id":"e1","rcpt":"a@x","bounce":"soft","x":["1","2"]}`),
	}
	for _, b := range same {
		if !isHash(a.DedupKey()) || b.DedupKey() != a.DedupKey() {
			t.Errorf("the same delivery: %q and %q", a.DedupKey(), b.DedupKey())
		}
	}
	for _, other := range []string{
		"event=bounce&email_id=e1&rcpt=a%40x&bounce=hard&x=1&x=2", // a soft, then a hard bounce, without a time
		"event=bounce&email_id=e1&rcpt=b%40x&bounce=soft&x=1&x=2",
		"event=bounce&email_id=e1&rcpt=a%40x&bounce=soft&x=2&x=1", // values in another order
		"event=bounce&email_id=e1&rcpt=a%40x&bounce=soft&x=1",
		"event=bounce&email_id=e1&rcpt=a%40x&bounce=soft&x=12",       // length prefixes keep boundaries apart
		"event=bounce&email_id=e1&rcpt=a%40x&bounce=soft&x=1&x=2&y=", // an empty field is a field
	} {
		if k := parse(ctForm, other).DedupKey(); k == a.DedupKey() {
			t.Errorf("%s: same key as a different delivery", other)
		}
	}
	// Two clicks on different links in the same second.
	c1 := parse(ctJSON, `{"event":"click","email_id":"e1","rcpt":"a@x","time":"2026-03-24T08:23:19Z","url":"https://example.com/a"}`)
	c2 := parse(ctJSON, `{"event":"click","email_id":"e1","rcpt":"a@x","time":"2026-03-24T08:23:19Z","url":"https://example.com/b"}`)
	if c1.DedupKey() == c2.DedupKey() {
		t.Error("two clicks on different links share a key")
	}
	if (*Event)(nil).DedupKey() != "" {
		t.Error("nil event: a key")
	}
}

func TestEventStringAndLogValueOmitAuth(t *testing.T) {
	t.Parallel()
	ev, err := ParseBody(ctForm, readFixture(t, "delivered_live_capture.form"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ev.String(), "smtp2go event delivered id=0f1e2d3c4b5a69788796a5b4c3d2e1f0 email_id=1abc-0001"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{ev, *ev, []Event{*ev}, []*Event{ev}} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, "api-EXAMPLE") {
				t.Errorf("%s of %T shows Auth", verb, v)
			}
		}
	}
	if s := fmt.Sprintf("%#v", ev); !strings.Contains(s, `webhook.Event{Type:"delivered"`) || !strings.Contains(s, `Auth:"[redacted]"`) ||
		!strings.Contains(s, `"auth":[]string{"[redacted]"}`) || !strings.Contains(s, `"rcpt":[]string{"jane@example.org"}`) {
		t.Errorf("%%#v = %s; want Go syntax with Auth and the auth field redacted, the rest as is", s)
	}
	if ev.Auth != "api-EXAMPLE" || ev.Fields.Get("auth") != "api-EXAMPLE" {
		t.Error("printing changed the event")
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("got", "event", ev)
	if strings.Contains(buf.String(), "api-EXAMPLE") {
		t.Errorf("slog JSON output holds Auth: %s", buf.String())
	}
	buf.Reset()
	slog.New(slog.NewTextHandler(&buf, nil)).Info("got", "event", ev)
	if out := buf.String(); strings.Contains(out, "api-EXAMPLE") || !strings.Contains(out, "event.id=0f1e2d3c4b5a69788796a5b4c3d2e1f0") ||
		!strings.Contains(out, "event.time=2026-03-24T08:23:19") || !strings.Contains(out, "event.email_id=1abc-0001") {
		t.Errorf("slog output %q: want type, id, email_id and time, without Auth", out)
	}

	sms, err := ParseBody(ctForm, []byte("event=sms_failed&id=x1&message_id=m1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sms.String(); got != "smtp2go event sms_failed id=x1 message_id=m1" {
		t.Errorf("SMS String() = %q", got)
	}
	buf.Reset()
	slog.New(slog.NewTextHandler(&buf, nil)).Info("got", "event", sms)
	if !strings.Contains(buf.String(), "event.message_id=m1") {
		t.Errorf("SMS slog output %q lacks the message ID", buf.String())
	}

	var nilEvent *Event
	if got := fmt.Sprint(nilEvent); got != "<nil>" {
		t.Errorf("nil event formats as %q", got)
	}
	// An Event value, not only a pointer, leaves Auth out.
	value := *ev
	for _, out := range []string{fmt.Sprint(value), fmt.Sprintf("%v", []Event{value})} {
		if strings.Contains(out, value.Auth) {
			t.Errorf("printed Event value holds Auth: %s", out)
		}
	}
}

func TestEventTypeIsSMS(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		t    smtp2go.EventType
		want bool
	}{{smtp2go.EventSMSDelivered, true}, {smtp2go.EventSMSRejected, true}, {"sms_opt_out", true}, {smtp2go.EventDelivered, false}, {"sms", false}} {
		if got := tt.t.IsSMS(); got != tt.want {
			t.Errorf("%q.IsSMS() = %v", tt.t, got)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(readFixture(t, "bounce_hard.json")))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	ev, err := Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != smtp2go.EventBounce || ev.Bounce != BounceHard || ev.Rcpt != "nobody@example.org" {
		t.Errorf("got %v bounce %q rcpt %q", ev, ev.Bounce, ev.Rcpt)
	}

	req = httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader("event=open"))
	req.Header.Set("Content-Type", "text/plain")
	if _, err := Parse(req); !errors.Is(err, ErrUnsupportedContentType) {
		t.Errorf("text/plain: error = %v", err)
	}

	big := "event=open&x=" + strings.Repeat("a", DefaultMaxBodyBytes)
	req = httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(big))
	req.Header.Set("Content-Type", ctForm)
	var tooLarge *http.MaxBytesError
	if _, err := Parse(req); !errors.As(err, &tooLarge) || !strings.HasPrefix(err.Error(), "webhook: reading body: ") {
		t.Errorf("body over 1 MiB: error = %v, want *http.MaxBytesError", err)
	}

	req = httptest.NewRequest(http.MethodPost, "/hook", nil)
	req.Body = nil
	req.Header.Set("Content-Type", ctForm)
	if _, err := Parse(req); !errors.Is(err, ErrMalformedPayload) {
		t.Errorf("nil body: error = %v", err)
	}
}

// fuzzContentTypes are what the first fuzz argument selects from.
var fuzzContentTypes = []string{
	ctForm,
	ctForm + "; charset=UTF-8",
	ctJSON,
	"Application/JSON; charset=utf-8",
	"multipart/form-data; boundary=XyZ",
	"text/plain",
	"",
	"multipart/form-data",
}

func FuzzParseBody(f *testing.F) {
	for _, name := range []string{"delivered_live_capture.form", "processed_recipients.json", "nested_values.json", "sms_failed.form", "open.json"} {
		body := readFixture(f, name)
		sel := uint8(0)
		if strings.HasSuffix(name, ".json") {
			sel = 2
		}
		f.Add(sel, body)
	}
	f.Add(uint8(2), []byte(`{"event":"open","a":[1,{"b":[null,"\u00e9\\\""]}],"c":-1.5e3}`))
	f.Add(uint8(3), []byte("\xef\xbb\xbf{\"event\":\"x\xff\"}"))
	f.Add(uint8(4), []byte("--XyZ\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\nopen\r\n--XyZ--\r\n"))
	f.Add(uint8(1), []byte("event=open&time=2026-03-24+08%3A23%3A19&read-secs=5.0&%zz"))
	f.Add(uint8(5), []byte("event=open"))
	f.Add(uint8(2), []byte(`{"event":"open","x":1,"x":[2,3],"y":[],"y":null}`))

	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		ct := fuzzContentTypes[int(sel)%len(fuzzContentTypes)]
		ev, err := ParseBody(ct, body)
		if err != nil {
			if !errors.Is(err, ErrMalformedPayload) && !errors.Is(err, ErrUnsupportedContentType) {
				t.Fatalf("error %q matches no sentinel", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error %q is not one line", err)
			}
		} else {
			if ev.Fields == nil || strings.TrimSpace(ev.RawType) == "" || ev.RawType != ev.Fields[fieldEvent][0] {
				t.Fatalf("event without an event field: RawType %q", ev.RawType)
			}
			if ev.Type.IsSMS() != (ev.SMS != nil) {
				t.Fatalf("Type %q with SMS %v", ev.Type, ev.SMS)
			}
			if ev.DedupKey() == "" {
				t.Fatal("empty DedupKey")
			}
			_ = ev.String()
			_ = ev.LogValue()
			_ = ev.Header("Message-Id")
		}

		// Differential checks of the fields against the standard library.
		switch {
		case strings.Contains(strings.ToLower(ct), "json"):
			trimmed := bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
			got, err := parseJSON(body)
			trimmed = bytes.Trim(trimmed, " \t\r\n") // JSON's white space only
			wantOK := json.Valid(trimmed) && len(trimmed) > 0 && trimmed[0] == '{'
			if (err == nil) != wantOK {
				t.Fatalf("parseJSON error = %v, want success %v", err, wantOK)
			}
			if err != nil {
				return
			}
			want, err := referenceFields(body)
			if err != nil {
				t.Fatalf("reference decoder failed on a valid object: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("parseJSON = %q, want %q", got, want)
			}
		case strings.HasPrefix(ct, ctForm) && bytes.Count(body, []byte("&")) < 10_000:
			got, err := parseForm(string(body))
			want, werr := url.ParseQuery(string(body))
			if (err == nil) != (werr == nil) {
				t.Fatalf("parseForm error = %v, url.ParseQuery error = %v", err, werr)
			}
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("parseForm = %q, want %q", got, want)
			}
		}
	})
}

func BenchmarkParseForm(b *testing.B) {
	body := readFixture(b, "delivered_live_capture.form")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseBody(ctForm, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFormBaseline is url.ParseQuery alone on the same body.
func BenchmarkParseFormBaseline(b *testing.B) {
	body := readFixture(b, "delivered_live_capture.form")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if _, err := url.ParseQuery(string(body)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseJSON(b *testing.B) {
	body := readFixture(b, "delivered.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseBody(ctJSON, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseJSONBaseline is json.Unmarshal into a map alone on the
// same body.
func BenchmarkParseJSONBaseline(b *testing.B) {
	body := readFixture(b, "delivered.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}
