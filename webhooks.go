package smtp2go

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/relaykit/smtp2go/internal/keylock"
)

// WebhooksService manages webhooks with SMTP2GO's webhook/add, webhook/view,
// webhook/edit and webhook/remove endpoints. Use it through Client.Webhooks.
//
// SMTP2GO API docs: https://developers.smtp2go.com/reference/add-webhook
type WebhooksService struct {
	client       *Client
	locks        keylock.Set // one per subaccount and URL: Ensure's doc says why
	onEnsureWait func()      // if set, called when an Ensure waits for another
}

// AddWebhookRequest is the body of webhook/add.
type AddWebhookRequest struct {
	URL             string         `json:"url"`                         // required; absolute http or https URL
	Events          []EventType    `json:"events,omitempty"`            // email events to deliver
	SMSEvents       []SMSEventType `json:"sms_events,omitempty"`        // SMS events to deliver
	Headers         []string       `json:"headers,omitempty"`           // email header names to copy into deliveries
	Usernames       []string       `json:"usernames,omitempty"`         // senders that trigger it; empty means all
	OutputFormat    OutputFormat   `json:"output_format,omitempty"`     // form (server default) or json
	AuthHeaderType  AuthHeaderType `json:"auth_header_type,omitempty"`  // bearer, basic or none
	AuthHeaderValue Secret         `json:"auth_header_value,omitempty"` // the token, or BasicAuthValue(user, pass) for basic
	SubaccountID    string         `json:"subaccount_id,omitempty"`     // act for this subaccount
}

// addBody is the body of webhook/add as sent: the request, its auth value
// revealed.
type addBody struct {
	*AddWebhookRequest
	AuthHeaderValue string `json:"auth_header_value,omitempty"` // shadows the request's Secret
}

func (r *AddWebhookRequest) webhook() Webhook {
	return Webhook{
		URL: r.URL, Events: r.Events, SMSEvents: r.SMSEvents, Headers: r.Headers, Usernames: r.Usernames,
		OutputFormat: r.OutputFormat, AuthHeaderType: r.AuthHeaderType, AuthHeaderValue: r.AuthHeaderValue,
	}
}

// Validate checks the request as Add and Ensure do before sending it, and
// returns a [*ValidationError] naming the first field that is wrong.
func (r *AddWebhookRequest) Validate() error {
	if r == nil {
		return invalid("request", "nil *AddWebhookRequest")
	}
	w := r.webhook()
	if err := validateFields(&w, true); err != nil {
		return err
	}
	return validateAuth(&w, true)
}

// AddWebhookResponse is what webhook/add returns.
type AddWebhookResponse struct {
	RequestID string  // SMTP2GO's request_id
	Webhook   Webhook // the created webhook, with its ID
}

// ListWebhooksRequest is the body of webhook/view. A nil request lists the
// main account's webhooks.
type ListWebhooksRequest struct {
	SubaccountID string `json:"subaccount_id,omitempty"` // list this subaccount's webhooks
}

// ListWebhooksResponse is what webhook/view returns.
type ListWebhooksResponse struct {
	RequestID string    // SMTP2GO's request_id
	Webhooks  []Webhook // every webhook of the account, possibly none
}

// GetWebhookOptions are the options of [WebhooksService.Get]. nil is fine.
type GetWebhookOptions struct {
	SubaccountID string // look in this subaccount
}

// EditWebhookRequest is what [WebhooksService.Edit] changes. A nil pointer
// or nil slice keeps the current value; a non-nil empty slice clears the list.
type EditWebhookRequest struct {
	ID              int64           // required: the webhook to change
	SubaccountID    string          // the subaccount that owns it, if any
	URL             *string         // new URL
	Events          []EventType     // new email events
	SMSEvents       []SMSEventType  // new SMS events
	Headers         []string        // new header names
	Usernames       []string        // new sender filter
	OutputFormat    *OutputFormat   // new output format
	AuthHeaderType  *AuthHeaderType // new auth header type
	AuthHeaderValue *Secret         // new auth value
}

// EditWebhookResponse is what webhook/edit returns.
type EditWebhookResponse struct {
	RequestID string  // SMTP2GO's request_id
	Webhook   Webhook // the webhook as changed (as sent, if SMTP2GO returned none)
}

// RemoveWebhookRequest is the body of webhook/remove.
type RemoveWebhookRequest struct {
	ID           int64  `json:"id"`                      // required: the webhook to remove
	SubaccountID string `json:"subaccount_id,omitempty"` // the subaccount that owns it, if any
}

// RemoveWebhookResponse is what webhook/remove returns.
type RemoveWebhookResponse struct {
	RequestID string   // SMTP2GO's request_id
	Webhook   *Webhook // the removed webhook; nil when SMTP2GO sends none, as it does live
}

// Add creates a webhook, at most once. SMTP2GO has no idempotency keys, and
// a second add could create a second webhook, so Add retries only failures
// that prove nothing was created: a connection never made (refused, DNS)
// and 429. After a failure that leaves it unknown whether the webhook was
// created (a timeout, a reset connection, a 5xx, a 2xx that holds no
// webhook) it neither adds again nor guesses: it lists the webhooks once and
// returns an [*OutcomeUnknownError] with those set up exactly as req asks.
//
// To create a webhook idempotently (in provisioning code, in every replica
// at startup) use [WebhooksService.Ensure]: it lists before it adds, so it
// can tell a new webhook from an old one, and it removes duplicates.
//
// SMTP2GO API docs: https://developers.smtp2go.com/reference/add-webhook
func (s *WebhooksService) Add(ctx context.Context, req *AddWebhookRequest) (*AddWebhookResponse, error) {
	c, err := s.clientOrErr()
	if err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	created, _, err := s.add(ctx, req)
	switch {
	case err == nil:
		return created, nil
	case classify(err) != failUnknown:
		return nil, err
	}
	unknown := &OutcomeUnknownError{Endpoint: "webhook/add", Err: err}
	// Give an add still under way at SMTP2GO time to land, then look.
	if werr := sleep(ctx, backoff(c.retryWaitMin, c.retryWaitMax, 0, nil)); werr != nil {
		unknown.cut = werr
		return nil, unknown
	}
	unknown.looked = true
	var list *ListWebhooksResponse
	if list, unknown.lookErr = s.List(ctx, &ListWebhooksRequest{SubaccountID: req.SubaccountID}); unknown.lookErr == nil {
		for _, w := range list.Webhooks {
			if w.Matches(req) {
				unknown.Candidates = append(unknown.Candidates, w.ID)
			}
		}
		slices.Sort(unknown.Candidates)
	}
	unknown.cut = ctx.Err()
	return nil, unknown
}

// add makes one webhook/add call, retried only while nothing can have been
// created. For a failed call it also returns the attempts made.
func (s *WebhooksService) add(ctx context.Context, req *AddWebhookRequest) (*AddWebhookResponse, int, error) {
	var created addedWebhook
	sent := req.webhook()
	requestID, attempts, err := s.client.do(ctx, "webhook/add", &addBody{req, req.AuthHeaderValue.Reveal()}, &sent, &created)
	if err != nil {
		return nil, attempts, err
	}
	return &AddWebhookResponse{RequestID: requestID, Webhook: created.Webhook}, attempts, nil
}

// addedWebhook is the data of webhook/add: a webhook with its ID. An answer
// without one is not a success, since the caller cannot tell what was created.
type addedWebhook struct{ oneWebhook }

func (a *addedWebhook) check() error {
	if a.ID == 0 {
		return errors.New("the response held no webhook with an id")
	}
	return nil
}

// clientOrErr returns the service's client, or an error for a service that
// NewClient did not make.
func (s *WebhooksService) clientOrErr() (*Client, error) {
	if s == nil || s.client == nil || s.client.rc == nil {
		return nil, errNoClient
	}
	return s.client, nil
}

// List returns the webhooks of the account, or of req.SubaccountID. req may be
// nil.
//
// SMTP2GO documents webhook/view as returning one object, but answers with an
// array; some clients read a "webhooks" member. All three shapes are accepted.
//
// SMTP2GO API docs: https://developers.smtp2go.com/reference/view-webhook
func (s *WebhooksService) List(ctx context.Context, req *ListWebhooksRequest) (*ListWebhooksResponse, error) {
	c, err := s.clientOrErr()
	if err != nil {
		return nil, err
	}
	if req == nil {
		req = &ListWebhooksRequest{}
	}
	var list wireWebhookList
	requestID, _, err := c.do(ctx, "webhook/view", req, nil, &list)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = wireWebhookList{}
	}
	return &ListWebhooksResponse{RequestID: requestID, Webhooks: list}, nil
}

// Get returns the webhook with the given ID, or a [*NotFoundError] if there
// is none. SMTP2GO has no endpoint for one webhook, so Get lists them and
// picks. opts may be nil.
func (s *WebhooksService) Get(ctx context.Context, id int64, opts *GetWebhookOptions) (*Webhook, error) {
	if id <= 0 {
		return nil, invalid("id", "must be positive, got %d", id)
	}
	if opts == nil {
		opts = &GetWebhookOptions{}
	}
	list, err := s.List(ctx, &ListWebhooksRequest{SubaccountID: opts.SubaccountID})
	if err != nil {
		return nil, err
	}
	for i := range list.Webhooks {
		if list.Webhooks[i].ID == id {
			return &list.Webhooks[i], nil
		}
	}
	return nil, &NotFoundError{ID: id, RequestID: list.RequestID}
}

// Edit changes a webhook. SMTP2GO does not document whether webhook/edit
// keeps or resets fields it is not sent, so Edit reads the current state
// with one List, overlays the fields set in req, and sends the whole state.
// A missing ID returns a [*NotFoundError] and sends no edit.
//
// SMTP2GO API docs: https://developers.smtp2go.com/reference/edit-webhook
func (s *WebhooksService) Edit(ctx context.Context, req *EditWebhookRequest) (*EditWebhookResponse, error) {
	if req == nil {
		return nil, invalid("request", "nil *EditWebhookRequest")
	}
	if req.ID <= 0 {
		return nil, invalid("id", "must be positive, got %d", req.ID)
	}
	current, err := s.Get(ctx, req.ID, &GetWebhookOptions{SubaccountID: req.SubaccountID})
	if err != nil {
		return nil, err
	}
	// Only what the caller sets is checked field by field: the current state
	// is SMTP2GO's, and an event name it knows and this SDK does not must not
	// block an edit of something else.
	var set Webhook
	req.applyTo(&set)
	if err := validateFields(&set, req.URL != nil); err != nil {
		return nil, err
	}
	next := *current
	req.applyTo(&next)
	if req.AuthHeaderType != nil || req.AuthHeaderValue != nil {
		// A new auth type needs a value. A kept one does not: SMTP2GO may
		// withhold the secret in webhook/view, and send then leaves it be.
		requireAuthValue := req.AuthHeaderValue != nil || next.AuthHeaderType != current.AuthHeaderType
		if err := validateAuth(&next, requireAuthValue); err != nil {
			return nil, err
		}
	} else if next.AuthHeaderType == AuthNone {
		next.AuthHeaderValue = "" // a leftover (or a mask) without a type means nothing
	}
	return s.send(ctx, &next, req.SubaccountID, req.AuthHeaderValue != nil)
}

// applyTo sets on w the fields req sets, as Edit does to the current state
// before sending it. A change of auth type drops w's auth value unless req
// sets a new one: one type's secret does not carry over to the other. ID and
// SubaccountID are not applied.
func (req *EditWebhookRequest) applyTo(w *Webhook) {
	if req.URL != nil {
		w.URL = *req.URL
	}
	if req.Events != nil {
		w.Events = req.Events
	}
	if req.SMSEvents != nil {
		w.SMSEvents = req.SMSEvents
	}
	if req.Headers != nil {
		w.Headers = req.Headers
	}
	if req.Usernames != nil {
		w.Usernames = req.Usernames
	}
	if req.OutputFormat != nil {
		w.OutputFormat = *req.OutputFormat
	}
	if req.AuthHeaderType != nil && *req.AuthHeaderType != w.AuthHeaderType {
		w.AuthHeaderType = *req.AuthHeaderType
		w.AuthHeaderValue = ""
	}
	if req.AuthHeaderValue != nil {
		w.AuthHeaderValue = *req.AuthHeaderValue
	}
}

// editBody is the body of webhook/edit: the whole state of the webhook. Lists
// (empty ones as []) and the output format are always sent, so that nothing
// is left to the server's defaults. send says when the auth value is.
type editBody struct {
	Webhook
	AuthHeaderValue *string `json:"auth_header_value,omitempty"` // shadows the Webhook's Secret
	SubaccountID    string  `json:"subaccount_id,omitempty"`
}

// send makes the webhook/edit call that sets w's whole state. callersValue
// says whether w's auth value came from the caller rather than from SMTP2GO.
func (s *WebhooksService) send(ctx context.Context, w *Webhook, subaccountID string, callersValue bool) (*EditWebhookResponse, error) {
	body := editBody{Webhook: *w, SubaccountID: subaccountID}
	body.Events, body.SMSEvents = nonNil(w.Events), nonNil(w.SMSEvents)
	body.Headers, body.Usernames = nonNil(w.Headers), nonNil(w.Usernames)
	body.OutputFormat = formatOrDefault(w.OutputFormat)
	// Without auth, the value is sent empty, so that a server that keeps
	// omitted fields keeps no old secret. With auth, one the caller gives is
	// always sent; one read from webhook/view is not if it is empty or looks
	// masked, so that a secret SMTP2GO withholds is not overwritten with
	// nothing, or with its mask.
	switch {
	case w.AuthHeaderType == AuthNone:
		body.AuthHeaderValue = Ptr("")
	case w.AuthHeaderValue != "" && (callersValue || !looksMasked(w.AuthHeaderValue)):
		body.AuthHeaderValue = Ptr(w.AuthHeaderValue.Reveal())
	}
	var echoed oneWebhook
	requestID, _, err := s.client.do(ctx, "webhook/edit", &body, w, &echoed)
	if err != nil {
		return nil, err
	}
	res := &EditWebhookResponse{RequestID: requestID, Webhook: echoed.Webhook}
	if echoed.ID != w.ID {
		res.Webhook = *w // no echo, or an echo of something else: report what was sent
	}
	return res, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Remove deletes a webhook. A retry that finds the webhook already gone (an
// earlier attempt removed it, and its answer was lost) is a success,
// confirmed with one List.
//
// SMTP2GO API docs: https://developers.smtp2go.com/reference/remove-webhook
func (s *WebhooksService) Remove(ctx context.Context, req *RemoveWebhookRequest) (*RemoveWebhookResponse, error) {
	if req == nil {
		return nil, invalid("request", "nil *RemoveWebhookRequest")
	}
	if req.ID <= 0 {
		return nil, invalid("id", "must be positive, got %d", req.ID)
	}
	c, err := s.clientOrErr()
	if err != nil {
		return nil, err
	}
	var data json.RawMessage
	requestID, attempts, err := c.do(ctx, "webhook/remove", req, nil, &data)
	if err != nil {
		if attempts > 1 && s.removedEarlier(ctx, req, err) {
			return &RemoveWebhookResponse{}, nil
		}
		return nil, err
	}
	resp := &RemoveWebhookResponse{RequestID: requestID}
	var removed wireWebhook[flexStrings]
	if data = bytes.TrimSpace(data); len(data) > 0 && data[0] == '{' && json.Unmarshal(data, &removed) == nil && (removed.ID != 0 || removed.URL != "") {
		resp.Webhook = Ptr(removed.webhook())
	}
	return resp, nil
}

// removedEarlier reports whether a remove that failed with a 4xx after
// retries failed only because an earlier attempt had removed the webhook,
// its answer lost: the 4xx of the retry says only that it is gone.
func (s *WebhooksService) removedEarlier(ctx context.Context, req *RemoveWebhookRequest, err error) bool {
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode < 400 || apiErr.StatusCode > 499 || apiErr.StatusCode == http.StatusTooManyRequests {
		return false
	}
	_, err = s.Get(ctx, req.ID, &GetWebhookOptions{SubaccountID: req.SubaccountID})
	var gone *NotFoundError
	return errors.As(err, &gone) // not a failed list
}

// validateFields checks each field of w on its own; the URL only if checkURL.
func validateFields(w *Webhook, checkURL bool) error {
	if checkURL {
		if w.URL == "" {
			return invalid("url", "required")
		}
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsFunc(w.URL, unicode.IsSpace) {
			return invalid("url", "must be an absolute http or https URL without spaces, got %q", RedactURL(w.URL))
		}
	}
	for i, e := range w.Events {
		if !e.valid() {
			return invalid(fmt.Sprintf("events[%d]", i), "unknown email event %q (known: %s)", string(e), joinNames(emailEvents))
		}
	}
	for i, e := range w.SMSEvents {
		if !e.valid() {
			return invalid(fmt.Sprintf("sms_events[%d]", i), "unknown SMS event %q (known: %s)", string(e), joinNames(smsEvents))
		}
	}
	for i, h := range w.Headers {
		if !validHeaderName(h) {
			return invalid(fmt.Sprintf("headers[%d]", i), "%q is not a valid header name", h)
		}
	}
	for i, name := range w.Usernames {
		if strings.TrimSpace(name) == "" || strings.ContainsFunc(name, unicode.IsControl) {
			return invalid(fmt.Sprintf("usernames[%d]", i), "must be a non-empty name without control characters")
		}
	}
	if !w.OutputFormat.valid() {
		return invalid("output_format", "unknown format %q (want form or json)", string(w.OutputFormat))
	}
	if !w.AuthHeaderType.valid() {
		return invalid("auth_header_type", "unknown type %q (want bearer, basic or empty)", string(w.AuthHeaderType))
	}
	if strings.ContainsFunc(w.AuthHeaderValue.Reveal(), unicode.IsControl) {
		return invalid("auth_header_value", "must not contain control characters or line breaks")
	}
	if looksMasked(w.AuthHeaderValue) {
		// Sent, it would replace the secret with its mask, and the
		// receiver would refuse every delivery.
		return invalid("auth_header_value", "looks like a masked value, as SMTP2GO or this SDK show a secret; give the secret itself")
	}
	return nil
}

// validateAuth checks that the auth type and value go together.
// requireAuthValue makes a bearer or basic type without a value an error.
func validateAuth(w *Webhook, requireAuthValue bool) error {
	switch {
	case w.AuthHeaderType == AuthNone && w.AuthHeaderValue != "":
		return invalid("auth_header_value", "set without auth_header_type; say bearer or basic")
	case w.AuthHeaderType != AuthNone && w.AuthHeaderValue == "" && requireAuthValue:
		return invalid("auth_header_value", "required when auth_header_type is %s", w.AuthHeaderType)
	case w.AuthHeaderType == AuthBasic && requireAuthValue && !isBasicCredential(w.AuthHeaderValue.Reveal()):
		return invalid("auth_header_value", "with auth_header_type basic, must be the base64 of user:password with a password")
	}
	return nil
}

// looksMasked reports whether an auth value is a mask rather than the secret:
// one SMTP2GO may show in webhook/view ("********"; whether it masks is not
// documented), or the one this SDK prints. A mask is never sent, nor compared.
func looksMasked(s Secret) bool {
	v := s.Reveal()
	return v != "" && (strings.Trim(v, "*•") == "" || strings.Contains(v, "****") || v == redacted)
}

// isBasicCredential reports whether v is what a Basic Authorization header
// carries: the standard base64 of "user:password", the password not empty
// (a receiver refuses one, as package webhook does: the webhook would fail
// every delivery).
func isBasicCredential(v string) bool {
	raw, err := base64.StdEncoding.DecodeString(v)
	i := bytes.IndexByte(raw, ':')
	return err == nil && i >= 0 && i < len(raw)-1
}

// validHeaderName reports whether s is an HTTP header field name (RFC 9110
// token): not empty, and every character a token character.
func validHeaderName(s string) bool {
	return s != "" && strings.Trim(s, "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == ""
}

func joinNames[T ~string](names []T) string { return strings.Join(convertStrings[string](names), ", ") }
