package fakesmtp2go

import (
	"context"
	"net/http"
	"time"

	"github.com/relaykit/smtp2go/webhook"
)

// DeliverConfig is how [Deliver] makes its delivery. The zero value sends a
// form body without authorization, waiting the default 10 seconds.
type DeliverConfig struct {
	Format        string       // "form" (also for "") or "json"; another makes Deliver fail
	Authorization string       // the Authorization header; "" for none, or Basic from user:password@ in the URL
	Headers       []string     // custom header names, as a webhook's headers list
	HTTPClient    *http.Client // nil: a client that follows no redirects and keeps no connection
	Timeout       time.Duration
	// Fields override, by their names on the wire (matched
	// case-insensitively, so "subject" is also form bodies' "Subject"), or
	// add, the fields of the body: a number field takes a number.
	Fields map[string]string
}

// Deliver makes one delivery of ev to url, as the "Test" button of SMTP2GO's
// App does: one attempt, no redelivery. The notification id is ev.ID, or a
// fresh 32-hex-digit one. A non-2xx answer is not an error; the error is
// non-nil only when the request could not be built or sent, and is then the
// Delivery's Err too. smtp2gotest.Deliver documents the rest.
func Deliver(ctx context.Context, url string, ev webhook.Event, cfg DeliverConfig) (Delivery, error) {
	id := ev.ID
	if id == "" {
		id = newEventID()
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultDeliveryTimeout
	}
	enc := encoding{format: cfg.Format, headers: cfg.Headers, unavailable: headersUnavailable, fields: cfg.Fields}
	n, err := newNotification(url, &ev, id, enc, cfg.Authorization)
	if err != nil {
		d := n.delivery(1)
		d.Err = err
		return d, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = newDeliveryClient(false)
		defer hc.CloseIdleConnections()
	}
	d := n.send(ctx, hc, timeout, 1)
	return d, d.Err
}
