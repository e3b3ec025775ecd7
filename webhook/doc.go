// Package webhook receives the events SMTP2GO delivers to a webhook: it
// parses form and JSON deliveries into typed [Event] values ([Parse],
// [ParseBody]) and serves them through a hardened [http.Handler]
// ([NewHandler]) that authenticates, caps the body and the time to read it,
// and processes each event once although SMTP2GO delivers it again after any
// failure or timeout.
//
//	h := webhook.NewHandler(func(ctx context.Context, ev *webhook.Event) error {
//		return store.Record(ctx, ev) // an error answers 500, and SMTP2GO delivers it again
//	}, webhook.WithBasicAuth("smtp2go", os.Getenv("WEBHOOK_PASSWORD")))
//	http.Handle("/smtp2go", h)
//
// # Once, across replicas
//
// Before calling the function, the handler claims the event in a
// [Deduplicator] for a lease ([WithLease], 60 seconds by default); it marks
// the event done when the function succeeds and releases it when the function
// fails, so that the redelivery is processed. A delivery of an event that
// another replica holds is answered 409, and SMTP2GO delivers it again later.
// If a replica dies while it holds an event, its claim expires with the lease
// and a later redelivery is processed.
//
// The guarantee: every event is processed at least once, and never twice
// unless a holder died, or outran its lease, after its side effects took
// place, or the store could not record the completion of an event (it was
// unreachable just then). Where even that matters, key the side effects by
// [Event.DedupKey].
//
// The default store is a [MemoryDeduplicator] of the handler's own, which is
// enough for one replica. Replicas behind a load balancer must share one:
// package [github.com/relaykit/smtp2go/webhook/redisdedup] keeps claims in
// Redis, [github.com/relaykit/smtp2go/webhook/pgdedup] in PostgreSQL, and
// [github.com/relaykit/smtp2go/webhook/deduptest] checks a store of your own
// against the contract.
//
// # Seeing what it does
//
// [WithObserver] is called for every request answered, with a [Delivery]:
// its [Outcome], status, event, duration and error. Package
// [github.com/relaykit/smtp2go/webhook/otelwebhook], a module of its own,
// makes an observer that records OpenTelemetry metrics and span attributes.
// [WithLogger] logs rejections at WARN with their reason, failures at ERROR
// (a store's outage summarised in a few lines), and each delivery at DEBUG.
//
// Managing the webhooks themselves is the job of the root package,
// [github.com/relaykit/smtp2go]; [github.com/relaykit/smtp2go/smtp2gotest]
// delivers realistic events to a handler in tests.
package webhook
