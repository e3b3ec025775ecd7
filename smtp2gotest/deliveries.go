package smtp2gotest

import (
	"context"
	"time"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
	"github.com/relaykit/smtp2go/webhook"
)

// Delivery is one attempt at delivering an event to a webhook's URL, as
// [Server.Emit], [Server.Deliveries] and [Deliver] report it.
type Delivery struct {
	WebhookID int64                // the webhook's ID; 0 for Deliver
	URL       string               // the target URL, its password and query values redacted (see smtp2go.RedactURL)
	EventID   string               // the notification ID sent in the "id" field, the same on every redelivery
	Type      smtp2go.EventType    // the event delivered
	Format    smtp2go.OutputFormat // the body's encoding: OutputForm or OutputJSON
	Attempt   int                  // 1 for the first delivery, 2 for the first redelivery…
	Status    int                  // the HTTP status answered; 0 when there was no response
	Err       error                // the transport error or timeout; nil when a response came, even a non-2xx one
	Latency   time.Duration        // from sending to the response headers, or to the failure
	Time      time.Time            // when the attempt started
}

// OK reports whether the receiver acknowledged the delivery with a 2xx
// status, which is what stops SMTP2GO's redeliveries.
func (d Delivery) OK() bool { return d.Status >= 200 && d.Status <= 299 }

// Emit delivers ev, as SMTP2GO would, to every webhook of the main account
// that subscribes to it, and waits: it returns only when each delivery has
// succeeded or has run out of redeliveries ([WithRedeliverySchedule]), so a
// receiver that keeps failing makes it wait through the whole schedule. With
// no webhook subscribed to ev it delivers nothing and returns no Delivery
// and no error: check the result's length when a delivery is expected.
// [Server.EmitSubaccount] says the rest.
func (s *Server) Emit(ctx context.Context, ev webhook.Event) ([]Delivery, error) {
	return s.EmitSubaccount(ctx, "", ev)
}

// EmitSubaccount delivers ev, as SMTP2GO would, to every webhook of the
// subaccount whose subaccount_id is subaccountID (the main account for "")
// that subscribes to it: an email event when ev.Type is in the webhook's
// events, an SMS event (EventSMSDelivered…) when its short name (SMSDelivered…)
// is in the webhook's sms_events; and, when the webhook's usernames list is
// not empty, only if ev.Auth is in it.
//
// Each webhook gets one POST (never a batch) in its output_format, with the
// Authorization header its auth_header_type and auth_header_value make (or
// Basic auth from user:password@ in its URL), the custom headers it asks for
// that ev carries (in ev.Fields), and a fresh 32-hex-digit id, kept on the
// webhook's redeliveries; if ev.ID is set, it is the id for every webhook.
// Keys of ev.Fields that the typed fields do not produce are sent too.
//
// A non-2xx answer, a transport error or no response headers within the
// delivery timeout ([WithDeliveryTimeout]) is a failure, and the delivery is
// made again after each wait of the redelivery schedule
// ([WithRedeliverySchedule]) until it succeeds or the schedule runs out.
// Webhooks are delivered concurrently; EmitSubaccount returns when each
// delivery succeeded or ran out of attempts, with the last attempt of each,
// in webhook ID order ([Server.Deliveries] has them all). No subscriber means
// no delivery and no error.
//
// It returns an error only for an event without a Type, or when ctx is done
// or the server is closed before the deliveries end: then the deliveries
// still running are abandoned, and the error is ctx's (or wraps
// http.ErrServerClosed) beside the last attempts made so far.
func (s *Server) EmitSubaccount(ctx context.Context, subaccountID string, ev webhook.Event) ([]Delivery, error) {
	ds, err := s.fake.Emit(ctx, subaccountID, ev)
	return deliveries(ds), err
}

// Deliveries returns a copy of every delivery attempt made by [Server.Emit]
// and [Server.EmitSubaccount] so far, in the order they finished:
// redeliveries included, and attempts cut short by a cancelled context or
// Close.
func (s *Server) Deliveries() []Delivery { return deliveries(s.fake.Deliveries()) }

func deliveries(ds []fakesmtp2go.Delivery) []Delivery {
	if ds == nil {
		return nil
	}
	out := make([]Delivery, len(ds))
	for i, d := range ds {
		out[i] = Delivery(d)
	}
	return out
}
