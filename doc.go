// Package smtp2go is a Go SDK for SMTP2GO webhooks: it manages them through
// SMTP2GO's API and receives the events SMTP2GO delivers to them.
//
// Managing webhooks:
//
//	client, err := smtp2go.NewClient("") // reads SMTP2GO_API_KEY
//	if err != nil { ... }
//	res, err := client.Webhooks.Ensure(ctx, &smtp2go.AddWebhookRequest{
//		URL:          "https://example.com/smtp2go",
//		Events:       []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce},
//		OutputFormat: smtp2go.OutputJSON,
//	})
//	// res.Action is EnsureCreated, EnsureUpdated or EnsureUnchanged.
//
// Receiving deliveries:
//
//	h := smtp2go.NewWebhookHandler(func(ctx context.Context, ev *smtp2go.Event) error {
//		return store.Record(ctx, ev) // an error answers 500, and SMTP2GO redelivers
//	}, smtp2go.WithBasicAuth("smtp2go", os.Getenv("WEBHOOK_PASSWORD")))
//	http.Handle("/smtp2go", h)
//
// Errors from the API are *APIError values that match the sentinels ErrBadRequest,
// ErrUnauthorized, ErrRequestFailed, ErrForbidden, ErrNotFound, ErrRateLimited
// and ErrServer with errors.Is; requests refused before sending are
// *ValidationError values matching ErrInvalidRequest; no response at all is a
// *NetworkError. The package smtp2gotest runs a fake SMTP2GO on loopback for
// tests.
package smtp2go
