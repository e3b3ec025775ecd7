// Package smtp2go manages SMTP2GO webhooks through SMTP2GO's API.
//
// Managing webhooks:
//
//	client, err := smtp2go.NewClientFromEnv() // SMTP2GO_API_KEY; SMTP2GO_REGION and SMTP2GO_BASE_URL if set
//	if err != nil { ... }
//	res, err := client.Webhooks.Ensure(ctx, &smtp2go.AddWebhookRequest{
//		URL:          "https://example.com/smtp2go",
//		Events:       []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce},
//		OutputFormat: smtp2go.OutputJSON,
//	})
//	// res.Action is EnsureCreated, EnsureUpdated (res.Changes says how) or
//	// EnsureUnchanged; res.Removed lists duplicates it removed.
//
// Plan says what Ensure would do, changing nothing. Ensure is the idempotent
// way to create a webhook: every replica of a service can run it at start,
// at once, and the account ends with one webhook. Add is at most once: after
// a failure that leaves it unknown whether the webhook was created, it
// returns an error matching ErrOutcomeUnknown rather than adding again.
//
// Errors from the API are *APIError values that match the sentinels
// ErrBadRequest, ErrUnauthorized, ErrRequestFailed, ErrForbidden, ErrNotFound,
// ErrRateLimited and ErrServer with errors.Is; requests refused before sending
// are *ValidationError values matching ErrInvalidRequest; no response at all is
// a *NetworkError. Secrets (the API key, auth values, URL passwords and query
// values, or a URL's user name or query key standing alone, usernames that are
// API keys) never appear in errors. Auth values are [Secret] values, which
// print, log and marshal as "[redacted]"; show a URL or a username through
// [RedactURL].
//
// Receiving the events SMTP2GO delivers to a webhook is the job of package
// [github.com/relaykit/smtp2go/webhook]; package
// [github.com/relaykit/smtp2go/smtp2gotest] runs a fake SMTP2GO on loopback
// for tests.
package smtp2go
