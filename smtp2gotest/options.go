package smtp2gotest

import (
	"strconv"
	"time"

	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
)

// DefaultWebhookLimit is how many webhooks each account of a [Server] may
// have unless [WithWebhookLimit] says otherwise: 10, as on SMTP2GO's paid
// plans.
const DefaultWebhookLimit = 10

// Option configures a [Server]. Pass options to [NewServer].
type Option func(*config)

// config is what the options set: the fake's own configuration.
type config = fakesmtp2go.Config

// ViewShape is the shape of the data member of webhook/view responses.
// SMTP2GO documents one shape and answers with another; clients have been seen
// to expect a third. [WithViewShape] selects one so that a client can be
// tested against each.
type ViewShape int

// View shapes.
const (
	// ViewArray answers an array of webhooks, as SMTP2GO does live. It is the
	// default.
	ViewArray ViewShape = iota
	// ViewObject answers a single webhook object, as SMTP2GO's view-webhook
	// reference documents: the account's first webhook (lowest ID), or {}
	// when it has none. Webhooks after the first are not shown, so with more
	// than one, List, Get, Edit and Ensure cannot see them (Ensure then adds
	// another): use it to test decoding of the documented shape, with one
	// webhook.
	ViewObject
	// ViewWrapped answers {"webhooks": [...]}, a shape some clients read.
	ViewWrapped
)

// String returns the shape's name: "array", "object" or "wrapped".
func (v ViewShape) String() string {
	switch v {
	case ViewArray:
		return fakesmtp2go.ViewArray
	case ViewObject:
		return fakesmtp2go.ViewObject
	case ViewWrapped:
		return fakesmtp2go.ViewWrapped
	}
	return "ViewShape(" + strconv.Itoa(int(v)) + ")"
}

// WithViewShape makes webhook/view answer in shape v. An unknown shape is
// answered as [ViewArray].
func WithViewShape(v ViewShape) Option {
	return func(c *config) { c.ViewShape = v.String() }
}

// WithStringLists makes every response answer the headers and usernames of a
// webhook as a string instead of an array, as the examples in SMTP2GO's
// add-webhook and edit-webhook references show: "" for no element, the
// element itself for one, and the elements joined with "," for several (the
// documented examples show one element at most; joining is this package's
// guess at the rest). Requests must still send arrays.
func WithStringLists() Option {
	return func(c *config) { c.StringLists = true }
}

// WithMaskedAuthValues makes every response answer a webhook's
// auth_header_value, when it is set, as "********" instead of in clear; the
// server keeps the value sent, and [Server.Webhooks] reports it. Whether
// SMTP2GO masks the value, and how, is not documented: use it to test a
// client that must not send a mask back as the secret.
func WithMaskedAuthValues() Option {
	return func(c *config) { c.MaskAuthValues = true }
}

// WithEditKeepingOmitted makes webhook/edit keep the stored value of every
// field it is not sent (or sent as null). By default edit sets those fields
// back to what webhook/add stores without them: no events, SMS events,
// headers or usernames, form, no auth; the url is kept. SMTP2GO does not
// document which it does; another of its edit endpoints resets the lists it
// is not sent. Test a client against both.
func WithEditKeepingOmitted() Option {
	return func(c *config) { c.EditKeepsOmitted = true }
}

// WithWebhookLimit sets how many webhooks each account (the main account and
// each subaccount) may have: [DefaultWebhookLimit] by default, 1 like a free
// plan. n <= 0 removes the limit.
func WithWebhookLimit(n int) Option {
	return func(c *config) { c.WebhookLimit = n }
}

// WithAPIKey makes the server accept key instead of a generated one, so that
// it can be fixed in a configuration file or an environment variable. An empty
// key keeps the generated one.
func WithAPIKey(key string) Option {
	return func(c *config) { c.APIKey = key }
}

// WithDeliveryTimeout sets how long [Server.Emit] waits for a webhook URL's
// response headers before it counts the delivery as failed: 10 seconds by
// default, as SMTP2GO waits. Set it short to test a receiver that is too
// slow. d <= 0 keeps the default.
func WithDeliveryTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.DeliveryTimeout = d
		}
	}
}

// WithRedeliverySchedule sets the waits before each redelivery of a failed
// delivery by [Server.Emit]: len(waits) is the most redeliveries made. By
// default there are 5, after 1, 2, 4, 8 and 16 milliseconds: SMTP2GO's own
// schedule (about 35 over 48 hours: 5 in the first 30 minutes, then hourly,
// then every 6 and 12 hours) compressed so that tests run fast.
// WithRedeliverySchedule() with no waits turns redelivery off. A negative
// wait is no wait.
func WithRedeliverySchedule(waits ...time.Duration) Option {
	return func(c *config) {
		c.RedeliveryWaits = make([]time.Duration, len(waits))
		for i, w := range waits {
			c.RedeliveryWaits[i] = max(w, 0)
		}
	}
}
