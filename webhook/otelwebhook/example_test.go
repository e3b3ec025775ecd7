package otelwebhook_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/otelwebhook"
)

const exampleDelivery = "event=delivered&id=0f1e2d3c4b5a69788796a5b4c3d2e1f0&rcpt=jane%40example.org"

// The handler inside otelhttp.NewHandler: otelhttp starts the server span,
// the observer sets the outcome, the event type and the notification ID on
// it and counts the delivery, and the callback's own spans nest under it.
func ExampleNew() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	obs, err := otelwebhook.New(otelwebhook.WithMeterProvider(mp)) // without it, the global MeterProvider
	if err != nil {
		log.Fatal(err)
	}
	h := webhook.NewHandler(func(ctx context.Context, ev *webhook.Event) error {
		return nil // store the event
	}, webhook.WithObserver(obs.Observe))
	srv := httptest.NewServer(otelhttp.NewHandler(h, "smtp2go webhook", otelhttp.WithTracerProvider(tp)))
	defer srv.Close()

	resp, err := http.Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader(exampleDelivery))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()

	for _, s := range spans.Ended() {
		for _, a := range s.Attributes() {
			if strings.HasPrefix(string(a.Key), "smtp2go.") {
				fmt.Println(a.Key, a.Value.String())
			}
		}
	}
	// Output:
	// smtp2go.webhook.outcome processed
	// smtp2go.event.type delivered
	// smtp2go.notification.id 0f1e2d3c4b5a69788796a5b4c3d2e1f0
}

// Exposing the metrics to Prometheus, through OpenTelemetry's Prometheus
// exporter: the counter is smtp2go_webhook_deliveries_total there.
func ExampleNew_prometheus() {
	registry := promclient.NewRegistry()
	exporter, err := prometheus.New(prometheus.WithRegisterer(registry), prometheus.WithoutScopeInfo(), prometheus.WithoutTargetInfo())
	if err != nil {
		log.Fatal(err)
	}
	obs, err := otelwebhook.New(otelwebhook.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/smtp2go", webhook.NewHandler(func(context.Context, *webhook.Event) error { return nil },
		webhook.WithObserver(obs.Observe)))
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for range 2 { // a delivery, then its redelivery
		resp, err := http.Post(srv.URL+"/smtp2go", "application/x-www-form-urlencoded", strings.NewReader(exampleDelivery))
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "smtp2go_webhook_deliveries_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// smtp2go_webhook_deliveries_total{http_response_status_code="200",smtp2go_event_type="delivered",smtp2go_webhook_outcome="duplicate"} 1
	// smtp2go_webhook_deliveries_total{http_response_status_code="200",smtp2go_event_type="delivered",smtp2go_webhook_outcome="processed"} 1
}

// The client needs no option of its own: an http.Client whose Transport is
// otelhttp.NewTransport makes a span of every attempt, the retries that
// go-retryablehttp makes inside one call included.
func Example_client() {
	var calls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable) // the first attempt fails
			return
		}
		fmt.Fprint(w, `{"request_id":"req-1","data":[]}`)
	}))
	defer api.Close()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))

	client, err := smtp2go.NewClient("api-0123456789ABCDEFabcdef0123456789",
		smtp2go.WithBaseURL(api.URL),
		smtp2go.WithRetryWait(time.Millisecond, 10*time.Millisecond),
		smtp2go.WithHTTPClient(&http.Client{
			Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(tp)),
		}))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.Webhooks.List(context.Background(), nil); err != nil {
		log.Fatal(err)
	}
	for _, s := range spans.Ended() {
		for _, a := range s.Attributes() {
			if a.Key == "http.response.status_code" {
				fmt.Println(s.Name(), a.Value.AsInt64())
			}
		}
	}
	// Output:
	// HTTP POST 503
	// HTTP POST 200
}
