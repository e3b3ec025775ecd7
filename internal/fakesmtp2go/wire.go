package fakesmtp2go

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaykit/smtp2go/webhook"

	"github.com/google/go-querystring/query"
)

// Content types of SMTP2GO's two output formats.
const (
	contentTypeForm = "application/x-www-form-urlencoded"
	contentTypeJSON = "application/json"
)

// Time layouts of a delivery: "time" (and the opened-at and clicked-at seen
// on test events) is RFC 3339 in seconds with "Z"; "sendtime" (and, as a
// guess, the SMS timestamps) has microseconds and "+00:00".
const (
	layoutTime     = "2006-01-02T15:04:05Z07:00"
	layoutSendTime = "2006-01-02T15:04:05.000000-07:00"
)

// headersUnavailable is the value SMTP2GO's App test button sends for each
// custom header a webhook asks for.
const headersUnavailable = "Headers Unavailable"

// wireEvent is a delivery body: every field SMTP2GO documents or has been seen
// to send, named exactly as sent. The url tags name the form keys (encoded by
// go-querystring) and the json tags the JSON members; both say the same but
// for the header-cased Message-Id and Subject, which only form bodies repeat.
// Absent fields are omitted, so what a receiver gets is what the event holds.
type wireEvent struct {
	Event           string   `url:"event" json:"event"`
	ID              string   `url:"id" json:"id"`
	Time            string   `url:"time,omitempty" json:"time,omitempty"`
	SendTime        string   `url:"sendtime,omitempty" json:"sendtime,omitempty"`
	EmailID         string   `url:"email_id,omitempty" json:"email_id,omitempty"`
	MessageID       string   `url:"message-id,omitempty" json:"message-id,omitempty"`
	MessageIDHeader string   `url:"Message-Id,omitempty" json:"-"`
	Subject         string   `url:"subject,omitempty" json:"subject,omitempty"`
	SubjectHeader   string   `url:"Subject,omitempty" json:"-"`
	Sender          string   `url:"sender,omitempty" json:"sender,omitempty"`
	From            string   `url:"from,omitempty" json:"from,omitempty"`
	FromAddress     string   `url:"from_address,omitempty" json:"from_address,omitempty"`
	FromName        string   `url:"from_name,omitempty" json:"from_name,omitempty"`
	Rcpt            string   `url:"rcpt,omitempty" json:"rcpt,omitempty"`
	Recipients      []string `url:"recipients,omitempty" json:"recipients,omitempty"`
	Auth            string   `url:"auth,omitempty" json:"auth,omitempty"`
	Host            string   `url:"host,omitempty" json:"host,omitempty"`
	Message         string   `url:"message,omitempty" json:"message,omitempty"`
	Context         string   `url:"context,omitempty" json:"context,omitempty"`
	Bounce          string   `url:"bounce,omitempty" json:"bounce,omitempty"`
	SrcHost         string   `url:"srchost,omitempty" json:"srchost,omitempty"`
	UserAgent       string   `url:"user-agent,omitempty" json:"user-agent,omitempty"`
	ReadSecs        int      `url:"read-secs,omitempty" json:"read-secs,omitempty"`
	Client          string   `url:"client,omitempty" json:"client,omitempty"`
	ClientDevice    string   `url:"client-device,omitempty" json:"client-device,omitempty"`
	ClientOS        string   `url:"client-os,omitempty" json:"client-os,omitempty"`
	GeoIPContinent  string   `url:"geoip-continent,omitempty" json:"geoip-continent,omitempty"`
	GeoIPCountry    string   `url:"geoip-country,omitempty" json:"geoip-country,omitempty"`
	GeoIPCity       string   `url:"geoip-city,omitempty" json:"geoip-city,omitempty"`
	URL             string   `url:"url,omitempty" json:"url,omitempty"`
	OpenedAt        string   `url:"opened-at,omitempty" json:"opened-at,omitempty"`
	ClickedAt       string   `url:"clicked-at,omitempty" json:"clicked-at,omitempty"`

	// SMS fields. The counters are pointers so that an SMS event sends them
	// even when they are 0, and an email event never does.
	DestinationNumber  string `url:"destination_number,omitempty" json:"destination_number,omitempty"`
	SourceNumber       string `url:"source_number,omitempty" json:"source_number,omitempty"`
	SenderEmail        string `url:"sender_email,omitempty" json:"sender_email,omitempty"`
	EmailSubject       string `url:"email_subject,omitempty" json:"email_subject,omitempty"`
	MessageContent     string `url:"message_content,omitempty" json:"message_content,omitempty"`
	SMSMessageID       string `url:"message_id,omitempty" json:"message_id,omitempty"`
	ReceivedTimestamp  string `url:"received_timestamp,omitempty" json:"received_timestamp,omitempty"`
	SubmittedTimestamp string `url:"submitted_timestamp,omitempty" json:"submitted_timestamp,omitempty"`
	Region             string `url:"region,omitempty" json:"region,omitempty"`
	RetryCount         *int   `url:"retry_count,omitempty" json:"retry_count,omitempty"`
	StatusCode         *int   `url:"status_code,omitempty" json:"status_code,omitempty"`
}

// newWireEvent lays ev out as SMTP2GO sends it, with id as the notification
// ID. The event field is ev.Type (RawType is not sent).
func newWireEvent(ev *webhook.Event, id string) wireEvent {
	w := wireEvent{
		Event:           string(ev.Type),
		ID:              id,
		Time:            formatTime(ev.Time, layoutTime),
		SendTime:        formatTime(ev.SendTime, layoutSendTime),
		EmailID:         ev.EmailID,
		MessageID:       ev.MessageID,
		MessageIDHeader: ev.MessageID,
		Subject:         ev.Subject,
		SubjectHeader:   ev.Subject,
		Sender:          ev.Sender,
		From:            ev.From,
		FromAddress:     ev.FromAddress,
		FromName:        ev.FromName,
		Rcpt:            ev.Rcpt,
		Recipients:      ev.Recipients,
		Auth:            ev.Auth,
		Host:            ev.Host,
		Message:         ev.Message,
		Context:         ev.Context,
		Bounce:          string(ev.Bounce),
		SrcHost:         ev.SrcHost,
		UserAgent:       ev.UserAgent,
		ReadSecs:        ev.ReadSecs,
		Client:          ev.Client,
		ClientDevice:    ev.ClientDevice,
		ClientOS:        ev.ClientOS,
		GeoIPContinent:  ev.GeoIPContinent,
		GeoIPCountry:    ev.GeoIPCountry,
		GeoIPCity:       ev.GeoIPCity,
		URL:             ev.URL,
		OpenedAt:        formatTime(ev.OpenedAt, layoutTime),
		ClickedAt:       formatTime(ev.ClickedAt, layoutTime),
	}
	if sms := ev.SMS; sms != nil {
		retries, status := sms.RetryCount, sms.StatusCode
		w.DestinationNumber = sms.DestinationNumber
		w.SourceNumber = sms.SourceNumber
		w.SenderEmail = sms.SenderEmail
		w.EmailSubject = sms.EmailSubject
		w.MessageContent = sms.MessageContent
		w.SMSMessageID = sms.MessageID
		w.ReceivedTimestamp = formatTime(sms.ReceivedTimestamp, layoutSendTime)
		w.SubmittedTimestamp = formatTime(sms.SubmittedTimestamp, layoutSendTime)
		w.Region = sms.Region
		w.RetryCount, w.StatusCode = &retries, &status
	}
	return w
}

func formatTime(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(layout)
}

// encoding is how a notification's body is made.
type encoding struct {
	format      string            // "form" (also for "") or "json"
	headers     []string          // custom header names the webhook asks for
	unavailable string            // the value of a custom header the event does not carry; "" leaves it out
	fields      map[string]string // overrides and additions by wire name, as DeliverConfig.Fields
}

// encodeEvent encodes the body of one notification of ev with the given ID
// and returns it with its Content-Type.
//
// Besides the wire fields, the body carries each custom header named in
// enc.headers, as a top-level key spelt like the name, with its value from
// ev.Fields (matched case-insensitively); a header the event does not carry
// gets enc.unavailable, or is left out when that is "". Subject and
// Message-Id are default headers and never added twice. Then every key of
// ev.Fields the body does not hold yet is added as is, so that a parsed
// event is sent again with its odd fields, and a test can send fields no
// struct field covers. Last, enc.fields replace the fields of their names,
// or are added; an empty value leaves its field out.
func encodeEvent(ev *webhook.Event, id string, enc encoding) (contentType string, body []byte, err error) {
	w := newWireEvent(ev, id)
	added := url.Values{} // enc.fields that are not wire fields
	for name, v := range enc.fields {
		found, err := w.override(name, v)
		if err != nil {
			return "", nil, err
		}
		if !found && v != "" {
			added.Set(name, v)
		}
	}
	form, err := query.Values(w)
	if err != nil {
		return "", nil, fmt.Errorf("encoding the event: %w", err)
	}
	extra := url.Values{}
	var headers []string // custom header names added, for case-insensitive matching
	for _, name := range enc.headers {
		if name == "" || strings.EqualFold(name, "Subject") || strings.EqualFold(name, "Message-Id") ||
			slices.ContainsFunc(headers, func(a string) bool { return strings.EqualFold(a, name) }) {
			continue
		}
		v, ok := lookupField(ev, name)
		if !ok {
			if enc.unavailable == "" {
				continue
			}
			v = enc.unavailable
		}
		extra.Set(name, v)
		headers = append(headers, name)
	}
	for k, vs := range ev.Fields {
		if _, ok := form[k]; ok {
			continue
		}
		if slices.ContainsFunc(headers, func(a string) bool { return strings.EqualFold(a, k) }) {
			continue
		}
		extra[k] = slices.Clone(vs)
	}
	for k := range extra {
		if _, ok := lookupFold(enc.fields, k); ok {
			delete(extra, k)
		}
	}
	for k, vs := range added {
		extra[k] = vs
	}

	switch enc.format {
	case "", formatForm:
		for k, vs := range extra {
			form[k] = vs
		}
		return contentTypeForm, []byte(form.Encode()), nil
	case formatJSON:
		body, err := encodeJSON(w, extra)
		return contentTypeJSON, body, err
	}
	return "", nil, fmt.Errorf("unknown output format %q (want form or json)", enc.format)
}

// override sets every field of w whose name on the wire (in form or JSON
// bodies, in any case) is name, and reports whether there was one. An empty
// value leaves the field out of the body.
func (w *wireEvent) override(name, value string) (found bool, err error) {
	v := reflect.ValueOf(w).Elem()
	for i := range v.NumField() {
		tag := v.Type().Field(i).Tag
		formName, _, _ := strings.Cut(tag.Get("url"), ",")
		jsonName, _, _ := strings.Cut(tag.Get("json"), ",")
		if !strings.EqualFold(formName, name) && !strings.EqualFold(jsonName, name) {
			continue
		}
		found = true
		if err := setFromString(v.Field(i), value); err != nil {
			return true, fmt.Errorf("field %s: %w", name, err)
		}
	}
	return found, nil
}

// setFromString sets f, a field of wireEvent, to s: a list from its
// comma-separated elements, a number from its digits.
func setFromString(f reflect.Value, s string) error {
	if s == "" {
		f.SetZero()
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Slice:
		f.Set(reflect.ValueOf(strings.Split(s, ",")))
	case reflect.Int, reflect.Pointer:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", s)
		}
		if f.Kind() == reflect.Pointer {
			f.Set(reflect.ValueOf(&n))
		} else {
			f.SetInt(int64(n))
		}
	}
	return nil
}

// lookupFold returns the value of the key of m that equals name in any case.
func lookupFold(m map[string]string, name string) (string, bool) {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// lookupField returns the first value of the top-level field name of ev,
// matched as [webhook.Event.Header] does, and whether there is one.
func lookupField(ev *webhook.Event, name string) (string, bool) {
	for k := range ev.Fields {
		if strings.EqualFold(k, name) {
			return ev.Header(name), true
		}
	}
	return "", false
}

// encodeJSON encodes w as one JSON object in the struct's order, followed by
// extra in key order: a key with one value as a string, with several (or
// none) as an array. HTML characters are left unescaped, as in "<…>" of
// Message-IDs.
func encodeJSON(w wireEvent, extra url.Values) ([]byte, error) {
	out, err := appendJSON(nil, w)
	if err != nil {
		return nil, err
	}
	if len(extra) == 0 {
		return out, nil
	}
	out = out[:len(out)-1] // reopen the object: drop its "}"
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var v any = extra[k]
		switch vs := extra[k]; len(vs) {
		case 0:
			v = []string{}
		case 1:
			v = vs[0]
		}
		out = append(out, ',')
		if out, err = appendJSON(out, k); err != nil {
			return nil, err
		}
		out = append(out, ':')
		if out, err = appendJSON(out, v); err != nil {
			return nil, err
		}
	}
	return append(out, '}'), nil
}

// appendJSON appends the JSON encoding of v, without escaping HTML
// characters, to dst.
func appendJSON(dst []byte, v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding the event: %w", err)
	}
	return append(dst, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...), nil
}
