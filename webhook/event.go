package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaykit/smtp2go"
)

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
	// may be an API key: treat it as a secret. String and LogValue leave it
	// out, and GoString (%#v) redacts it and the "auth" field; encoding/json,
	// a data path rather than a log, keeps both.
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

// DedupKey returns the key that identifies this event to a [Deduplicator]:
// the same on every redelivery, different for different events. It is the
// notification ID ("id") as sent, when that is at most 64 letters, digits,
// dots, hyphens or underscores (SMTP2GO's are 32 hex digits); otherwise "h:"
// and the SHA-256, in hex, of the ID. An event without an ID is keyed by "h:"
// and the SHA-256 of every field as received, in a canonical order (names
// sorted, each name's values in the order sent), so that two deliveries that
// differ in anything never share a key. Every key is thus at most 66 bytes
// of ASCII that any store can hold.
func (e *Event) DedupKey() string {
	if e == nil {
		return ""
	}
	if plainID(e.ID) {
		return e.ID
	}
	h := sha256.New()
	part := func(s string) {
		// Length-prefixed, so that no two different lists of parts hash alike.
		var n [20]byte
		h.Write(strconv.AppendInt(n[:0], int64(len(s)), 10))
		h.Write([]byte{':'})
		io.WriteString(h, s)
	}
	if e.ID != "" {
		part("id")
		part(e.ID)
	} else {
		part("fields")
		for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
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

// plainID reports whether id can be a key as it is: 1 to maxDirectIDLen
// letters, digits, dots, hyphens or underscores.
func plainID(id string) bool {
	if id == "" || len(id) > maxDirectIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// GoString is what %#v prints: the event in Go syntax, with Auth and the
// "auth" field redacted, since either may be an API key.
func (e Event) GoString() string {
	type plain Event // without methods: %#v of it does not call GoString again
	c := plain(e)
	if c.Auth != "" {
		c.Auth = redacted
	}
	for k := range e.Fields {
		if strings.EqualFold(k, fieldAuth) {
			if c.Fields = maps.Clone(c.Fields); len(e.Fields[k]) > 0 {
				c.Fields[k] = []string{redacted}
			}
		}
	}
	return strings.Replace(fmt.Sprintf("%#v", c), "webhook.plain", "webhook.Event", 1)
}

// redacted stands for a secret in printed events.
const redacted = "[redacted]"

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
