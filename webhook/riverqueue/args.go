package riverqueue

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/relaykit/smtp2go/webhook"
)

// Kind is the River job kind of [EventArgs].
const Kind = "smtp2go_webhook_event"

// RedeliveryWindow is how long SMTP2GO goes on delivering an event that was
// not answered 2xx: about 35 attempts over 48 hours. A repeat can come at
// any time within it, so River must keep finished jobs at least this long
// for their uniqueness to hold (see the package documentation).
const RedeliveryWindow = 48 * time.Hour

// EventArgs is the job one event becomes. Kind() is "smtp2go_webhook_event".
//
// Its JSON is the event's key under "key" and the event as encoding/json
// writes a [webhook.Event] (field names as in Go, times in RFC 3339 with
// nanoseconds, Fields as received) under "event", which the River UI shows
// as it is. Auth and the "auth" field are in it, as in any store of events:
// treat the job table as holding secrets.
//
// Text that JSON in PostgreSQL cannot hold, bytes that are not UTF-8 and NUL
// bytes (which form deliveries may carry), would be changed or refused. An
// event with such text keeps it exactly all the same: "event" then shows it
// with U+FFFD in place of those bytes, and "exact_event" holds the event
// with every string in base64, which is what decoding reads.
type EventArgs struct {
	Key   string        `json:"key" river:"unique"` // the event's DedupKey: what River's uniqueness compares
	Event webhook.Event `json:"event"`
}

// Kind is the job kind River stores and routes by: "smtp2go_webhook_event".
func (EventArgs) Kind() string { return Kind }

// InsertOpts makes every insert of EventArgs unique by Key, whether it goes
// through [Enqueue] or straight to a River client (re-driving an event by
// hand, say): River then inserts a second job for an event only once the
// first has been deleted.
func (EventArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueOpts(0)}
}

// uniqueStates are the job states in which a job blocks another of the same
// key: every state. A completed job is the event processed; a discarded one
// is the dead letter, to be retried with Client.JobRetry rather than
// replaced by a redelivery; a cancelled one was cancelled on purpose.
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStateCancelled,
	rivertype.JobStateCompleted,
	rivertype.JobStateDiscarded,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// uniqueOpts is uniqueness by Key in every state, within period if it is
// not zero.
func uniqueOpts(period time.Duration) river.UniqueOpts {
	return river.UniqueOpts{
		ByArgs:   true,
		ByPeriod: period,
		ByState:  append([]rivertype.JobState(nil), uniqueStates...),
	}
}

// MarshalJSON writes the job's args, with "exact_event" beside "event" when
// the event holds text that JSON in PostgreSQL cannot keep as it is.
func (a EventArgs) MarshalJSON() ([]byte, error) {
	type plain EventArgs // without methods: marshalling it does not recurse
	raw, err := json.Marshal(plain(a))
	// encoding/json writes a byte that is not UTF-8 as the escape \ufffd
	// (a U+FFFD that was sent stays a raw character) and NUL as \u0000:
	// without either, the text is exact. A backslash sent before "ufffd"
	// also matches, which costs only the longer form.
	if err != nil || !bytes.Contains(raw, []byte(`\ufffd`)) && !bytes.Contains(raw, []byte(`\u0000`)) {
		return raw, err
	}
	return json.Marshal(exactArgs{
		Key:   a.Key,
		Event: mapStrings(reflect.ValueOf(a.Event), printable).Interface().(webhook.Event),
		Exact: ptr(mapStrings(reflect.ValueOf(a.Event), encodeBase64).Interface().(webhook.Event)),
	})
}

// UnmarshalJSON reads what MarshalJSON writes, taking the event from
// "exact_event" when it is there.
func (a *EventArgs) UnmarshalJSON(data []byte) error {
	var x exactArgs
	if err := json.Unmarshal(data, &x); err != nil {
		return err
	}
	a.Key, a.Event = x.Key, x.Event
	if x.Exact != nil {
		var bad bool
		a.Event = mapStrings(reflect.ValueOf(*x.Exact), func(s string) string {
			b, err := base64.StdEncoding.DecodeString(s)
			bad = bad || err != nil
			return string(b)
		}).Interface().(webhook.Event)
		if bad {
			return errors.New("riverqueue: exact_event holds a string that is not base64")
		}
	}
	return nil
}

// exactArgs is the JSON of EventArgs, with the exact copy of the event.
type exactArgs struct {
	Key   string         `json:"key"`
	Event webhook.Event  `json:"event"`
	Exact *webhook.Event `json:"exact_event,omitempty"`
}

func ptr[T any](v T) *T { return &v }

// printable is s with every byte that is not UTF-8, and every NUL, as U+FFFD.
func printable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func encodeBase64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// mapStrings returns a deep copy of v with f applied to every string in it,
// map keys included. Times are kept as they are: their text is not theirs.
func mapStrings(v reflect.Value, f func(string) string) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.String:
		out.SetString(f(v.String()))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return v
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out.Field(i).Set(mapStrings(v.Field(i), f))
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			out.Set(reflect.New(v.Type().Elem()))
			out.Elem().Set(mapStrings(v.Elem(), f))
		}
	case reflect.Slice:
		if !v.IsNil() {
			out.Set(reflect.MakeSlice(v.Type(), v.Len(), v.Len()))
			for i := range v.Len() {
				out.Index(i).Set(mapStrings(v.Index(i), f))
			}
		}
	case reflect.Map:
		if !v.IsNil() {
			out.Set(reflect.MakeMapWithSize(v.Type(), v.Len()))
			for it := v.MapRange(); it.Next(); {
				out.SetMapIndex(mapStrings(it.Key(), f), mapStrings(it.Value(), f))
			}
		}
	default:
		out.Set(v)
	}
	return out
}
