package webhook_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/webhook"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

// The round-trip tests send events with the fake SMTP2GO of package
// smtp2gotest to the SDK's own handler, over loopback HTTP, and check that
// what the handler parses is what was sent.

// everyEventType is every email and SMS event.
func everyEventType() []smtp2go.EventType {
	types := smtp2go.EmailEventTypes()
	for _, s := range smtp2go.SMSEventTypes() {
		types = append(types, s.EventType())
	}
	return types
}

// eventDiff lists the typed fields that differ between want and got: every
// field of Event but Fields, ID and RawType (which the wire does not carry
// from the sender), and every field of the SMS details. Times are compared
// as instants.
func eventDiff(want, got *webhook.Event) []string {
	skip := map[string]bool{"Fields": true, "ID": true, "RawType": true}
	return structDiff("", reflect.ValueOf(*want), reflect.ValueOf(*got), skip)
}

func structDiff(prefix string, want, got reflect.Value, skip map[string]bool) []string {
	var diffs []string
	for i := range want.NumField() {
		name := want.Type().Field(i).Name
		if skip[name] {
			continue
		}
		w, g := want.Field(i), got.Field(i)
		switch wv := w.Interface().(type) {
		case time.Time:
			if !wv.Equal(g.Interface().(time.Time)) {
				diffs = append(diffs, fmt.Sprintf("%s%s: got %v, want %v", prefix, name, g, w))
			}
			continue
		case *webhook.SMSDetails:
			gv := g.Interface().(*webhook.SMSDetails)
			if wv == nil || gv == nil {
				if (wv == nil) != (gv == nil) {
					diffs = append(diffs, fmt.Sprintf("%s%s: got %+v, want %+v", prefix, name, gv, wv))
				}
				continue
			}
			diffs = append(diffs, structDiff(name+".", reflect.ValueOf(*wv), reflect.ValueOf(*gv), nil)...)
			continue
		}
		if !reflect.DeepEqual(w.Interface(), g.Interface()) {
			diffs = append(diffs, fmt.Sprintf("%s%s: got %#v, want %#v", prefix, name, g, w))
		}
	}
	return diffs
}

// receiveOne returns the event the handler passed on, or fails t: Emit and
// Deliver return after the handler answered, so it is there already.
func receiveOne(t *testing.T, got <-chan *webhook.Event) *webhook.Event {
	t.Helper()
	select {
	case ev := <-got:
		return ev
	default:
		t.Fatal("the handler received no event")
		return nil
	}
}

func TestRoundTripEveryEventThroughTheHandler(t *testing.T) {
	t.Parallel()
	basic := base64.StdEncoding.EncodeToString([]byte("smtp2go:hook pass"))
	auths := []struct {
		name    string
		hook    func(req *smtp2go.AddWebhookRequest)
		handler webhook.Option
	}{
		{"bearer", func(req *smtp2go.AddWebhookRequest) {
			req.AuthHeaderType, req.AuthHeaderValue = smtp2go.AuthBearer, "tok-0123456789"
		}, webhook.WithBearerToken("tok-0123456789")},
		{"basic header", func(req *smtp2go.AddWebhookRequest) {
			req.AuthHeaderType, req.AuthHeaderValue = smtp2go.AuthBasic, smtp2go.Secret(basic)
		}, webhook.WithBasicAuth("smtp2go", "hook pass")},
		{"basic in URL", func(req *smtp2go.AddWebhookRequest) {
			req.URL = strings.Replace(req.URL, "://", "://smtp2go:hook%20pass@", 1)
		}, webhook.WithBasicAuth("smtp2go", "hook pass")},
	}
	for _, format := range []smtp2go.OutputFormat{smtp2go.OutputForm, smtp2go.OutputJSON} {
		for _, auth := range auths {
			t.Run(string(format)+"/"+auth.name, func(t *testing.T) {
				t.Parallel()
				srv := smtp2gotest.NewServer(t)
				got := make(chan *webhook.Event, 1)
				endpoint := httptest.NewServer(webhook.NewHandler(func(_ context.Context, ev *webhook.Event) error {
					got <- ev
					return nil
				}, auth.handler))
				t.Cleanup(endpoint.Close)
				req := smtp2go.AddWebhookRequest{
					URL: endpoint.URL + "/smtp2go", Events: smtp2go.EmailEventTypes(),
					SMSEvents: smtp2go.SMSEventTypes(), OutputFormat: format,
				}
				auth.hook(&req)
				if _, err := srv.Client().Webhooks.Add(context.Background(), &req); err != nil {
					t.Fatal(err)
				}

				for _, typ := range everyEventType() {
					want := smtp2gotest.SampleEvent(typ)
					ds, err := srv.Emit(context.Background(), want)
					if err != nil || len(ds) != 1 || !ds[0].OK() || ds[0].Attempt != 1 {
						t.Fatalf("%s: Emit = %+v, %v; want one delivery answered 2xx", typ, ds, err)
					}
					ev := receiveOne(t, got)
					for _, d := range eventDiff(&want, ev) {
						t.Errorf("%s: %s", typ, d)
					}
					if ev.ID != ds[0].EventID || ev.RawType != string(typ) {
						t.Errorf("%s: received ID %q, RawType %q; sent ID %q", typ, ev.ID, ev.RawType, ds[0].EventID)
					}
				}
			})
		}
	}
}

func TestRoundTripRedeliveryAndDeduplication(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	var calls atomic.Int32
	endpoint := httptest.NewServer(webhook.NewHandler(func(context.Context, *webhook.Event) error {
		if calls.Add(1) == 1 {
			return errors.New("database unavailable")
		}
		return nil
	}))
	t.Cleanup(endpoint.Close)
	_, err := srv.Client().Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{
		URL: endpoint.URL, Events: []smtp2go.EventType{smtp2go.EventDelivered},
	})
	if err != nil {
		t.Fatal(err)
	}

	ev := smtp2gotest.SampleEvent(smtp2go.EventDelivered)
	if _, err := srv.Emit(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	all := srv.Deliveries()
	if len(all) != 2 || all[0].Attempt != 1 || all[0].Status != 500 || all[1].Attempt != 2 || all[1].Status != 200 {
		t.Fatalf("Deliveries = %+v, want attempt 1 answered 500 and attempt 2 answered 200", all)
	}
	if all[0].EventID != all[1].EventID {
		t.Errorf("redelivery id %q, want the first's %q", all[1].EventID, all[0].EventID)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("callback ran %d times, want 2", n)
	}

	// SMTP2GO sends the event again (a redelivery after a lost answer): the
	// handler acknowledges it without running the callback.
	ev.ID = all[0].EventID
	ds, err := srv.Emit(context.Background(), ev)
	if err != nil || len(ds) != 1 || ds[0].Status != 200 || ds[0].Attempt != 1 || ds[0].EventID != ev.ID {
		t.Fatalf("Emit of the same event = %+v, %v; want 200 at once", ds, err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("callback ran %d times, want still 2: the duplicate was processed", n)
	}
}

func TestRoundTripDeliverWithHeaders(t *testing.T) {
	t.Parallel()
	got := make(chan *webhook.Event, 1)
	endpoint := httptest.NewServer(webhook.NewHandler(func(_ context.Context, ev *webhook.Event) error {
		got <- ev
		return nil
	}, webhook.WithBearerToken("tok-test-button")))
	t.Cleanup(endpoint.Close)

	for _, format := range []smtp2go.OutputFormat{smtp2go.OutputForm, smtp2go.OutputJSON} {
		want := smtp2gotest.SampleEvent(smtp2go.EventClick)
		want.Fields = url.Values{"X-Customer-Id": {"C-42"}}
		d, err := smtp2gotest.Deliver(context.Background(), endpoint.URL, want,
			smtp2gotest.WithFormat(format), smtp2gotest.WithBearerToken("tok-test-button"),
			smtp2gotest.WithHeaders("X-Customer-Id", "X-Campaign"))
		if err != nil || !d.OK() {
			t.Fatalf("%s: Deliver = %+v, %v", format, d, err)
		}
		ev := receiveOne(t, got)
		for _, diff := range eventDiff(&want, ev) {
			t.Errorf("%s: %s", format, diff)
		}
		if c, a := ev.Header("X-Customer-Id"), ev.Header("X-Campaign"); c != "C-42" || a != "Headers Unavailable" {
			t.Errorf("%s: headers X-Customer-Id %q, X-Campaign %q; want C-42 and Headers Unavailable", format, c, a)
		}
		if ev.ID != d.EventID {
			t.Errorf("%s: ID %q, want %q", format, ev.ID, d.EventID)
		}
	}
}
