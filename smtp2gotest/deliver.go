package smtp2gotest

import (
	"context"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/relaykit/smtp2go/webhook"

	"github.com/relaykit/smtp2go"
)

// DeliverOption configures [Deliver].
type DeliverOption func(*deliverConfig)

type deliverConfig struct {
	format        smtp2go.OutputFormat
	authorization string // the Authorization header; "" for none
	headers       []string
	hc            *http.Client
	timeout       time.Duration
}

// WithFormat sets the body's encoding: [smtp2go.OutputForm] (the default, as
// for a webhook without an output_format) or [smtp2go.OutputJSON]. Another
// format makes Deliver fail.
func WithFormat(f smtp2go.OutputFormat) DeliverOption {
	return func(c *deliverConfig) { c.format = f }
}

// WithBearerToken sends "Authorization: Bearer <token>", as a webhook whose
// auth_header_type is bearer does. It replaces [WithBasicAuth].
func WithBearerToken(token string) DeliverOption {
	return func(c *deliverConfig) { c.authorization = "Bearer " + token }
}

// WithBasicAuth sends "Authorization: Basic <base64 of user:pass>", as a
// webhook whose auth_header_type is basic does. It replaces
// [WithBearerToken], and user:password@ in the URL.
func WithBasicAuth(user, pass string) DeliverOption {
	return func(c *deliverConfig) {
		c.authorization = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
}

// WithHeaders adds custom headers, as a webhook's headers list does: each
// name becomes a top-level field spelt like the name, with the value the
// event carries in its Fields (matched case-insensitively) or, when it
// carries none, "Headers Unavailable", as the test button of SMTP2GO's App
// sends. Subject and Message-Id are always sent. Given several times, the
// names add up.
func WithHeaders(names ...string) DeliverOption {
	return func(c *deliverConfig) { c.headers = append(c.headers, names...) }
}

// WithHTTPClient sends the delivery with hc, such as the Client of an
// httptest TLS server. By default Deliver uses a client of its own that
// follows no redirects and keeps no connection. nil keeps the default.
func WithHTTPClient(hc *http.Client) DeliverOption {
	return func(c *deliverConfig) { c.hc = hc }
}

// WithTimeout sets how long Deliver waits for the response headers: 10
// seconds by default, as SMTP2GO waits. d <= 0 keeps the default.
func WithTimeout(d time.Duration) DeliverOption {
	return func(c *deliverConfig) {
		if d > 0 {
			c.timeout = d
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
	cfg := deliverConfig{format: smtp2go.OutputForm, timeout: defaultDeliveryTimeout}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	id := ev.ID
	if id == "" {
		id = newEventID()
	}
	n, err := newNotification(url, &ev, id, cfg.format, cfg.authorization, cfg.headers, headersUnavailable)
	if err != nil {
		d := n.delivery(1)
		d.Err = err
		return d, err
	}
	hc := cfg.hc
	if hc == nil {
		hc = newDeliveryClient(false)
		defer hc.CloseIdleConnections()
	}
	d := n.send(ctx, hc, cfg.timeout, 1)
	return d, d.Err
}
