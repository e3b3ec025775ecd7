// Package webhook receives the events SMTP2GO delivers to a webhook: it
// parses form and JSON deliveries into typed [Event] values and serves them
// through a hardened [http.Handler] that authenticates, caps the body and
// deduplicates SMTP2GO's redeliveries.
//
//	h := webhook.NewHandler(func(ctx context.Context, ev *webhook.Event) error {
//		return store.Record(ctx, ev) // an error answers 500, and SMTP2GO redelivers
//	}, webhook.WithBasicAuth("smtp2go", os.Getenv("WEBHOOK_PASSWORD")))
//	http.Handle("/smtp2go", h)
//
// Managing the webhooks themselves is the job of the root package,
// [github.com/relaykit/smtp2go].
package webhook
