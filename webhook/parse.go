package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	return parseBody(kind, boundary, body)
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
	return parseBody(kind, boundary, body)
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
	mt = truncateName(mt, 64)
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

// parseBody decodes body of the given kind and builds the Event.
func parseBody(kind bodyKind, boundary string, body []byte) (*Event, error) {
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

// maxPresizedFields bounds the room the parsers make for fields up front: a
// delivery has a few dozen.
const maxPresizedFields = 64

// parseForm decodes an application/x-www-form-urlencoded body with the rules
// of url.ParseQuery, but without its limit on the number of fields (10,000
// since Go 1.24.12): a processed event may list that many recipients, and the
// body is bounded in bytes already.
func parseForm(s string) (url.Values, error) {
	// Sized for the fields of a delivery, which saves growing the map; a
	// body of many more fields grows it as url.ParseQuery would.
	fields := make(url.Values, min(strings.Count(s, "&")+1, maxPresizedFields))
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
		// The decoder's errors quote the bad escape: a problem names the
		// field instead, never a value.
		k, err := url.QueryUnescape(k)
		if err != nil {
			return nil, &payloadError{format: "form", problem: "invalid percent-escape in a field name", cause: err}
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			return nil, &payloadError{format: "form", problem: "invalid percent-escape in the value of " + strconv.Quote(truncateName(k, 64)), cause: err}
		}
		fields.Add(k, v)
	}
	return fields, nil
}

// parseJSON decodes a JSON object into Values: a string is its text, an
// array one value per element, a number its literal text, true and false as
// written, null "", and a nested object its compact JSON text. A key that
// appears twice keeps its last value, as encoding/json does.
func parseJSON(body []byte) (url.Values, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // tolerate a UTF-8 byte order mark
	// Unmarshal fills the map it is given: sized for the members, it saves
	// growing the map (a comma inside a string only makes it larger).
	obj := make(map[string]jsonValues, min(bytes.Count(body, []byte(","))+1, maxPresizedFields))
	if err := json.Unmarshal(body, &obj); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return nil, &payloadError{format: "json", problem: "top level must be an object"}
		case errors.As(err, &syntaxErr) && strings.HasPrefix(syntaxErr.Error(), "invalid character"):
			// The message quotes the character, which may be a value's:
			// the offset says where instead.
			problem := fmt.Sprintf("invalid character at byte %d", syntaxErr.Offset)
			if strings.HasSuffix(syntaxErr.Error(), "exceeded max depth") {
				problem = fmt.Sprintf("nested too deep at byte %d", syntaxErr.Offset)
			}
			return nil, &payloadError{format: "json", problem: problem, cause: err}
		}
		return nil, &payloadError{format: "json", problem: err.Error(), cause: err}
	}
	if obj == nil { // the body was null
		return nil, &payloadError{format: "json", problem: "top level must be an object"}
	}
	fields := make(url.Values, len(obj))
	for k, vs := range obj {
		fields[k] = vs
	}
	return fields, nil
}

// jsonValues is the Fields values of one member of a JSON object: one per
// element of an array, or the text of any other value. encoding/json hands
// UnmarshalJSON each value already validated.
type jsonValues []string

func (v *jsonValues) UnmarshalJSON(raw []byte) error {
	if raw[0] != '[' {
		*v = jsonValues{jsonText(raw)}
		return nil
	}
	var elems []jsonElement
	if err := json.Unmarshal(raw, &elems); err != nil {
		return err
	}
	vs := make(jsonValues, len(elems))
	for i, e := range elems {
		vs[i] = string(e)
	}
	*v = vs
	return nil
}

// jsonElement is the text of one element of a JSON array.
type jsonElement string

func (e *jsonElement) UnmarshalJSON(raw []byte) error {
	*e = jsonElement(jsonText(raw))
	return nil
}

// jsonText is the Fields text of one valid JSON value.
func jsonText(raw []byte) string {
	switch raw[0] {
	case '"':
		// Without escapes, valid UTF-8 is the literal's inside; otherwise
		// decoding also replaces invalid UTF-8 with U+FFFD.
		if inner := raw[1 : len(raw)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			return string(inner)
		}
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	case '{', '[':
		var buf bytes.Buffer
		_ = json.Compact(&buf, raw)
		return buf.String()
	case 'n':
		return ""
	}
	return string(raw) // a number's literal text, true or false
}

// parseMultipart decodes a multipart/form-data body whose every part is a
// named value. Memory is bounded by the body, which is already in memory.
func parseMultipart(body []byte, boundary string) (url.Values, error) {
	if boundary == "" {
		return nil, &payloadError{format: "multipart", problem: "no boundary in Content-Type"}
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	fields := make(url.Values)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return fields, nil
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
		fields.Add(name, string(v))
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
			e.Time = parseTime(v)
		case fieldSendTime:
			e.SendTime = parseTime(v)
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
			e.OpenedAt = parseTime(v)
		case fieldClickedAt:
			e.ClickedAt = parseTime(v)
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
		sms.ReceivedTimestamp = parseTime(v)
	case fieldSubmittedTimestamp:
		sms.SubmittedTimestamp = parseTime(v)
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
