package riverqueue_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/deliverbench"
	"github.com/relaykit/smtp2go/smtp2gotest"
	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/riverqueue"
)

// sample is an event as the handler parsed it, named for where it came from.
type sample struct {
	name string
	ev   *webhook.Event
}

// fixtureSamples are the bodies in the webhook package's testdata, the live
// capture among them, and a delivery shaped like the live capture.
func fixtureSamples(t *testing.T) []sample {
	t.Helper()
	paths, err := filepath.Glob("../testdata/events/*")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in ../testdata/events: %v", err)
	}
	var out []sample
	for _, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ct := "application/json"
		if strings.HasSuffix(p, ".form") {
			ct = "application/x-www-form-urlencoded"
		}
		ev, err := webhook.ParseBody(ct, body)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, sample{filepath.Base(p), ev})
	}
	ev, err := webhook.ParseBody("application/x-www-form-urlencoded", []byte(deliverbench.Body(1)))
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, sample{"live-capture shape", ev})
	// Text JSON in PostgreSQL cannot hold as it is: bytes that are not
	// UTF-8 and NUL bytes, in names and values.
	for name, body := range map[string]string{
		"form with bytes that are not UTF-8": "event=open&id=0a&subject=a%FFb&x%FE=%C3&rcpt=r%80",
		"form with NUL bytes":                "event=bounce&id=0b&message=a%00b&x%00=%00&Subject=%E2%82%AC",
		"form with a backslash before ufffd": "event=click&id=0c&url=%5Cufffd%5Cu0000",
		"form with times beyond year 9999":   "event=open&id=0e&time=9999-12-31T23%3A59%3A59-05%3A00&sendtime=0000-01-01T00%3A00%3A00%2B01%3A00&opened-at=2026-03-24T08%3A23%3A19Z",
	} {
		ev, err := webhook.ParseBody("application/x-www-form-urlencoded", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sample{name, ev})
	}
	ev, err = webhook.ParseBody("application/json", []byte(`{"event":"processed","id":"0d","recipients":[],"x":[],"subject":"\u0000\ufffd"}`))
	if err != nil {
		t.Fatal(err)
	}
	return append(out, sample{"JSON with empty arrays and NUL", ev})
}

// fakeSamples are every sample event of the fake SMTP2GO, in form and JSON,
// with a custom header, as the handler parsed them from the fake's deliveries.
func fakeSamples(t *testing.T) []sample {
	t.Helper()
	var (
		mu  sync.Mutex
		got []*webhook.Event
	)
	endpoint := httptest.NewServer(webhook.NewHandler(func(_ context.Context, ev *webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
		return nil
	}, webhook.WithoutDeduplication()))
	t.Cleanup(endpoint.Close)
	types := smtp2go.EmailEventTypes()
	for _, s := range smtp2go.SMSEventTypes() {
		types = append(types, s.EventType())
	}
	var out []sample
	for _, format := range []smtp2go.OutputFormat{smtp2go.OutputForm, smtp2go.OutputJSON} {
		for _, typ := range types {
			ev := smtp2gotest.SampleEvent(typ)
			ev.Fields = url.Values{"X-Customer-Id": {"C-42"}}
			d, err := smtp2gotest.Deliver(context.Background(), endpoint.URL, ev,
				smtp2gotest.WithFormat(format), smtp2gotest.WithHeaders("X-Customer-Id", "X-Campaign"))
			if err != nil || !d.OK() {
				t.Fatalf("%s %s: Deliver = %+v, %v", format, typ, d, err)
			}
			mu.Lock()
			if len(got) != 1 || got[0].Header("X-Customer-Id") != "C-42" || got[0].Header("X-Campaign") == "" {
				t.Fatalf("%s %s: the handler received %d events, want 1 with both custom headers", format, typ, len(got))
			}
			out = append(out, sample{string(format) + " " + string(typ), got[0]})
			got = nil
			mu.Unlock()
		}
	}
	return out
}

// TestEventRoundTripsThroughTheJob checks that what a worker gets is the
// event the handler parsed, every field of it: through the job's JSON, and
// through PostgreSQL, which keeps args as jsonb.
func TestEventRoundTripsThroughTheJob(t *testing.T) {
	samples := append(fixtureSamples(t), fakeSamples(t)...)
	for _, s := range samples {
		raw, err := json.Marshal(riverqueue.EventArgs{Key: s.ev.DedupKey(), Event: *s.ev})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var back riverqueue.EventArgs
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !reflect.DeepEqual(back.Event, *s.ev) || back.Key != s.ev.DedupKey() {
			t.Errorf("%s: through JSON\n got %#v\nwant %#v", s.name, back.Event, *s.ev)
		}
	}

	d := newDB(t)
	client := d.client(d.admin, nil, nil)
	enqueue := riverqueue.Enqueue(client)
	byKey := map[string]sample{}
	for _, s := range samples {
		if err := enqueue(context.Background(), s.ev); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		byKey[s.ev.DedupKey()] = s
	}
	jobs := d.jobs()
	if len(jobs) != len(byKey) {
		t.Errorf("%d jobs for %d distinct events", len(jobs), len(byKey))
	}
	for _, job := range jobs {
		args := argsOf(t, job)
		s, ok := byKey[args.Key]
		if !ok {
			t.Errorf("job %d has key %q, of no event sent", job.ID, args.Key)
			continue
		}
		if !reflect.DeepEqual(args.Event, *s.ev) {
			t.Errorf("%s: through PostgreSQL\n got %#v\nwant %#v", s.name, args.Event, *s.ev)
		}
	}
}
