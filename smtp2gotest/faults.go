package smtp2gotest

import (
	"time"

	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
)

// Fault is a failure a [Server] plays instead of, or on top of, its normal
// answer. Queue one with [Server.Fail]. The zero Fault answers normally.
//
// What a fault does, in order: wait Delay; then drop the connection if
// DropBeforeProcessing; otherwise, if it answers (Status, Body or EmptyBody
// set) and AfterProcessing is false, answer that without processing the
// request; otherwise process the request for real and then drop the
// connection (DropAfterProcessing), answer the fault (AfterProcessing) or
// answer the real result. RetryAfter is added to whatever is answered.
type Fault struct {
	// Status is the status to answer, with an SMTP2GO-shaped error body
	// unless Body or EmptyBody is set. With only Body or EmptyBody set it
	// defaults to 200 (a success with a broken body).
	Status int
	// RetryAfter is the value of a Retry-After header to send, such as "2"
	// with Status 429. SMTP2GO documents none; proxies do send it.
	RetryAfter string
	// Body is a raw body to answer instead of SMTP2GO's JSON: an HTML error
	// page from a proxy, malformed JSON…
	Body string
	// ContentType is the Content-Type of Body or of an empty body. It
	// defaults to what Body looks like (text/html for "<html>…").
	ContentType string
	// EmptyBody answers Status with no body at all.
	EmptyBody bool
	// AfterProcessing, with Status, Body or EmptyBody, processes the request
	// for real before answering the fault: the webhook IS created, edited or
	// removed, and the client sees only a failure, such as a 503.
	AfterProcessing bool
	// Delay waits this long before doing anything else, to hang past a
	// client's timeout. The wait ends early, and the connection is dropped,
	// when the client goes away or the server is closed.
	Delay time.Duration
	// DropAfterProcessing processes the request for real (the webhook IS
	// created), then closes the connection without answering: the case that
	// makes a naively retried add create a duplicate.
	DropAfterProcessing bool
	// DropBeforeProcessing closes the connection without processing the
	// request or answering.
	DropBeforeProcessing bool
	// Times is how many requests the fault applies to; 0 means 1.
	Times int
}

// Fail queues f for endpoint, such as "webhook/add" ("" or "*": any
// endpoint; a leading "/" or "/v3/" is ignored). Each request takes the
// oldest queued fault that matches its endpoint, and a fault stays queued for
// f.Times requests. Faults are taken when a request arrives, before it is
// authenticated or routed. Fail is safe to call while requests are served.
func (s *Server) Fail(endpoint string, f Fault) { s.fake.Fail(endpoint, fakesmtp2go.Fault(f)) }

// ClearFaults removes every queued fault.
func (s *Server) ClearFaults() { s.fake.ClearFaults() }
