package fakesmtp2go

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// redacted replaces API keys in recorded requests.
const redacted = "[redacted]"

// Request is one request the fake received, as [Fake.Requests] reports it
// and smtp2gotest.Request documents it.
type Request struct {
	Endpoint string      // the path after /v3/, such as "webhook/add"; the whole path if it is not under /v3/
	Method   string      // the HTTP method, such as "POST"
	Header   http.Header // the request headers; API keys in X-Smtp2go-Api-Key and Authorization read "[redacted]"
	Body     []byte      // the body as received (up to the 1 MB limit), with every api_key value, and the server's key anywhere, read "[redacted]"
	Status   int         // the status answered; 0 while in flight, and for a dropped or abandoned request
	Time     time.Time   // when the request arrived
	Fault    *Fault      // the fault applied to it, or nil
	Path     string      // the URL path requested, for logs
}

// clone returns a deep copy of r.
func (r Request) clone() Request {
	r.Header = r.Header.Clone()
	r.Body = bytes.Clone(r.Body)
	if r.Fault != nil {
		f := *r.Fault
		r.Fault = &f
	}
	return r
}

// redactHeader returns a copy of h without the API key: the values of
// X-Smtp2go-Api-Key become "[redacted]", and Authorization keeps only its
// scheme ("Bearer [redacted]").
func redactHeader(h http.Header) http.Header {
	h = h.Clone()
	if h == nil {
		h = http.Header{}
	}
	for i := range h.Values(apiKeyHeader) {
		h[http.CanonicalHeaderKey(apiKeyHeader)][i] = redacted
	}
	for i, v := range h.Values("Authorization") {
		scheme, _, hasCredentials := strings.Cut(v, " ")
		if hasCredentials {
			v = scheme + " " + redacted
		} else {
			v = redacted
		}
		h["Authorization"][i] = v
	}
	return h
}

// apiKeyMember matches an "api_key" member of a JSON body, whether or not the
// rest of the body parses.
var apiKeyMember = regexp.MustCompile(`("api_key"\s*:\s*)"(?:[^"\\]|\\.)*"`)

// redactBody hides every api_key member of body, and the server's own key
// wherever else it appears.
func redactBody(body []byte, key string) []byte {
	out := apiKeyMember.ReplaceAll(body, []byte(`${1}"`+redacted+`"`))
	if key != "" {
		out = bytes.ReplaceAll(out, []byte(key), []byte(redacted))
	}
	return out
}
