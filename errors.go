package smtp2go

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. An [*APIError] matches the one for its status code with
// [errors.Is]; validation failures wrap ErrInvalidRequest.
var (
	ErrBadRequest     = errors.New("smtp2go: bad request")     // 400
	ErrUnauthorized   = errors.New("smtp2go: unauthorized")    // 401
	ErrRequestFailed  = errors.New("smtp2go: request failed")  // 402
	ErrForbidden      = errors.New("smtp2go: forbidden")       // 403, or code E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED with any status
	ErrNotFound       = errors.New("smtp2go: not found")       // 404, or Get or Edit of an ID that does not exist
	ErrRateLimited    = errors.New("smtp2go: rate limited")    // 429
	ErrServer         = errors.New("smtp2go: server error")    // 5xx
	ErrInvalidRequest = errors.New("smtp2go: invalid request") // rejected before sending
)

// codePermissionDenied is the error code SMTP2GO returns when the API key may
// not use an endpoint. SMTP2GO has sent it with status 400 as well as 403.
const codePermissionDenied = "E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED"

// APIError is returned for every non-2xx response, and for a 2xx response whose
// body could not be decoded. It carries what SMTP2GO said and how many attempts
// were made. None of its strings holds the API key or a secret of the request
// (an auth value, a URL password or query value, a username that is an API
// key): they are scrubbed when the error is made.
type APIError struct {
	Endpoint    string        // the endpoint called, such as "webhook/add"
	StatusCode  int           // the HTTP status of the last response
	RequestID   string        // SMTP2GO's request_id, when the body had one
	Code        string        // SMTP2GO's error_code, such as "E_ApiResponseCodes.INVALID_IN_PAYLOAD"
	Message     string        // SMTP2GO's error text
	FieldErrors []FieldError  // SMTP2GO's field_validation_errors
	Attempts    int           // requests made, retries included
	RetryAfter  time.Duration // the Retry-After of the last response, if any
	Body        string        // a short, printable excerpt of the last body, for error bodies that are not SMTP2GO's JSON; never of a 2xx body
	decodeErr   error         // why a 2xx body could not be decoded
}

// FieldError is one entry of SMTP2GO's field_validation_errors.
type FieldError struct {
	Field   string `json:"fieldname"` // the API's name for the field, such as "url"
	Message string `json:"message"`   // what SMTP2GO says is wrong with it
}

// Error returns one line: endpoint, status, code, message, field errors and
// request ID.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("smtp2go: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint + ": ")
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	switch {
	case e.Message != "":
		b.WriteString(": " + e.Message)
	case e.decodeErr != nil:
		b.WriteString(": undecodable body: " + e.decodeErr.Error())
	}
	for _, f := range e.FieldErrors {
		fmt.Fprintf(&b, " [%s: %s]", f.Field, f.Message)
	}
	if e.Message == "" && len(e.FieldErrors) == 0 && e.Body != "" {
		fmt.Fprintf(&b, " (body: %q)", e.Body)
	}
	if e.RequestID != "" {
		b.WriteString(" (request_id " + e.RequestID + ")")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

// Is makes errors.Is match the sentinel of the status code, and ErrForbidden
// for SMTP2GO's permission-denied code whatever the status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden || e.Code == codePermissionDenied
	case ErrServer:
		return e.StatusCode >= 500
	}
	return target == statusSentinels[e.StatusCode]
}

// Unwrap returns why a 2xx body could not be decoded, if that was the failure.
func (e *APIError) Unwrap() error { return e.decodeErr }

// statusSentinels are the sentinels of the 4xx statuses that have one.
var statusSentinels = map[int]error{
	http.StatusBadRequest:      ErrBadRequest,
	http.StatusUnauthorized:    ErrUnauthorized,
	http.StatusPaymentRequired: ErrRequestFailed,
	http.StatusForbidden:       ErrForbidden,
	http.StatusNotFound:        ErrNotFound,
	http.StatusTooManyRequests: ErrRateLimited,
}

// newAPIError builds the error for a non-2xx response. body is the whole
// body read; no secret in secrets appears in the error.
func newAPIError(endpoint string, status int, body []byte, secrets []string) *APIError {
	e := &APIError{Endpoint: endpoint, StatusCode: status}
	// Each member on its own, so that an odd one (field_validation_errors
	// as a string, say) does not lose the others.
	var env map[string]json.RawMessage
	if json.Unmarshal(body, &env) != nil {
		e.Body = excerpt(body, secrets)
		return e
	}
	_ = json.Unmarshal(env["request_id"], &e.RequestID)
	fields := readErrorFields(env)
	var data map[string]json.RawMessage
	if json.Unmarshal(env["data"], &data) == nil {
		// SMTP2GO nests errors under data; its response-codes page does not.
		if nested := readErrorFields(data); nested.Error != "" || nested.Code != "" || len(nested.FieldErrors) > 0 {
			fields = nested
		}
	}
	// Every string is SMTP2GO's, and may echo what it was sent.
	e.RequestID = scrub(e.RequestID, secrets)
	e.Code = scrub(fields.Code, secrets)
	e.Message = scrub(fields.Error, secrets)
	e.FieldErrors = fields.FieldErrors
	for i := range e.FieldErrors {
		e.FieldErrors[i].Field = scrub(e.FieldErrors[i].Field, secrets)
		e.FieldErrors[i].Message = scrub(e.FieldErrors[i].Message, secrets)
	}
	if e.Message == "" && e.Code == "" && len(e.FieldErrors) == 0 {
		e.Body = excerpt(body, secrets)
	}
	return e
}

// readErrorFields reads the error members of an object, each on its own; one
// that does not decode is left empty.
func readErrorFields(obj map[string]json.RawMessage) errorFields {
	var f errorFields
	_ = json.Unmarshal(obj["error"], &f.Error)
	_ = json.Unmarshal(obj["error_code"], &f.Code)
	_ = json.Unmarshal(obj["field_validation_errors"], &f.FieldErrors)
	return f
}

// errorFields are the error members of SMTP2GO's error bodies.
type errorFields struct {
	Error       string
	Code        string
	FieldErrors fieldErrors
}

// fieldErrors accepts field_validation_errors as one object, an array of
// objects, or a map from field name to an object or a message.
type fieldErrors []FieldError

func (f *fieldErrors) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '[' {
		var list []FieldError
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*f = list
		return nil
	}
	var one FieldError
	if err := json.Unmarshal(b, &one); err == nil && (one.Field != "" || one.Message != "") {
		*f = fieldErrors{one}
		return nil
	}
	var byName map[string]json.RawMessage
	if err := json.Unmarshal(b, &byName); err != nil {
		return err
	}
	for name, v := range byName {
		fe := FieldError{Field: name}
		if json.Unmarshal(v, &fe.Message) != nil {
			var obj FieldError
			if json.Unmarshal(v, &obj) == nil {
				fe.Message = obj.Message
			}
		}
		*f = append(*f, fe)
	}
	slices.SortFunc(*f, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	return nil
}

// ValidationError reports a request the SDK refused to send because a field
// is invalid. It wraps [ErrInvalidRequest].
type ValidationError struct {
	Field   string // the API's name for the field, such as "events[1]" or "url"
	Problem string // what is wrong with it
}

// Error names the field and the problem.
func (e *ValidationError) Error() string {
	return "smtp2go: invalid request: " + e.Field + ": " + e.Problem
}

// Unwrap returns ErrInvalidRequest.
func (e *ValidationError) Unwrap() error { return ErrInvalidRequest }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// NotFoundError is returned by Get and Edit when the account has no webhook
// with the ID asked for. It matches [ErrNotFound]. (A 404 from the API is an
// [*APIError] instead.)
type NotFoundError struct {
	ID        int64  // the webhook ID looked for
	RequestID string // request_id of the webhook/view call that showed it missing
}

// Error names the ID and the listing's request ID.
func (e *NotFoundError) Error() string {
	s := fmt.Sprintf("smtp2go: no webhook with id %d", e.ID)
	if e.RequestID != "" {
		s += " (request_id " + e.RequestID + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// NetworkError is returned when no HTTP response was received after every
// attempt: connection refused, DNS failure, timeout, reset, or the context
// ending while an attempt was under way; and when the last response was a
// 2xx whose body could not be read whole (cut off, or larger than the SDK
// reads). It unwraps to the last transport or read error, so
// errors.Is(err, context.DeadlineExceeded) works.
type NetworkError struct {
	Endpoint string // the endpoint called, such as "webhook/view"
	Attempts int    // requests made, retries included
	Err      error  // the last transport error
	unsent   bool   // the call provably created nothing
}

// Error names the endpoint, the last transport error and the attempts made.
func (e *NetworkError) Error() string {
	s := "smtp2go: " + e.Endpoint + ": "
	if e.Err != nil {
		s += e.Err.Error()
	} else {
		s += "no response"
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return s
}

// Unwrap returns the transport error.
func (e *NetworkError) Unwrap() error { return e.Err }

// ErrOutcomeUnknown matches the [*OutcomeUnknownError] of Add and Ensure: a
// call failed in a way that leaves unknown whether SMTP2GO carried it out.
var ErrOutcomeUnknown = errors.New("smtp2go: outcome unknown")

// OutcomeUnknownError is returned by [WebhooksService.Add] when the add may
// or may not have created the webhook; Add's doc says when. Candidates are
// the webhooks a list after the failure shows set up exactly as asked. One
// of them may be the webhook the add created, or all may have existed
// before: only a list taken before the add can tell, which is why
// [WebhooksService.Ensure] is the idempotent way to create a webhook.
// Ensure returns one too, with no Candidates, when its attempts at adding,
// or its context, run out before a list settles an add of its own.
//
// It matches [ErrOutcomeUnknown] with errors.Is, and unwraps to the failure:
// an [*APIError], a [*NetworkError] or the context's error. If the context
// ended before the look was done, it matches the context's error too.
type OutcomeUnknownError struct {
	Endpoint   string  // the endpoint called: "webhook/add"
	Candidates []int64 // IDs of the webhooks identical to the request after the failure, lowest first; none if the list failed
	Err        error   // the failure
	looked     bool    // a list of the webhooks was asked for
	lookErr    error   // why listing the candidates failed, if it did
	cut        error   // the context's error, if the context ended before the look was done
}

// Error names the failure, says the outcome is unknown, and gives the
// candidates' IDs.
func (e *OutcomeUnknownError) Error() string {
	var b strings.Builder
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("smtp2go: " + e.Endpoint)
	}
	b.WriteString(" (outcome unknown: it may have been carried out; ")
	switch {
	case e.cut != nil && !e.looked:
		b.WriteString("the context ended before a list could tell: " + e.cut.Error())
	case e.lookErr != nil:
		b.WriteString("listing to look failed: " + e.lookErr.Error())
	case len(e.Candidates) == 0:
		b.WriteString("no webhook set up as asked exists")
	default:
		ids := make([]string, len(e.Candidates))
		for i, id := range e.Candidates {
			ids[i] = strconv.FormatInt(id, 10)
		}
		b.WriteString("webhooks set up as asked: " + strings.Join(ids, ", "))
	}
	b.WriteString(")")
	return b.String()
}

// Is makes errors.Is(err, ErrOutcomeUnknown) true.
func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// Unwrap returns the failure, and the context's error if the context ended
// before the look was done.
func (e *OutcomeUnknownError) Unwrap() []error {
	if e.cut != nil {
		return []error{e.Err, e.cut}
	}
	return []error{e.Err}
}

// failure is what a failed call's error proves about the request.
type failure int

const (
	failRefused failure = iota // SMTP2GO answered, and did not carry it out (a 4xx)
	failNotSent                // it never reached SMTP2GO
	failUnknown                // SMTP2GO may have carried it out
)

// classify says what err, the error of a call or of one attempt, proves.
// A request never reached a server if the name did not resolve, the
// connection was never made, the server's certificate was refused before
// anything was sent, or the call ended before an attempt, or while waiting
// to retry a webhook/add that created nothing. A 5xx, a 2xx that could not
// be used, and any other transport failure leave the outcome unknown.
func classify(err error) failure {
	var apiErr *APIError
	var netErr *NetworkError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	switch {
	case errors.As(err, &apiErr):
		if apiErr.StatusCode >= 500 || success(apiErr.StatusCode) {
			return failUnknown
		}
		return failRefused
	case errors.As(err, &netErr) && (netErr.Attempts == 0 || netErr.unsent),
		errors.As(err, &dnsErr), errors.As(err, &opErr) && opErr.Op == "dial",
		errors.As(err, &certErr), errors.As(err, &unknownAuthority):
		return failNotSent
	}
	return failUnknown
}

// maxExcerpt bounds APIError.Body.
const maxExcerpt = 256

// excerpt turns a body into a short printable snippet: invalid UTF-8 and
// control characters dropped, whitespace runs folded, cut at maxExcerpt
// bytes. Secrets are removed before it is cleaned, and again after, since
// dropping a character can join the two halves of one; and before it is
// cut, so that no part of one survives.
func excerpt(body []byte, secrets []string) string {
	text := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPrint(r) {
			return r
		}
		return -1
	}, strings.ToValidUTF8(scrub(string(body), secrets), ""))
	text = scrub(strings.Join(strings.Fields(text), " "), secrets)
	if len(text) <= maxExcerpt {
		return text
	}
	cut := maxExcerpt
	for !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}
