// Package otelwebhook records what the SMTP2GO webhook handler of
// [webhook.NewHandler] does as OpenTelemetry metrics and span attributes. It
// is a module of its own, so that the SDK's users who do not use
// OpenTelemetry never download it.
//
//	obs, err := otelwebhook.New() // the global MeterProvider
//	if err != nil {
//		return err
//	}
//	h := webhook.NewHandler(record, webhook.WithObserver(obs.Observe))
//	http.Handle("/smtp2go", otelhttp.NewHandler(h, "smtp2go webhook"))
//
// It records two instruments:
//   - smtp2go.webhook.deliveries, a counter of the requests answered, with the
//     attributes smtp2go.webhook.outcome (a [webhook.Outcome]),
//     smtp2go.event.type (when the body was parsed) and
//     http.response.status_code;
//   - smtp2go.webhook.delivery.duration, a histogram of the time to answer, in
//     seconds, with the attribute smtp2go.webhook.outcome.
//
// On the span in the request's context (the server span that
// otelhttp.NewHandler starts, wrapped around the handler, so that the
// callback's own spans nest under it) it sets smtp2go.webhook.outcome,
// smtp2go.event.type and smtp2go.notification.id, and an error status for
// the outcomes that SMTP2GO delivers again.
//
// No email address, API key, credential or other value of the event becomes
// an attribute: the event type is one SMTP2GO documents or "other", and the
// notification ID, which tells one delivery from another, is set on the
// span only, never on a metric, whose every attribute has few values.
//
// The client needs nothing from this package: give smtp2go.NewClient an
// http.Client whose Transport is otelhttp.NewTransport (see the examples),
// and every attempt that its retries make is a span of its own.
package otelwebhook

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/webhook"
)

// ScopeName is the instrumentation scope of the meter the observer uses.
const ScopeName = "github.com/relaykit/smtp2go/webhook/otelwebhook"

// The names of the instruments and attributes.
const (
	DeliveriesMetric = "smtp2go.webhook.deliveries"
	DurationMetric   = "smtp2go.webhook.delivery.duration"

	OutcomeKey        = attribute.Key("smtp2go.webhook.outcome")
	EventTypeKey      = attribute.Key("smtp2go.event.type")
	NotificationIDKey = attribute.Key("smtp2go.notification.id")
	StatusCodeKey     = attribute.Key("http.response.status_code")
)

// otherEventType stands for an event type SMTP2GO does not document: the
// "event" field is the sender's text, which must not become an attribute.
const otherEventType = "other"

// durationBuckets are the bounds, in seconds, of the duration histogram:
// OpenTelemetry's for HTTP servers, which end at SMTP2GO's 10-second
// timeout.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// Observer records deliveries; pass its Observe method to
// webhook.WithObserver. It is safe for concurrent use.
type Observer struct {
	deliveries metric.Int64Counter
	duration   metric.Float64Histogram
	known      map[smtp2go.EventType]bool // the event types that may be attributes
}

// Option configures [New].
type Option func(*config)

type config struct {
	meterProvider metric.MeterProvider
}

// WithMeterProvider makes the observer record with mp instead of the global
// MeterProvider (otel.GetMeterProvider). A nil mp keeps the global one.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) {
		if mp != nil {
			c.meterProvider = mp
		}
	}
}

// New returns an Observer whose instruments come from the global
// MeterProvider unless told otherwise. It fails only if the provider refuses
// to make an instrument.
func New(opts ...Option) (*Observer, error) {
	var cfg config
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	if cfg.meterProvider == nil {
		cfg.meterProvider = otel.GetMeterProvider()
	}
	meter := cfg.meterProvider.Meter(ScopeName)
	deliveries, err1 := meter.Int64Counter(DeliveriesMetric,
		metric.WithDescription("Requests answered by the SMTP2GO webhook handler, by outcome."),
		metric.WithUnit("{delivery}"))
	duration, err2 := meter.Float64Histogram(DurationMetric,
		metric.WithDescription("Time from a request's arrival to the SMTP2GO webhook handler's answer."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err := errors.Join(err1, err2); err != nil {
		return nil, errors.Join(errors.New("otelwebhook: making the instruments"), err)
	}
	o := &Observer{deliveries: deliveries, duration: duration, known: map[smtp2go.EventType]bool{}}
	for _, t := range smtp2go.EmailEventTypes() {
		o.known[t] = true
	}
	for _, t := range []smtp2go.EventType{smtp2go.EventSMSSending, smtp2go.EventSMSSubmitted,
		smtp2go.EventSMSDelivered, smtp2go.EventSMSFailed, smtp2go.EventSMSRejected} {
		o.known[t] = true
	}
	return o, nil
}

// Observe records d: pass o.Observe to webhook.WithObserver. A nil o
// records nothing.
func (o *Observer) Observe(ctx context.Context, d webhook.Delivery) {
	if o == nil {
		return
	}
	outcome := OutcomeKey.String(string(d.Outcome))
	eventType, hasType := o.eventType(d.Event)
	var set [3]attribute.KeyValue
	attrs := append(set[:0], outcome, StatusCodeKey.Int(d.Status))
	if hasType {
		attrs = append(attrs, eventType)
	}
	o.deliveries.Add(ctx, 1, metric.WithAttributes(attrs...))
	o.duration.Record(ctx, d.Duration.Seconds(), metric.WithAttributes(outcome))

	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(outcome)
	if hasType {
		span.SetAttributes(eventType)
	}
	if d.Event != nil && d.Event.ID != "" && d.Event.DedupKey() == d.Event.ID {
		// An ID that is not a plain one (SMTP2GO's are 32 hex digits) is
		// text of the sender's, and is left out.
		span.SetAttributes(NotificationIDKey.String(d.Event.ID))
	}
	switch d.Outcome {
	case webhook.OutcomeFailed, webhook.OutcomeStoreFailed:
		// The outcome, not the error's text, which may quote the event.
		span.SetStatus(codes.Error, string(d.Outcome))
	}
}

// eventType is the event type attribute of ev, if it was parsed.
func (o *Observer) eventType(ev *webhook.Event) (attribute.KeyValue, bool) {
	if ev == nil {
		return attribute.KeyValue{}, false
	}
	if o.known[ev.Type] {
		return EventTypeKey.String(string(ev.Type)), true
	}
	return EventTypeKey.String(otherEventType), true
}
