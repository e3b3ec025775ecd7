package riverqueue

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
// What JSON in PostgreSQL cannot hold, bytes that are not UTF-8 and NUL
// bytes (which form deliveries may carry), would be changed or refused, and
// encoding/json refuses a time beyond the year 9999. An event with any of
// them keeps it exactly all the same: "event" then shows such text with
// U+FFFD in place of those bytes and such times as zero, and decoding reads
// "exact_event", the event with every string in base64, and "exact_times",
// its times in binary.
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

// uniqueOpts is uniqueness by Key, within period if it is not zero, in
// every job state. A completed job is the event processed; a discarded one
// is the dead letter, to be retried with Client.JobRetry rather than
// replaced by a redelivery; a cancelled one was cancelled on purpose.
func uniqueOpts(period time.Duration) river.UniqueOpts {
	return river.UniqueOpts{
		ByArgs:   true,
		ByPeriod: period,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable,
			rivertype.JobStateCancelled,
			rivertype.JobStateCompleted,
			rivertype.JobStateDiscarded,
			rivertype.JobStatePending,
			rivertype.JobStateRetryable,
			rivertype.JobStateRunning,
			rivertype.JobStateScheduled,
		},
	}
}

// MarshalJSON writes the job's args, with "exact_event" beside "event" when
// the event holds what JSON in PostgreSQL cannot keep as it is. An empty Key
// is written as the event's DedupKey: River's uniqueness compares the key
// written, and events inserted by hand without one would otherwise all be
// one job.
func (a EventArgs) MarshalJSON() ([]byte, error) {
	if a.Key == "" {
		a.Key = a.Event.DedupKey()
	}
	type plain EventArgs // without methods: marshalling it does not recurse
	raw, err := json.Marshal(plain(a))
	// encoding/json writes a byte that is not UTF-8 as the escape \ufffd
	// (a U+FFFD that was sent stays a raw character) and NUL as \u0000:
	// without either, the text is exact. A backslash sent before "ufffd"
	// also matches, which costs only the longer form. It refuses a time
	// beyond the year 9999 (a far offset on the last day, say).
	if err == nil && !bytes.Contains(raw, []byte(`\ufffd`)) && !bytes.Contains(raw, []byte(`\u0000`)) {
		return raw, nil
	}
	ev := reflect.ValueOf(a.Event)
	x := exactArgs{Key: a.Key}
	x.Event = mapValues(ev, printable, func(t time.Time) time.Time {
		if t.Year() < 0 || t.Year() > 9999 {
			return time.Time{}
		}
		return t
	}).Interface().(webhook.Event)
	var terr error
	exact := mapValues(ev, encodeBase64, func(t time.Time) time.Time {
		b, err := t.MarshalBinary()
		terr = errors.Join(terr, err)
		x.Times = append(x.Times, b)
		return time.Time{}
	}).Interface().(webhook.Event)
	if terr != nil {
		return nil, terr
	}
	x.Exact = &exact
	return json.Marshal(x)
}

// UnmarshalJSON reads what MarshalJSON writes, taking the event from
// "exact_event" and "exact_times" when they are there.
func (a *EventArgs) UnmarshalJSON(data []byte) error {
	var x exactArgs
	if err := json.Unmarshal(data, &x); err != nil {
		return err
	}
	a.Key, a.Event = x.Key, x.Event
	if x.Exact == nil {
		return nil
	}
	var errs []error
	next := 0
	a.Event = mapValues(reflect.ValueOf(*x.Exact), func(s string) string {
		b, err := base64.StdEncoding.DecodeString(s)
		errs = append(errs, err)
		return string(b)
	}, func(time.Time) time.Time {
		var t time.Time
		if next < len(x.Times) {
			errs = append(errs, t.UnmarshalBinary(x.Times[next]))
		} else {
			errs = append(errs, errors.New("exact_times has too few times"))
		}
		next++
		return t
	}).Interface().(webhook.Event)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("riverqueue: exact_event: %w", err)
	}
	return nil
}

// exactArgs is the JSON of EventArgs, with the exact copy of the event: its
// strings in base64, and its times, in the order mapValues meets them, in
// time.Time's binary form (which holds any year).
type exactArgs struct {
	Key   string         `json:"key"`
	Event webhook.Event  `json:"event"`
	Exact *webhook.Event `json:"exact_event,omitempty"`
	Times [][]byte       `json:"exact_times,omitempty"`
}

// printable is s with every byte that is not UTF-8, and every NUL, as U+FFFD.
func printable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func encodeBase64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// mapValues returns a deep copy of v with f applied to every string in it,
// map keys included, and ft to every time, in the order of the fields.
func mapValues(v reflect.Value, f func(string) string, ft func(time.Time) time.Time) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.String:
		out.SetString(f(v.String()))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			out.Set(reflect.ValueOf(ft(v.Interface().(time.Time))))
			break
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out.Field(i).Set(mapValues(v.Field(i), f, ft))
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			out.Set(reflect.New(v.Type().Elem()))
			out.Elem().Set(mapValues(v.Elem(), f, ft))
		}
	case reflect.Slice:
		if !v.IsNil() {
			out.Set(reflect.MakeSlice(v.Type(), v.Len(), v.Len()))
			for i := range v.Len() {
				out.Index(i).Set(mapValues(v.Index(i), f, ft))
			}
		}
	case reflect.Map:
		if !v.IsNil() {
			out.Set(reflect.MakeMapWithSize(v.Type(), v.Len()))
			for it := v.MapRange(); it.Next(); {
				out.SetMapIndex(mapValues(it.Key(), f, ft), mapValues(it.Value(), f, ft))
			}
		}
	default:
		out.Set(v)
	}
	return out
}
