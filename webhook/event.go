package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/relaykit/smtp2go"
)

// Sentinel errors of event parsing. Match them with [errors.Is]: the errors
// returned by [Parse] and [ParseBody] wrap one of them and say what
// was wrong without repeating the values of the body.
var (
	// ErrUnsupportedContentType: the Content-Type is missing or is not one
	// SMTP2GO delivers (form, JSON) or this package accepts (multipart form).
	ErrUnsupportedContentType = errors.New("webhook: unsupported content type")
	// ErrMalformedPayload: the body does not decode, or has no "event" field.
	ErrMalformedPayload = errors.New("webhook: malformed payload")
)

// DefaultMaxBodyBytes bounds a delivery body, in [Parse] and by default
// in [NewHandler]. SMTP2GO's deliveries are a few kilobytes; 1 MiB
// leaves room for long recipient lists and custom headers.
const DefaultMaxBodyBytes = 1 << 20

// maxDirectIDLen is the longest ID that DedupKey uses as is; a longer one is
// hashed, so that a deduplication store never holds an unbounded key.
const maxDirectIDLen = 64

// Field names exactly as SMTP2GO sends them, hyphens and underscores included.
const (
	fieldEvent          = "event"
	fieldID             = "id"
	fieldEmailID        = "email_id"
	fieldMessageID      = "message-id"
	fieldTime           = "time"
	fieldSendTime       = "sendtime"
	fieldSender         = "sender"
	fieldFrom           = "from"
	fieldFromAddress    = "from_address"
	fieldFromName       = "from_name"
	fieldRcpt           = "rcpt"
	fieldRecipients     = "recipients"
	fieldAuth           = "auth"
	fieldSubject        = "subject"
	fieldHost           = "host"
	fieldMessage        = "message"
	fieldContext        = "context"
	fieldBounce         = "bounce"
	fieldSrcHost        = "srchost"
	fieldUserAgent      = "user-agent"
	fieldReadSecs       = "read-secs"
	fieldClient         = "client"
	fieldClientDevice   = "client-device"
	fieldClientOS       = "client-os"
	fieldGeoIPContinent = "geoip-continent"
	fieldGeoIPCountry   = "geoip-country"
	fieldGeoIPCity      = "geoip-city"
	fieldOpenedAt       = "opened-at"
	fieldClickedAt      = "clicked-at"
	fieldURL            = "url"       // click target, as seen live (undocumented)
	fieldLink           = "link"      // click target, as seen live (undocumented)
	fieldClickURL       = "click_url" // click target, as seen live (undocumented)

	fieldDestinationNumber  = "destination_number"
	fieldSourceNumber       = "source_number"
	fieldSenderEmail        = "sender_email"
	fieldEmailSubject       = "email_subject"
	fieldMessageContent     = "message_content"
	fieldSMSMessageID       = "message_id"
	fieldReceivedTimestamp  = "received_timestamp"
	fieldSubmittedTimestamp = "submitted_timestamp"
	fieldRegion             = "region"
	fieldRetryCount         = "retry_count"
	fieldStatusCode         = "status_code"
)

// BounceType tells a hard bounce (the address will not accept mail) from a
// soft one (a temporary failure, such as a full mailbox).
type BounceType string

// Bounce types, as sent in the "bounce" field of a bounce event.
const (
	BounceHard BounceType = "hard"
	BounceSoft BounceType = "soft"
)

// Event is one delivery from SMTP2GO: an email event (delivered, bounce, …)
// or an SMS event.
//
// The typed fields are filled from the fields SMTP2GO documents or has been
// seen to send; a field that is absent leaves its zero value. Every field of
// the delivery, including custom headers and names this package does not know,
// is in Fields exactly as received. Times are in UTC; a time that does not
// parse is left zero, with its text still in Fields, rather than failing the
// whole event: SMTP2GO would otherwise redeliver it for 48 hours in vain.
type Event struct {
	// Type is the event, with the alias names some senders use mapped to the
	// documented ones ("opened" is smtp2go.EventOpen, "clicked" smtp2go.EventClick,
	// "spam_complaint" smtp2go.EventSpam, "unsubscribed" smtp2go.EventUnsubscribe). An event
	// name this package does not know is kept as sent.
	Type smtp2go.EventType
	// RawType is the "event" field exactly as sent.
	RawType string
	// ID identifies this notification: 32 hex digits, the same on every
	// redelivery. It is not the webhook's ID. See [Event.DedupKey].
	ID string
	// EmailID is SMTP2GO's ID of the email ("email_id").
	EmailID string
	// MessageID is the email's Message-ID header ("message-id", or the
	// "Message-Id" key that form bodies also carry).
	MessageID string
	// Time is when the event happened ("time").
	Time time.Time
	// SendTime is when the email reached SMTP2GO ("sendtime").
	SendTime time.Time
	// Sender is the envelope sender ("sender").
	Sender string
	// From is the From header ("from"); FromAddress and FromName are its parts.
	From        string
	FromAddress string
	FromName    string
	// Rcpt is the recipient this event is about, on per-recipient events.
	Rcpt string
	// Recipients lists every recipient of the email, on processed events. It
	// is filled from the "recipients" field only: per-recipient events carry
	// Rcpt instead.
	Recipients []string
	// Auth is the SMTP user, API key or IP address that sent the email. It
	// may be an API key: treat it as a secret. String and LogValue leave it out.
	Auth string
	// Subject is the email's subject ("subject", or the "Subject" key).
	Subject string
	// Host is the remote mail server, such as "mx.example.org [192.0.2.7]".
	Host string
	// Message is the remote server's response or the error text.
	Message string
	// Context is extra detail on the event, such as "RCPT TO:<…>".
	Context string
	// Bounce is BounceHard or BounceSoft on bounce events.
	Bounce BounceType
	// SrcHost is the IP address of the opener or clicker, or on processed
	// events the address that submitted the email ("srchost").
	SrcHost string
	// UserAgent is the opener's or clicker's user agent ("user-agent").
	UserAgent string
	// ReadSecs is how long the email was open, in seconds ("read-secs").
	ReadSecs int
	// Client, ClientDevice and ClientOS describe the opener's mail client.
	Client       string
	ClientDevice string
	ClientOS     string
	// GeoIPContinent, GeoIPCountry and GeoIPCity locate the opener or clicker.
	GeoIPContinent string
	GeoIPCountry   string
	GeoIPCity      string
	// URL is the link clicked, on click events. SMTP2GO does not document the
	// field; it has been seen as "url", "link" and "click_url", taken in that
	// order of preference.
	URL string
	// OpenedAt and ClickedAt are the "opened-at" and "clicked-at" times seen
	// on open and click test events.
	OpenedAt  time.Time
	ClickedAt time.Time
	// SMS holds the fields of SMS events. It is nil for email events.
	SMS *SMSDetails
	// Fields is every field of the delivery exactly as received, keyed by the
	// name as sent. A JSON array gives one value per element and a repeated
	// form key one value per occurrence; JSON numbers keep their literal text,
	// booleans are "true" or "false", null is "", and a nested object is its
	// compact JSON text.
	Fields url.Values
}

// SMSDetails are the fields of an SMS event.
type SMSDetails struct {
	DestinationNumber  string    // the recipient's number ("destination_number")
	SourceNumber       string    // the sending number ("source_number")
	SenderEmail        string    // the account email that sent it ("sender_email")
	EmailSubject       string    // the subject of the email that sent it, for email-to-SMS ("email_subject")
	MessageContent     string    // the text of the message ("message_content")
	MessageID          string    // SMTP2GO's ID of the message ("message_id")
	ReceivedTimestamp  time.Time // when SMTP2GO received it ("received_timestamp")
	SubmittedTimestamp time.Time // when it was passed on to the carrier ("submitted_timestamp")
	Region             string    // the region that handled it ("region")
	RetryCount         int       // how often sending was retried ("retry_count")
	StatusCode         int       // the carrier's status code ("status_code")
}

// Header returns the first value of the top-level field called name, compared
// case-insensitively, or "" if there is none. SMTP2GO sends each header a
// webhook asks for (its "headers" list, such as "X-Customer-Id") as a
// top-level field named like the header; Header("Message-Id") and
// Header("Subject") find the default headers as well. An exact match is
// preferred; among several keys differing only in case, the one that sorts
// first wins, so the answer does not depend on map order.
func (e *Event) Header(name string) string {
	if e == nil {
		return ""
	}
	if vs, ok := e.Fields[name]; ok {
		return firstValue(vs)
	}
	var best, val string
	found := false
	for k, vs := range e.Fields {
		if strings.EqualFold(k, name) && (!found || k < best) {
			best, val, found = k, firstValue(vs), true
		}
	}
	return val
}

// DedupKey returns a key that is the same for every redelivery of this event
// and differs between events, for a [Deduplicator]: the notification ID when
// there is one (hashed if longer than 64 bytes), and otherwise "h:" followed by
// the SHA-256, in hex, of the email ID, type, recipient and raw time (for SMS
// events: message ID, type and destination number). If even the email or
// message ID is missing, the hash covers every field, so that unrelated events
// that lack identifiers are never taken for duplicates of one another.
func (e *Event) DedupKey() string {
	if e == nil {
		return ""
	}
	if e.ID != "" && len(e.ID) <= maxDirectIDLen {
		return e.ID
	}
	h := sha256.New()
	part := func(s string) {
		// Length-prefixed, so that no two different part lists hash alike.
		var n [20]byte
		h.Write(strconv.AppendInt(n[:0], int64(len(s)), 10))
		h.Write([]byte{':'})
		io.WriteString(h, s)
	}
	switch {
	case e.ID != "":
		part("id")
		part(e.ID)
	case e.SMS != nil && e.SMS.MessageID != "":
		part("sms")
		part(e.SMS.MessageID)
		part(string(e.Type))
		part(e.SMS.DestinationNumber)
	case e.SMS == nil && e.EmailID != "":
		part("email")
		part(e.EmailID)
		part(string(e.Type))
		part(e.Rcpt)
		part(firstValue(e.Fields[fieldTime]))
	default:
		part("fields")
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			part(k)
			part(strconv.Itoa(len(e.Fields[k])))
			for _, v := range e.Fields[k] {
				part(v)
			}
		}
	}
	return "h:" + hex.EncodeToString(h.Sum(nil))
}

// String describes the event briefly, without Auth (which may be an API key)
// or the other fields. It has a value receiver so that printing an Event, not
// only an *Event, leaves Auth out; fmt prints a nil *Event as "<nil>", but
// calling String on one directly panics.
func (e Event) String() string {
	var b strings.Builder
	b.WriteString("smtp2go event ")
	b.WriteString(string(e.Type))
	if e.ID != "" {
		b.WriteString(" id=")
		b.WriteString(e.ID)
	}
	if e.SMS != nil {
		if e.SMS.MessageID != "" {
			b.WriteString(" message_id=")
			b.WriteString(e.SMS.MessageID)
		}
		return b.String()
	}
	if e.EmailID != "" {
		b.WriteString(" email_id=")
		b.WriteString(e.EmailID)
	}
	return b.String()
}

// LogValue makes slog log the event's identifying fields only: never Auth,
// which may be an API key, nor message content.
func (e Event) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("type", string(e.Type))}
	if e.ID != "" {
		attrs = append(attrs, slog.String("id", e.ID))
	}
	if e.EmailID != "" {
		attrs = append(attrs, slog.String("email_id", e.EmailID))
	}
	if e.SMS != nil && e.SMS.MessageID != "" {
		attrs = append(attrs, slog.String("message_id", e.SMS.MessageID))
	}
	if !e.Time.IsZero() {
		attrs = append(attrs, slog.Time("time", e.Time))
	}
	return slog.GroupValue(attrs...)
}

// Parse reads r's body and parses it as an SMTP2GO delivery, as
// [ParseBody] does with r's Content-Type. It reads at most 1 MiB: a longer
// body gives an error wrapping [*http.MaxBytesError]; wrap r.Body in
// [http.MaxBytesReader] first for a lower limit. It does not check the
// Authorization header: [NewHandler] does that.
func Parse(r *http.Request) (*Event, error) {
	if r == nil || r.Body == nil {
		return nil, fmt.Errorf("%w: no request body", ErrMalformedPayload)
	}
	ct := r.Header.Get("Content-Type")
	kind, boundary, err := mediaKind(ct)
	if err != nil {
		return nil, err
	}
	body, err := readRequestBody(nil, r, DefaultMaxBodyBytes)
	if err != nil {
		return nil, fmt.Errorf("webhook: reading body: %w", err)
	}
	return parseEvent(kind, boundary, body)
}

// ParseBody parses a delivery body given its Content-Type:
// application/x-www-form-urlencoded (SMTP2GO's "form" output, the default),
// application/json (its "json" output) or multipart/form-data (not sent by
// SMTP2GO, accepted for relays that re-encode; every part must be a named
// value: a file part or a part without a name is an error). Parameters such as
// charset are ignored: values are taken as the bytes sent.
//
// A Content-Type that is missing or other gives [ErrUnsupportedContentType]. A
// body that does not decode, a JSON body that is not an object, or a body
// without an "event" field gives [ErrMalformedPayload]. Anything else is
// accepted: unknown fields and event names, unparseable times and numbers
// (left zero), repeated keys.
func ParseBody(contentType string, body []byte) (*Event, error) {
	kind, boundary, err := mediaKind(contentType)
	if err != nil {
		return nil, err
	}
	return parseEvent(kind, boundary, body)
}

// bodyKind is a body encoding this package parses.
type bodyKind int

const (
	kindForm bodyKind = iota
	kindJSON
	kindMultipart
)

// mediaKind tells the encoding of a body from its Content-Type, and returns
// the multipart boundary if there is one.
func mediaKind(contentType string) (bodyKind, string, error) {
	if strings.TrimSpace(contentType) == "" {
		return 0, "", fmt.Errorf("%w: none given", ErrUnsupportedContentType)
	}
	mt, params, err := mime.ParseMediaType(contentType)
	// A broken parameter does not hide the media type, and only multipart
	// needs one.
	if err != nil && !(errors.Is(err, mime.ErrInvalidMediaParameter) && mt != "") {
		return 0, "", fmt.Errorf("%w: unparsable media type", ErrUnsupportedContentType)
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		return kindForm, "", nil
	case "application/json":
		return kindJSON, "", nil
	case "multipart/form-data":
		return kindMultipart, params["boundary"], nil
	}
	if len(mt) > 64 {
		mt = mt[:64] + "…"
	}
	return 0, "", fmt.Errorf("%w: %q", ErrUnsupportedContentType, mt)
}

// payloadError is a body that does not decode. Its message names the encoding
// and the problem but never the body's values; it matches ErrMalformedPayload
// and unwraps to the decoder's error as well.
type payloadError struct {
	format  string // "form", "json", "multipart" or "" for the fields themselves
	problem string
	cause   error
}

func (e *payloadError) Error() string {
	if e.format == "" {
		return ErrMalformedPayload.Error() + ": " + e.problem
	}
	return ErrMalformedPayload.Error() + ": " + e.format + ": " + e.problem
}

func (e *payloadError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrMalformedPayload}
	}
	return []error{ErrMalformedPayload, e.cause}
}

// parseEvent decodes body of the given kind and builds the Event.
func parseEvent(kind bodyKind, boundary string, body []byte) (*Event, error) {
	var (
		fields url.Values
		err    error
	)
	switch kind {
	case kindForm:
		fields, err = parseForm(string(body))
	case kindJSON:
		fields, err = parseJSON(body)
	default:
		fields, err = parseMultipart(body, boundary)
	}
	if err != nil {
		return nil, err
	}
	return newEvent(fields)
}

// valuesBuilder fills url.Values, carving the first value of each key out of
// shared chunks: one allocation for many fields instead of one per field.
type valuesBuilder struct {
	m     url.Values
	chunk []string
}

// valuesChunkSize bounds the up-front allocations for a body of many fields.
const valuesChunkSize = 64

func newValuesBuilder(estimate int) valuesBuilder {
	n := min(max(estimate, 1), valuesChunkSize)
	return valuesBuilder{m: make(url.Values, n), chunk: make([]string, 0, n)}
}

func (b *valuesBuilder) add(key, value string) {
	if vs, ok := b.m[key]; ok {
		b.m[key] = append(vs, value)
		return
	}
	if len(b.chunk) == cap(b.chunk) {
		b.chunk = make([]string, 0, valuesChunkSize)
	}
	b.chunk = append(b.chunk, value)
	n := len(b.chunk)
	b.m[key] = b.chunk[n-1 : n : n] // a full slice: appending copies, never overwrites a neighbour
}

// parseForm decodes an application/x-www-form-urlencoded body with the rules
// of url.ParseQuery, but without its limit on the number of fields (10,000
// since Go 1.24.12): a processed event may list that many recipients, and the
// body is bounded in bytes already.
func parseForm(s string) (url.Values, error) {
	b := newValuesBuilder(strings.Count(s, "&") + 1)
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if strings.IndexByte(pair, ';') >= 0 {
			return nil, &payloadError{format: "form", problem: "semicolon separator"}
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return nil, &payloadError{format: "form", problem: err.Error(), cause: err}
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			return nil, &payloadError{format: "form", problem: err.Error(), cause: err}
		}
		b.add(k, v)
	}
	return b.m, nil
}

// parseJSON decodes a JSON object into Values. The body is validated by
// encoding/json first (which also bounds nesting depth), so the walk below
// only has to find the extent of each value, and every value that needs no
// unescaping is a substring of one copy of the body: no allocation per field.
func parseJSON(body []byte) (url.Values, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // tolerate a UTF-8 byte order mark
	if !json.Valid(body) {
		var v any
		err := json.Unmarshal(body, &v) // only for the reason
		problem := "invalid JSON"
		if err != nil {
			problem = err.Error()
		}
		return nil, &payloadError{format: "json", problem: problem, cause: err}
	}
	s := string(body)
	i := skipJSONSpace(s, 0)
	if s[i] != '{' {
		return nil, &payloadError{format: "json", problem: "top level must be an object"}
	}
	b := newValuesBuilder(strings.Count(s, ",") + 1)
	for i++; ; {
		i = skipJSONSpace(s, i)
		switch s[i] {
		case '}':
			return b.m, nil
		case ',':
			i++
			continue
		}
		end := jsonStringEnd(s, i)
		key := jsonUnquote(s[i:end])
		i = skipJSONSpace(s, end) + 1 // past ':'
		i = skipJSONSpace(s, i)
		end = jsonValueEnd(s, i)
		if s[i] == '[' {
			addJSONArray(&b, key, s[i:end])
		} else {
			b.add(key, jsonFieldText(s[i:end]))
		}
		i = end
	}
}

// addJSONArray adds one value per element of the array raw; an empty array
// leaves the key present with no values.
func addJSONArray(b *valuesBuilder, key, raw string) {
	vs, ok := b.m[key]
	if !ok {
		vs = []string{}
	}
	for i := 1; ; {
		i = skipJSONSpace(raw, i)
		switch raw[i] {
		case ']':
			b.m[key] = vs
			return
		case ',':
			i++
			continue
		}
		end := jsonValueEnd(raw, i)
		vs = append(vs, jsonFieldText(raw[i:end]))
		i = end
	}
}

// jsonFieldText is the Fields text of a valid JSON value.
func jsonFieldText(raw string) string {
	switch raw[0] {
	case '"':
		return jsonUnquote(raw)
	case '{', '[':
		return compactJSON(raw)
	case 'n':
		return ""
	}
	return raw // a number's literal text, true or false
}

// jsonUnquote unquotes a valid JSON string literal. Without escapes or invalid
// UTF-8 it is the literal's inside; otherwise encoding/json decodes it, which
// also replaces invalid UTF-8 with U+FFFD.
func jsonUnquote(raw string) string {
	inner := raw[1 : len(raw)-1]
	if strings.IndexByte(inner, '\\') < 0 && utf8.ValidString(inner) {
		return inner
	}
	var out string
	if json.Unmarshal([]byte(raw), &out) != nil {
		return inner // unreachable for a validated body
	}
	return out
}

// compactJSON returns a valid object or array without insignificant space.
func compactJSON(raw string) string {
	if !strings.ContainsAny(raw, " \t\r\n") {
		return raw
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if json.Compact(&buf, []byte(raw)) != nil {
		return raw // unreachable for a validated body
	}
	return buf.String()
}

func skipJSONSpace(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// jsonStringEnd returns the index just past the string literal starting at s[i].
func jsonStringEnd(s string, i int) int {
	j := i + 1
	for {
		k := strings.IndexByte(s[j:], '"')
		if k < 0 {
			return len(s) // unreachable for a validated body
		}
		j += k
		// The quote is escaped if an odd number of backslashes precede it.
		n := 0
		for p := j - 1; p > i && s[p] == '\\'; p-- {
			n++
		}
		j++
		if n%2 == 0 {
			return j
		}
	}
}

// jsonValueEnd returns the index just past the value starting at s[i].
func jsonValueEnd(s string, i int) int {
	switch s[i] {
	case '"':
		return jsonStringEnd(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); {
			switch s[j] {
			case '"':
				j = jsonStringEnd(s, j)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return len(s) // unreachable for a validated body
	}
	j := i
	for j < len(s) {
		switch s[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return j
		}
		j++
	}
	return j
}

// parseMultipart decodes a multipart/form-data body whose every part is a
// named value. Memory is bounded by the body, which is already in memory.
func parseMultipart(body []byte, boundary string) (url.Values, error) {
	if boundary == "" {
		return nil, &payloadError{format: "multipart", problem: "no boundary in Content-Type"}
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	b := newValuesBuilder(bytes.Count(body, []byte(boundary)))
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return b.m, nil
		}
		if err != nil {
			// The reader's errors may quote header lines of the body.
			return nil, &payloadError{format: "multipart", problem: "malformed part", cause: err}
		}
		name := p.FormName()
		if name == "" {
			return nil, &payloadError{format: "multipart", problem: "part without a form-data name"}
		}
		if p.FileName() != "" {
			return nil, &payloadError{format: "multipart", problem: "file part " + strconv.Quote(truncateName(name, 64)) + " not accepted"}
		}
		v, err := io.ReadAll(p)
		if err != nil {
			return nil, &payloadError{format: "multipart", problem: "malformed part", cause: err}
		}
		b.add(name, string(v))
	}
}

func truncateName(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// newEvent fills an Event from the fields of a delivery, in one pass over them.
func newEvent(fields url.Values) (*Event, error) {
	raw := firstValue(fields[fieldEvent])
	if strings.TrimSpace(raw) == "" {
		return nil, &payloadError{problem: "no event field"}
	}
	e := &Event{RawType: raw, Type: normaliseEventType(raw), Fields: fields}
	var sms *SMSDetails
	if e.Type.IsSMS() {
		sms = new(SMSDetails)
		e.SMS = sms
	}
	var link, clickURL string
	for k, vs := range fields {
		if len(vs) == 0 {
			continue
		}
		v := vs[0]
		switch k {
		case fieldID:
			e.ID = v
		case fieldEmailID:
			e.EmailID = v
		case fieldMessageID:
			e.MessageID = v
		case fieldTime:
			e.Time = parseEventTime(v)
		case fieldSendTime:
			e.SendTime = parseEventTime(v)
		case fieldSender:
			e.Sender = v
		case fieldFrom:
			e.From = v
		case fieldFromAddress:
			e.FromAddress = v
		case fieldFromName:
			e.FromName = v
		case fieldRcpt:
			e.Rcpt = v
		case fieldRecipients:
			e.Recipients = nonEmpty(vs)
		case fieldAuth:
			e.Auth = v
		case fieldSubject:
			e.Subject = v
		case fieldHost:
			e.Host = v
		case fieldMessage:
			e.Message = v
		case fieldContext:
			e.Context = v
		case fieldBounce:
			e.Bounce = bounceType(v)
		case fieldSrcHost:
			e.SrcHost = v
		case fieldUserAgent:
			e.UserAgent = v
		case fieldReadSecs:
			e.ReadSecs = parseLooseInt(v)
		case fieldClient:
			e.Client = v
		case fieldClientDevice:
			e.ClientDevice = v
		case fieldClientOS:
			e.ClientOS = v
		case fieldGeoIPContinent:
			e.GeoIPContinent = v
		case fieldGeoIPCountry:
			e.GeoIPCountry = v
		case fieldGeoIPCity:
			e.GeoIPCity = v
		case fieldURL:
			e.URL = v
		case fieldLink:
			link = v
		case fieldClickURL:
			clickURL = v
		case fieldOpenedAt:
			e.OpenedAt = parseEventTime(v)
		case fieldClickedAt:
			e.ClickedAt = parseEventTime(v)
		default:
			if sms != nil {
				fillSMS(sms, k, v)
			}
		}
	}
	// Without the lower-case field, "Message-Id" and "Subject" in any case
	// (form bodies repeat the default headers under their header names).
	if _, ok := fields[fieldMessageID]; !ok {
		e.MessageID = e.Header(fieldMessageID)
	}
	if _, ok := fields[fieldSubject]; !ok {
		e.Subject = e.Header(fieldSubject)
	}
	if e.URL == "" {
		e.URL = link
	}
	if e.URL == "" {
		e.URL = clickURL
	}
	return e, nil
}

// fillSMS sets the SMS field named k, if k is one.
func fillSMS(sms *SMSDetails, k, v string) {
	switch k {
	case fieldDestinationNumber:
		sms.DestinationNumber = v
	case fieldSourceNumber:
		sms.SourceNumber = v
	case fieldSenderEmail:
		sms.SenderEmail = v
	case fieldEmailSubject:
		sms.EmailSubject = v
	case fieldMessageContent:
		sms.MessageContent = v
	case fieldSMSMessageID:
		sms.MessageID = v
	case fieldReceivedTimestamp:
		sms.ReceivedTimestamp = parseEventTime(v)
	case fieldSubmittedTimestamp:
		sms.SubmittedTimestamp = parseEventTime(v)
	case fieldRegion:
		sms.Region = v
	case fieldRetryCount:
		sms.RetryCount = parseLooseInt(v)
	case fieldStatusCode:
		sms.StatusCode = parseLooseInt(v)
	}
}

func firstValue(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// nonEmpty copies vs without empty values, so that Recipients never shares
// storage with Fields and "recipients=" alone means none.
func nonEmpty(vs []string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// eventAlias maps the names some client libraries expect (unverified on the
// wire) to the names SMTP2GO documents.
func eventAlias(name string) (smtp2go.EventType, bool) {
	switch name {
	case "opened":
		return smtp2go.EventOpen, true
	case "clicked":
		return smtp2go.EventClick, true
	case "spam_complaint":
		return smtp2go.EventSpam, true
	case "unsubscribed":
		return smtp2go.EventUnsubscribe, true
	}
	return "", false
}

// normaliseEventType maps a raw event name to its smtp2go.EventType: documented names
// as they are, aliases to the documented names, both also when sent in
// another case or with surrounding space; any other name unchanged.
func normaliseEventType(raw string) smtp2go.EventType {
	if t, ok := knownEventType(raw); ok {
		return t
	}
	if folded := strings.ToLower(strings.TrimSpace(raw)); folded != raw {
		if t, ok := knownEventType(folded); ok {
			return t
		}
	}
	return smtp2go.EventType(raw)
}

func knownEventType(name string) (smtp2go.EventType, bool) {
	switch t := smtp2go.EventType(name); t {
	case smtp2go.EventProcessed, smtp2go.EventDelivered, smtp2go.EventOpen, smtp2go.EventClick, smtp2go.EventBounce,
		smtp2go.EventSpam, smtp2go.EventUnsubscribe, smtp2go.EventResubscribe, smtp2go.EventReject,
		smtp2go.EventSMSSending, smtp2go.EventSMSSubmitted, smtp2go.EventSMSDelivered, smtp2go.EventSMSFailed, smtp2go.EventSMSRejected:
		return t, true
	}
	return eventAlias(name)
}

func bounceType(v string) BounceType {
	switch {
	case strings.EqualFold(v, string(BounceHard)):
		return BounceHard
	case strings.EqualFold(v, string(BounceSoft)):
		return BounceSoft
	}
	return BounceType(v)
}

// parseLooseInt reads an integer sent as a number or a string, also in decimal
// notation ("5.0", "5e0"), truncated toward zero. Anything else is 0.
func parseLooseInt(s string) int {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
		return 0
	}
	return int(f)
}

// parseEventTime reads the time formats SMTP2GO has been seen to send, without
// allocating: RFC 3339 with or without fractional seconds and zone
// ("2026-03-24T08:23:19Z", "2026-03-24T08:23:19.052765+00:00",
// "2026-03-24T08:23:19", taken as UTC), with a space instead of the "T", a
// zone of Z, ±hh:mm, ±hhmm, ±hh or "UTC", optionally after a space; and Unix
// time in seconds (at least 9 digits, optionally with a fraction) or
// milliseconds (13 digits). Anything else is the zero time. The result is UTC.
func parseEventTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if len(s) < len("2006-01-02T15:04:05") {
		return parseUnixTime(s)
	}
	if s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return parseUnixTime(s)
	}
	year, ok1 := parseDigits(s[0:4])
	month, ok2 := parseDigits(s[5:7])
	day, ok3 := parseDigits(s[8:10])
	hour, ok4 := parseDigits(s[11:13])
	minute, ok5 := parseDigits(s[14:16])
	sec, ok6 := parseDigits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 ||
		day < 1 || day > daysInMonth(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}
	}
	rest := s[19:]
	nsec := 0
	if len(rest) >= 2 && (rest[0] == '.' || rest[0] == ',') && isASCIIDigit(rest[1]) {
		n := 1
		scale := 100_000_000
		for ; n < len(rest) && isASCIIDigit(rest[n]); n++ {
			nsec += int(rest[n]-'0') * scale // digits beyond nanoseconds add 0
			scale /= 10
		}
		rest = rest[n:]
	}
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	offset, ok := zoneOffset(rest)
	if !ok {
		return time.Time{}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second)
}

// zoneOffset reads a zone suffix as seconds east of UTC.
func zoneOffset(z string) (int, bool) {
	switch z {
	case "", "Z", "z", "UTC", "GMT":
		return 0, true
	}
	if z[0] != '+' && z[0] != '-' {
		return 0, false
	}
	var hh, mm string
	switch len(z) {
	case 3: // +hh
		hh = z[1:3]
	case 5: // +hhmm
		hh, mm = z[1:3], z[3:5]
	case 6: // +hh:mm
		if z[3] != ':' {
			return 0, false
		}
		hh, mm = z[1:3], z[4:6]
	default:
		return 0, false
	}
	h, ok := parseDigits(hh)
	if !ok || h > 23 {
		return 0, false
	}
	m := 0
	if mm != "" {
		if m, ok = parseDigits(mm); !ok || m > 59 {
			return 0, false
		}
	}
	off := (h*60 + m) * 60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

// parseUnixTime reads Unix seconds, with an optional fraction, or milliseconds.
func parseUnixTime(s string) time.Time {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	n, ok := parseDigits(intPart)
	if !ok {
		return time.Time{}
	}
	switch {
	case len(intPart) >= 9 && len(intPart) <= 11:
		nsec := 0
		if hasFrac {
			scale := 100_000_000
			for i := 0; i < len(frac); i++ {
				if !isASCIIDigit(frac[i]) {
					return time.Time{}
				}
				nsec += int(frac[i]-'0') * scale
				scale /= 10
			}
		}
		return time.Unix(int64(n), int64(nsec)).UTC()
	case len(intPart) == 13 && !hasFrac:
		return time.UnixMilli(int64(n)).UTC()
	}
	return time.Time{}
}

// parseDigits reads a non-empty string of at most 18 ASCII digits.
func parseDigits(s string) (int, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

func daysInMonth(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
