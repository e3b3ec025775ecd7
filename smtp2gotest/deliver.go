package smtp2gotest

import (
	"context"
	"net/http"
	"time"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
	"github.com/relaykit/smtp2go/webhook"
)

// DeliverOption configures [Deliver].
type DeliverOption func(*deliverConfig)

// deliverConfig is what the options set: the fake's own.
type deliverConfig = fakesmtp2go.DeliverConfig

// WithFormat sets the body's encoding: [smtp2go.OutputForm] (the default, as
// for a webhook without an output_format) or [smtp2go.OutputJSON]. Another
// format makes Deliver fail.
func WithFormat(f smtp2go.OutputFormat) DeliverOption {
	return func(c *deliverConfig) { c.Format = string(f) }
}

// WithBearerToken sends "Authorization: Bearer <token>", as a webhook whose
// auth_header_type is bearer does. It replaces [WithBasicAuth].
func WithBearerToken(token string) DeliverOption {
	return func(c *deliverConfig) { c.Authorization = "Bearer " + token }
}

// WithBasicAuth sends "Authorization: Basic <base64 of user:pass>", as a
// webhook whose auth_header_type is basic does. It replaces
// [WithBearerToken], and user:password@ in the URL.
func WithBasicAuth(user, pass string) DeliverOption {
	return func(c *deliverConfig) { c.Authorization = fakesmtp2go.BasicAuthorization(user, pass) }
}

// WithHeaders adds custom headers, as a webhook's headers list does: each
// name becomes a top-level field spelt like the name, with the value the
// event carries in its Fields (matched case-insensitively) or, when it
// carries none, "Headers Unavailable", as the test button of SMTP2GO's App
// sends. Subject and Message-Id are always sent. Given several times, the
// names add up.
func WithHeaders(names ...string) DeliverOption {
	return func(c *deliverConfig) { c.Headers = append(c.Headers, names...) }
}

// WithHTTPClient sends the delivery with hc, such as the Client of an
// httptest TLS server. By default Deliver uses a client of its own that
// follows no redirects and keeps no connection. nil keeps the default.
func WithHTTPClient(hc *http.Client) DeliverOption {
	return func(c *deliverConfig) { c.HTTPClient = hc }
}

// WithTimeout sets how long Deliver waits for the response headers: 10
// seconds by default, as SMTP2GO waits. d <= 0 keeps the default.
func WithTimeout(d time.Duration) DeliverOption {
	return func(c *deliverConfig) {
		if d > 0 {
			c.Timeout = d
		}
	}
}

// Deliver makes one delivery of ev to url, as the "Test" button of SMTP2GO's
// App does for a webhook: no fake API needed, one attempt, no redelivery. The
// body is what [Server.Emit] would send (see [WithFormat] and [WithHeaders]);
// the notification id is ev.ID, or a fresh 32-hex-digit one. Authorization
// comes from [WithBearerToken] or [WithBasicAuth], else from user:password@
// in url (which is never part of the URL requested).
//
// A non-2xx answer is not an error: Delivery.Status shows it, and
// Delivery.OK reports whether the receiver accepted the event. The error is
// non-nil only when the request could not be built (an event without a Type,
// a URL that is not absolute http or https, an unknown format) or sent (a
// transport error, no response headers within the timeout, ctx done); the
// Delivery's Err is the same error then.
func Deliver(ctx context.Context, url string, ev webhook.Event, opts ...DeliverOption) (Delivery, error) {
	var cfg deliverConfig
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	d, err := fakesmtp2go.Deliver(ctx, url, ev, cfg)
	return Delivery(d), err
}
