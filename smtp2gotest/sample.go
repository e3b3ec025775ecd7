package smtp2gotest

import (
	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
	"github.com/relaykit/smtp2go/webhook"
)

// SampleEvent returns a realistic event of type t, as SMTP2GO would deliver
// it: for the email events (EventProcessed … EventReject) the fields each
// event carries, such as Recipients and SrcHost on processed, Rcpt, Host,
// Message and Context on delivered, the opener's client and location on open
// and click, a hard bounce with its 550 reply on bounce; for the SMS events
// (EventSMSSending … EventSMSRejected) [webhook.SMSDetails]. Every sample is
// about the same email, sent by "smtp-user@example.com" (its Auth), with
// addresses under example.com, .org and .net, IP addresses from the
// documentation ranges and fixed times, so that tests are deterministic.
//
// Any other type gives an event with only that Type (and empty Fields). The
// ID is never set: it identifies one notification, and [Server.Emit] and
// [Deliver] give each a fresh one unless it is set. Fields is empty, not nil:
// set a custom header there, as ev.Fields.Set("X-Customer-Id", "C-42"), and
// a webhook whose headers list names it gets it as a top-level field spelt
// like the header, where SMTP2GO puts it. Each call returns new maps, slices
// and pointers, free to change.
func SampleEvent(t smtp2go.EventType) webhook.Event { return fakesmtp2go.SampleEvent(t) }
