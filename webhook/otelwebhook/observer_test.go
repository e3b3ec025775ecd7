package otelwebhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/otelwebhook"
)

// Values planted in deliveries that must never become an attribute.
const (
	plantedAPIKey   = "api-PLANTEDKEY0123456789abcdef"
	plantedAddress  = "jane.planted@example.org"
	plantedPassword = "planted-Password-7"
	plantedHeader   = "planted-header-value"
)

var planted = []string{plantedAPIKey, plantedAddress, plantedPassword, plantedHeader, "@"}

// body is a form delivery of event with notification ID id, carrying the
// planted values in the fields where SMTP2GO puts such things.
func body(event, id string) string {
	return "event=" + event + "&id=" + id + "&auth=" + plantedAPIKey + "&rcpt=" + strings.ReplaceAll(plantedAddress, "@", "%40") +
		"&sender=" + strings.ReplaceAll(plantedAddress, "@", "%40") + "&X-Secret=" + plantedHeader + "&subject=" + plantedPassword
}

// storeAnswering is a Deduplicator whose Claim answers state, or err.
type storeAnswering struct {
	state webhook.ClaimState
	err   error
}

func (s storeAnswering) Claim(context.Context, string, string, time.Duration) (webhook.ClaimState, error) {
	return s.state, s.err
}
func (storeAnswering) Complete(context.Context, string, string) error { return nil }
func (storeAnswering) Release(context.Context, string, string) error  { return nil }

type recording struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	obs    *otelwebhook.Observer
	tp     *sdktrace.TracerProvider
}

func newRecording(t *testing.T) *recording {
	t.Helper()
	r := &recording{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	obs, err := otelwebhook.New(otelwebhook.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))))
	if err != nil {
		t.Fatal(err)
	}
	r.obs = obs
	return r
}

// serve sends req through h wrapped in otelhttp, as the package doc shows,
// and returns the status.
func (r *recording) serve(h http.Handler, req *http.Request) int {
	rec := httptest.NewRecorder()
	otelhttp.NewHandler(h, "smtp2go webhook", otelhttp.WithTracerProvider(r.tp)).ServeHTTP(rec, req)
	return rec.Code
}

func post(b string, mods ...func(*http.Request)) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/smtp2go", strings.NewReader(b))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, m := range mods {
		m(req)
	}
	return req
}

func withAuth(req *http.Request) { req.SetBasicAuth("smtp2go", plantedPassword) }

// TestObserverPerOutcome produces every outcome with a real request and
// checks what is counted, timed and set on the span for each.
func TestObserverPerOutcome(t *testing.T) {
	t.Parallel()
	r := newRecording(t)
	obs := webhook.WithObserver(r.obs.Observe)
	auth := webhook.WithBasicAuth("smtp2go", plantedPassword)
	ok := func(_ context.Context, ev *webhook.Event) error {
		if ev.ID == "fail0000000000000000000000000000" {
			return errors.New("insert failed for " + plantedAddress)
		}
		return nil
	}
	h := webhook.NewHandler(ok, auth, obs)
	held := webhook.NewHandler(ok, auth, obs, webhook.WithDeduplicator(storeAnswering{state: webhook.InProgress}))
	down := webhook.NewHandler(ok, auth, obs, webhook.WithDeduplicator(storeAnswering{err: errors.New("store down at " + plantedAddress)}))

	const id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	cases := []struct {
		h         http.Handler
		req       *http.Request
		status    int
		outcome   webhook.Outcome
		eventType string // "" when the body is not parsed
		id        string // the notification ID expected on the span
	}{
		{h, post(body("delivered", id), withAuth), 200, webhook.OutcomeProcessed, "delivered", id},
		{h, post(body("delivered", id), withAuth), 200, webhook.OutcomeDuplicate, "delivered", id},
		{h, post(body("bounce", "fail0000000000000000000000000000"), withAuth), 500, webhook.OutcomeFailed, "bounce", "fail0000000000000000000000000000"},
		{held, post(body("open", "aaaa2d3c4b5a69788796a5b4c3d2e1f0"), withAuth), 409, webhook.OutcomeInProgress, "open", "aaaa2d3c4b5a69788796a5b4c3d2e1f0"},
		{down, post(body("click", "bbbb2d3c4b5a69788796a5b4c3d2e1f0"), withAuth), 500, webhook.OutcomeStoreFailed, "click", "bbbb2d3c4b5a69788796a5b4c3d2e1f0"},
		{h, post(body("delivered", id)), 401, webhook.OutcomeUnauthorized, "", ""},
		{h, post("event=delivered&id=%zz", withAuth), 400, webhook.OutcomeRejected, "", ""},
		// An event type SMTP2GO does not document is the sender's text.
		{h, post(body(strings.ReplaceAll(plantedAddress, "@", "%40"), "cccc2d3c4b5a69788796a5b4c3d2e1f0"), withAuth), 200, webhook.OutcomeProcessed, "other", "cccc2d3c4b5a69788796a5b4c3d2e1f0"},
		// So is an ID that is not a plain one: it stays off the span.
		{h, post(body("delivered", strings.ReplaceAll(plantedAddress, "@", "%40")), withAuth), 200, webhook.OutcomeProcessed, "delivered", ""},
	}
	for i, c := range cases {
		if got := r.serve(c.h, c.req); got != c.status {
			t.Fatalf("case %d (%s): status %d, want %d", i, c.outcome, got, c.status)
		}
	}

	spans := r.spans.Ended()
	if len(spans) != len(cases) {
		t.Fatalf("%d spans, want %d", len(spans), len(cases))
	}
	for i, c := range cases {
		attrs := attrMap(spans[i].Attributes())
		if got := attrs[otelwebhook.OutcomeKey]; got != string(c.outcome) {
			t.Errorf("span %d: outcome %q, want %q", i, got, c.outcome)
		}
		if got := attrs[otelwebhook.EventTypeKey]; got != c.eventType {
			t.Errorf("span %d (%s): event type %q, want %q", i, c.outcome, got, c.eventType)
		}
		if got := attrs[otelwebhook.NotificationIDKey]; got != c.id {
			t.Errorf("span %d (%s): notification ID %q, want %q", i, c.outcome, got, c.id)
		}
		wantErr := c.outcome == webhook.OutcomeFailed || c.outcome == webhook.OutcomeStoreFailed
		if st := spans[i].Status(); (st.Code == codes.Error) != wantErr || strings.Contains(st.Description, plantedAddress) {
			t.Errorf("span %d (%s): status %v", i, c.outcome, st)
		}
		for _, a := range spans[i].Attributes() {
			checkNotPlanted(t, "span attribute", a)
		}
		for _, ev := range spans[i].Events() {
			for _, a := range ev.Attributes {
				checkNotPlanted(t, "span event attribute", a)
			}
		}
	}

	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}     // by outcome/status/type
	durations := map[string]uint64{} // by outcome
	found := 0
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelwebhook.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				if m.Name != otelwebhook.DeliveriesMetric || !data.IsMonotonic {
					t.Errorf("unexpected sum %s", m.Name)
					continue
				}
				found++
				for _, dp := range data.DataPoints {
					checkMetricAttrs(t, dp.Attributes)
					a := attrMap(dp.Attributes.ToSlice())
					counts[a[otelwebhook.OutcomeKey]+"/"+a[otelwebhook.StatusCodeKey]+"/"+a[otelwebhook.EventTypeKey]] += dp.Value
				}
			case metricdata.Histogram[float64]:
				if m.Name != otelwebhook.DurationMetric || m.Unit != "s" {
					t.Errorf("unexpected histogram %s in %q", m.Name, m.Unit)
					continue
				}
				found++
				for _, dp := range data.DataPoints {
					checkMetricAttrs(t, dp.Attributes)
					if dp.Attributes.Len() != 1 {
						t.Errorf("duration attributes %v, want the outcome only", dp.Attributes.ToSlice())
					}
					a := attrMap(dp.Attributes.ToSlice())
					durations[a[otelwebhook.OutcomeKey]] += dp.Count
				}
			}
		}
	}
	if found != 2 {
		t.Fatalf("%d of the 2 instruments recorded", found)
	}
	wantCounts := map[string]int64{
		"processed/200/delivered": 2,
		"processed/200/other":     1,
		"duplicate/200/delivered": 1,
		"failed/500/bounce":       1,
		"in_progress/409/open":    1,
		"store_failed/500/click":  1,
		"unauthorized/401/":       1,
		"rejected/400/":           1,
	}
	if !equalMaps(counts, wantCounts) {
		t.Errorf("deliveries counted %v, want %v", counts, wantCounts)
	}
	wantDurations := map[string]uint64{"processed": 3, "duplicate": 1, "failed": 1, "in_progress": 1, "store_failed": 1, "unauthorized": 1, "rejected": 1}
	if !equalMaps(durations, wantDurations) {
		t.Errorf("durations recorded %v, want %v", durations, wantDurations)
	}
}

// checkMetricAttrs fails t if a metric carries the notification ID or a
// planted value.
func checkMetricAttrs(t *testing.T, set attribute.Set) {
	t.Helper()
	for _, a := range set.ToSlice() {
		if a.Key == otelwebhook.NotificationIDKey {
			t.Errorf("a metric carries the notification ID")
		}
		checkNotPlanted(t, "metric attribute", a)
	}
}

func checkNotPlanted(t *testing.T, where string, a attribute.KeyValue) {
	t.Helper()
	for _, p := range planted {
		if strings.Contains(a.Value.String(), p) {
			t.Errorf("%s %s carries a planted value", where, a.Key)
		}
	}
}

func attrMap(kvs []attribute.KeyValue) map[attribute.Key]string {
	m := make(map[attribute.Key]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value.String()
	}
	return m
}

func equalMaps[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestObserverWithoutSpan records metrics for a request that carries no
// span, and a nil Observer records nothing without panicking.
func TestObserverWithoutSpan(t *testing.T) {
	t.Parallel()
	r := newRecording(t)
	h := webhook.NewHandler(func(context.Context, *webhook.Event) error { return nil }, webhook.WithObserver(r.obs.Observe))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, post(body("delivered", "0f1e2d3c4b5a69788796a5b4c3d2e1f0")))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if len(rm.ScopeMetrics) != 1 || len(rm.ScopeMetrics[0].Metrics) != 2 {
		t.Errorf("metrics %+v, want the two instruments", rm.ScopeMetrics)
	}
	var nilObs *otelwebhook.Observer
	nilObs.Observe(context.Background(), webhook.Delivery{Outcome: webhook.OutcomeProcessed})
}

// TestNewWithGlobalProvider makes the instruments from the global provider,
// which is a no-op one unless the program set its own.
func TestNewWithGlobalProvider(t *testing.T) {
	t.Parallel()
	obs, err := otelwebhook.New(nil, otelwebhook.WithMeterProvider(nil))
	if err != nil || obs == nil {
		t.Fatalf("New() = %v, %v", obs, err)
	}
	obs.Observe(context.Background(), webhook.Delivery{Outcome: webhook.OutcomeRejected, Status: 405})
}
