package smtp2gotest

import (
	"net/http"
	"time"
)

// Request is one request a [Server] received, as [Server.Requests] reports it.
type Request struct {
	Endpoint string      // the path after /v3/, such as "webhook/add"; the whole path if it is not under /v3/
	Method   string      // the HTTP method, such as "POST"
	Header   http.Header // the request headers; API keys in X-Smtp2go-Api-Key and Authorization read "[redacted]"
	Body     []byte      // the body as received (up to the 1 MB limit), with every api_key value, and the server's key anywhere, read "[redacted]"
	Status   int         // the status answered; 0 while in flight, and for a dropped or abandoned request
	Time     time.Time   // when the request arrived
	Fault    *Fault      // the fault applied to it, or nil
}

// Requests returns a copy of every request received so far, in arrival
// order, faulted and rejected ones included.
func (s *Server) Requests() []Request {
	recorded := s.fake.Requests() // copies
	out := make([]Request, len(recorded))
	for i, r := range recorded {
		out[i] = Request{Endpoint: r.Endpoint, Method: r.Method, Header: r.Header, Body: r.Body, Status: r.Status, Time: r.Time}
		if r.Fault != nil {
			f := Fault(*r.Fault)
			out[i].Fault = &f
		}
	}
	return out
}
