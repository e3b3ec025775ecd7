package smtp2go

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
)

// EventType names an event. For webhook subscriptions it is one of the email
// event names SMTP2GO documents (EventProcessed … EventReject). On a received
// [Event] it may also be an SMS event (EventSMSDelivered …) or, for a name this
// package does not know, the raw name as sent.
type EventType string

// Email events, as subscribed in a webhook's "events" list and as named in the
// "event" field of a delivery.
const (
	EventProcessed   EventType = "processed"   // SMTP2GO accepted the email
	EventDelivered   EventType = "delivered"   // the recipient's server accepted it
	EventOpen        EventType = "open"        // the recipient opened it
	EventClick       EventType = "click"       // the recipient clicked a tracked link
	EventBounce      EventType = "bounce"      // it bounced (see Event.Bounce)
	EventSpam        EventType = "spam"        // the recipient marked it as spam
	EventUnsubscribe EventType = "unsubscribe" // the recipient unsubscribed
	// EventResubscribe is named by SMTP2GO's webhooks overview (the App groups it
	// with unsubscribe); whether webhook/add accepts it is not documented.
	EventResubscribe EventType = "resubscribe"
	EventReject      EventType = "reject" // SMTP2GO refused to send it
)

// IsSMS reports whether t is an SMS event (its name starts with "sms_"),
// whose details a received event carries apart from an email's.
func (t EventType) IsSMS() bool { return strings.HasPrefix(string(t), "sms_") }

// SMS events, as named in the "event" field of an SMS delivery. Subscriptions
// use the shorter [SMSEventType] names in a webhook's "sms_events" list.
const (
	EventSMSSending   EventType = "sms_sending"
	EventSMSSubmitted EventType = "sms_submitted"
	EventSMSDelivered EventType = "sms_delivered"
	EventSMSFailed    EventType = "sms_failed"
	EventSMSRejected  EventType = "sms_rejected"
)

// emailEvents is every email event a webhook may subscribe to, in the order
// SMTP2GO's documentation lists them.
var emailEvents = []EventType{
	EventProcessed, EventDelivered, EventOpen, EventClick, EventBounce,
	EventSpam, EventUnsubscribe, EventResubscribe, EventReject,
}

// EmailEventTypes returns every email event a webhook can subscribe to.
func EmailEventTypes() []EventType { return append([]EventType(nil), emailEvents...) }

func (t EventType) valid() bool { return slices.Contains(emailEvents, t) }

// SMSEventType names an SMS event in a webhook's "sms_events" list.
type SMSEventType string

// SMS events a webhook can subscribe to.
const (
	SMSDelivered SMSEventType = "delivered"
	SMSFailed    SMSEventType = "failed"
	SMSRejected  SMSEventType = "rejected"
	SMSSending   SMSEventType = "sending"
	SMSSubmitted SMSEventType = "submitted"
)

var smsEvents = []SMSEventType{SMSDelivered, SMSFailed, SMSRejected, SMSSending, SMSSubmitted}

// SMSEventTypes returns every SMS event a webhook can subscribe to.
func SMSEventTypes() []SMSEventType { return append([]SMSEventType(nil), smsEvents...) }

func (t SMSEventType) valid() bool { return slices.Contains(smsEvents, t) }

// EventType returns the name the delivery of this SMS event carries in its
// "event" field, such as EventSMSDelivered for SMSDelivered.
func (t SMSEventType) EventType() EventType { return EventType("sms_" + string(t)) }

// OutputFormat is how SMTP2GO encodes deliveries to a webhook.
type OutputFormat string

// Output formats. The zero value leaves the choice to SMTP2GO, which uses form.
const (
	OutputForm OutputFormat = "form" // application/x-www-form-urlencoded
	OutputJSON OutputFormat = "json" // application/json
)

func (f OutputFormat) valid() bool { return f == "" || f == OutputForm || f == OutputJSON }

// AuthHeaderType is the kind of Authorization header SMTP2GO sends with each
// delivery.
type AuthHeaderType string

// Authorization header types.
const (
	AuthNone   AuthHeaderType = ""       // no Authorization header
	AuthBearer AuthHeaderType = "bearer" // "Authorization: Bearer <value>"
	AuthBasic  AuthHeaderType = "basic"  // "Authorization: Basic <value>", value = BasicAuthValue(user, pass)
)

// BasicAuthValue returns the AuthHeaderValue for [AuthBasic] that makes
// SMTP2GO send "Authorization: Basic" with user and pass: the standard
// base64 of "user:pass". A user holding ":" cannot be told apart from the
// password by the receiver (RFC 7617).
func BasicAuthValue(user, pass string) Secret {
	return Secret(base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)))
}

func (a AuthHeaderType) valid() bool { return a == AuthNone || a == AuthBearer || a == AuthBasic }

// Region selects which SMTP2GO API endpoint a [Client] talks to.
type Region string

// Regions. RegionGlobal routes to the nearest region and is the default.
const (
	RegionGlobal Region = "global" // https://api.smtp2go.com/v3/
	RegionUS     Region = "us"     // https://us-api.smtp2go.com/v3/
	RegionEU     Region = "eu"     // https://eu-api.smtp2go.com/v3/
	RegionAU     Region = "au"     // https://au-api.smtp2go.com/v3/
)

// baseURL returns the API base URL of the region, ending in "/v3/". The empty
// Region is RegionGlobal. It returns "" for an unknown region.
func (r Region) baseURL() string {
	switch r {
	case RegionGlobal, "":
		return "https://api.smtp2go.com" + apiPath
	case RegionUS, RegionEU, RegionAU:
		return "https://" + string(r) + "-api.smtp2go.com" + apiPath
	}
	return ""
}

// apiPath is where SMTP2GO's API lives on its hosts.
const apiPath = "/v3/"

// Webhook is a webhook as SMTP2GO stores it: where deliveries go, which events
// trigger them and how they are encoded and authenticated.
//
// Its auth value is a [Secret]. Its URL and usernames are plain strings:
// show them through [RedactURL] where they may carry a password or API key.
type Webhook struct {
	ID              int64          `json:"id"`                          // SMTP2GO's webhook ID
	URL             string         `json:"url"`                         // where deliveries are POSTed
	Events          []EventType    `json:"events"`                      // email events that trigger a delivery
	SMSEvents       []SMSEventType `json:"sms_events"`                  // SMS events that trigger a delivery
	Headers         []string       `json:"headers"`                     // email header names copied into each delivery
	Usernames       []string       `json:"usernames"`                   // senders that trigger it; empty means all
	OutputFormat    OutputFormat   `json:"output_format"`               // form or json
	AuthHeaderType  AuthHeaderType `json:"auth_header_type"`            // bearer, basic or none
	AuthHeaderValue Secret         `json:"auth_header_value,omitempty"` // empty, or masked, when SMTP2GO withholds it
}

// wireWebhook is a webhook as read from the API. Its lists are L: []string,
// which encoding/json decodes fastest, or flexStrings, which also takes a
// list sent as a single string. The ID may be a number or a numeric string.
type wireWebhook[L ~[]string] struct {
	ID              flexInt `json:"id"`
	URL             string  `json:"url"`
	Events          L       `json:"events"`
	SMSEvents       L       `json:"sms_events"`
	Headers         L       `json:"headers"`
	Usernames       L       `json:"usernames"`
	OutputFormat    string  `json:"output_format"`
	AuthHeaderType  string  `json:"auth_header_type"`
	AuthHeaderValue string  `json:"auth_header_value"`
}

func (raw *wireWebhook[L]) webhook() Webhook {
	return Webhook{
		ID:              int64(raw.ID),
		URL:             raw.URL,
		Events:          convertStrings[EventType](names(raw.Events)),
		SMSEvents:       convertStrings[SMSEventType](names(raw.SMSEvents)),
		Headers:         names(raw.Headers),
		Usernames:       names(raw.Usernames),
		OutputFormat:    OutputFormat(strings.ToLower(strings.TrimSpace(raw.OutputFormat))),
		AuthHeaderType:  AuthHeaderType(strings.ToLower(strings.TrimSpace(raw.AuthHeaderType))),
		AuthHeaderValue: Secret(raw.AuthHeaderValue),
	}
}

// names drops the empty names of a list, which its null elements decode as.
func names[L ~[]string](l L) []string {
	return slices.DeleteFunc([]string(l), func(s string) bool { return s == "" })
}

// wireWebhookList decodes the data of webhook/view in the shapes List's doc
// names. It decodes lists as arrays, and again as flexStrings only if one of
// them is not an array.
type wireWebhookList []Webhook

func (l *wireWebhookList) UnmarshalJSON(b []byte) error {
	err := decodeWebhooks[[]string](b, l)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		err = decodeWebhooks[flexStrings](b, l)
	}
	return err
}

// decodeBody decodes a webhook/view body whose data is the array SMTP2GO
// answers with and every list in it an array.
func (l *wireWebhookList) decodeBody(body []byte) (requestID string, ok bool) {
	var env struct {
		RequestID string                  `json:"request_id"`
		Data      []wireWebhook[[]string] `json:"data"`
	}
	if json.Unmarshal(body, &env) != nil || env.Data == nil {
		return "", false
	}
	*l = make(wireWebhookList, len(env.Data))
	for i := range env.Data {
		(*l)[i] = env.Data[i].webhook()
	}
	return env.RequestID, true
}

func decodeWebhooks[L ~[]string](b []byte, l *wireWebhookList) error {
	if string(b) == "null" {
		return nil
	}
	if b[0] == '[' {
		var raw []wireWebhook[L]
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		*l = make(wireWebhookList, len(raw))
		for i := range raw {
			(*l)[i] = raw[i].webhook()
		}
		return nil
	}
	// One pass reads both object shapes: a webhook, or a "webhooks" member.
	var obj struct {
		wireWebhook[L]
		Webhooks *wireWebhookList `json:"webhooks"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	switch {
	case obj.Webhooks != nil:
		*l = *obj.Webhooks
	case obj.ID != 0 || obj.URL != "":
		*l = wireWebhookList{obj.webhook()}
	}
	return nil
}

// oneWebhook decodes the data of webhook/add and webhook/edit as tolerantly
// as that of webhook/view: an object, an array of one, or a "webhooks" member.
type oneWebhook struct{ Webhook }

// decodeBody decodes a body whose data is one webhook object with an ID.
func (o *oneWebhook) decodeBody(body []byte) (requestID string, ok bool) {
	var env struct {
		RequestID string                   `json:"request_id"`
		Data      wireWebhook[flexStrings] `json:"data"`
	}
	if json.Unmarshal(body, &env) != nil || env.Data.ID == 0 {
		return "", false
	}
	o.Webhook = env.Data.webhook()
	return env.RequestID, true
}

func (o *oneWebhook) UnmarshalJSON(b []byte) error {
	var l wireWebhookList
	// SMTP2GO's documented answers to webhook/add send one-element lists
	// as strings: no first pass that expects arrays.
	if err := decodeWebhooks[flexStrings](b, &l); err != nil {
		return err
	}
	if len(l) > 0 {
		o.Webhook = l[0]
	}
	return nil
}

// flexStrings decodes a JSON array of strings (null elements skipped), null,
// or a single string holding a comma-separated list (empty string: none).
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*f = nil
		return nil
	case b[0] == '"':
		s, err := jsonString(b)
		if err != nil {
			return err
		}
		// The docs show one-element lists as a plain string; a longer list in
		// that form would be comma-joined. Header names and event names
		// cannot hold a comma, so splitting is safe for them.
		list := strings.Split(s, ",")
		for i := range list {
			list[i] = strings.TrimSpace(list[i])
		}
		*f = names(list)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("want a string or an array of strings") // no excerpt: it may be a secret
	}
	*f = list
	return nil
}

// jsonString decodes b, a JSON string that encoding/json has already found
// valid: as it is when it holds no escape, else through json.Unmarshal.
func jsonString(b []byte) (string, error) {
	if len(b) >= 2 && !bytes.ContainsRune(b, '\\') {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// flexInt decodes a JSON number or a string holding a whole number.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		s, err := jsonString(b)
		if err != nil {
			return err
		}
		b = []byte(s)
	}
	if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*n = flexInt(v)
		return nil
	}
	// 4320.0 or 4.32e3: a number that is a whole one.
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return errors.New("want an integer")
	}
	*n = flexInt(f)
	return nil
}

// convertStrings converts a list of one string type to another.
func convertStrings[To, From ~string](in []From) []To {
	if in == nil {
		return nil
	}
	out := make([]To, len(in))
	for i, s := range in {
		out[i] = To(s)
	}
	return out
}

// Ptr returns a pointer to v, for the optional fields of [EditWebhookRequest]:
//
//	req := &smtp2go.EditWebhookRequest{ID: 42, URL: smtp2go.Ptr("https://example.com/hook")}
func Ptr[T any](v T) *T { return &v }
