package fakesmtp2go

import (
	"net/http"
	"time"
)

// Fault is a failure the fake plays instead of, or on top of, its normal
// answer: smtp2gotest.Fault documents each field. smtp2gotest converts its
// Fault to this one, so the compiler keeps the two identical.
type Fault struct {
	Status               int           // the status to answer
	RetryAfter           string        // a Retry-After header to add
	Body                 string        // a raw body to answer
	ContentType          string        // the Content-Type of Body or of an empty body
	EmptyBody            bool          // answer Status with no body
	AfterProcessing      bool          // process the request, then answer the fault
	Delay                time.Duration // wait this long first
	DropAfterProcessing  bool          // process the request, then drop the connection
	DropBeforeProcessing bool          // drop the connection at once
	Times                int           // how many requests it applies to; 0 means 1
}

// answers reports whether the fault replaces the answer.
func (f *Fault) answers() bool { return f.Status != 0 || f.Body != "" || f.EmptyBody }

// queuedFault is a fault waiting in a Fake's queue.
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
func (fk *Fake) Fail(endpoint string, f Fault) {
	n := max(f.Times, 1)
	fk.mu.Lock()
	defer fk.mu.Unlock()
	fk.faults = append(fk.faults, queuedFault{endpoint: normalizeEndpoint(endpoint), fault: f, left: n})
}

// ClearFaults removes every queued fault.
func (fk *Fake) ClearFaults() {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	fk.faults = nil
}

// takeFault dequeues one application of the oldest fault matching endpoint.
// It must be called with fk.mu held.
func (fk *Fake) takeFault(endpoint string) (*Fault, bool) {
	for i := range fk.faults {
		q := &fk.faults[i]
		if q.endpoint != "*" && q.endpoint != endpoint {
			continue
		}
		f := q.fault
		if q.left--; q.left <= 0 {
			fk.faults = append(fk.faults[:i], fk.faults[i+1:]...)
		}
		return &f, true
	}
	return nil, false
}

// faultResponse is the answer f replaces the real one with.
func (fk *Fake) faultResponse(f *Fault) response {
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
	res := fk.failure(&failure{status: status, code: code, message: text})
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
