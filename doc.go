// Package smtp2go manages SMTP2GO webhooks through SMTP2GO's API.
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
// Errors from the API are *APIError values that match the sentinels ErrBadRequest,
// ErrUnauthorized, ErrRequestFailed, ErrForbidden, ErrNotFound, ErrRateLimited
// and ErrServer with errors.Is; requests refused before sending are
// *ValidationError values matching ErrInvalidRequest; no response at all is a
// *NetworkError.
//
// Receiving the events SMTP2GO delivers to a webhook is the job of package
// [github.com/relaykit/smtp2go/webhook]; package
// [github.com/relaykit/smtp2go/smtp2gotest] runs a fake SMTP2GO on loopback
// for tests.
package smtp2go
