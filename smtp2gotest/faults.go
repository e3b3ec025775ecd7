package smtp2gotest

import (
	"net/http"
	"time"
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

// answers reports whether the fault replaces the answer.
func (f *Fault) answers() bool { return f.Status != 0 || f.Body != "" || f.EmptyBody }

// queuedFault is a fault waiting in a Server's queue.
type queuedFault struct {
	endpoint string // normalized; "*" for any
	fault    Fault
	left     int // requests it still applies to
}

// Fail queues f for endpoint, such as "webhook/add" ("" or "*": any
// endpoint; a leading "/" or "/v3/" is ignored). Each request takes the
// oldest queued fault that matches its endpoint, and a fault stays queued for
// f.Times requests. Faults are taken when a request arrives, before it is
// authenticated or routed. Fail is safe to call while requests are served.
func (s *Server) Fail(endpoint string, f Fault) {
	n := max(f.Times, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, queuedFault{endpoint: normalizeEndpoint(endpoint), fault: f, left: n})
}

// ClearFaults removes every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault dequeues one application of the oldest fault matching endpoint.
// It must be called with s.mu held.
func (s *Server) takeFault(endpoint string) (*Fault, bool) {
	for i := range s.faults {
		q := &s.faults[i]
		if q.endpoint != "*" && q.endpoint != endpoint {
			continue
		}
		f := q.fault
		if q.left--; q.left <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return &f, true
	}
	return nil, false
}

// faultResponse is the answer f replaces the real one with.
func (s *Server) faultResponse(f *Fault) response {
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case f.EmptyBody:
		res := response{status: status, header: http.Header{}}
		if f.ContentType != "" {
			res.header.Set("Content-Type", f.ContentType)
		}
		return res
	case f.Body != "":
		ct := f.ContentType
		if ct == "" {
			ct = http.DetectContentType([]byte(f.Body))
		}
		return response{status: status, header: http.Header{"Content-Type": {ct}}, body: []byte(f.Body)}
	}
	code := codeAPIException
	if status == http.StatusTooManyRequests {
		code = codeRateLimited
	}
	text := http.StatusText(status)
	if text == "" {
		text = "Error"
	}
	res := s.failure(&failure{status: status, code: code, message: text})
	if f.ContentType != "" {
		res.header.Set("Content-Type", f.ContentType)
	}
	return res
}

// drop closes the connection of w without answering.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2): abort the response, which resets the stream.
	panic(http.ErrAbortHandler)
}
