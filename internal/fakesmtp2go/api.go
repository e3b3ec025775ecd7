package fakesmtp2go

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Error codes the fake answers with, as SMTP2GO spells them.
const (
	codeNonValidating = "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"  // a required field is missing, or the body is not JSON
	codeInvalid       = "E_ApiResponseCodes.INVALID_IN_PAYLOAD"         // a field has a bad value
	codeAPIException  = "E_ApiResponseCodes.API_EXCEPTION"              // the request failed (webhook limit, injected 5xx)
	codeRateLimited   = "E_ApiResponseCodes.REQ_LIMIT_EXCEEDED"         // injected 429
	codeDenied        = "E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED" // the key lacks permission (DenyEndpoint)
)

const (
	msgNonValidating = "The JSON data sent does not conform to the specification of this call; see field_validation_errors."
	msgInvalid       = "A value sent is not valid for this call; see field_validation_errors."
	msgDenied        = "You do not have permission to access this API endpoint"
)

// maxBodyBytes is the request body limit: SMTP2GO rejects non-email request
// bodies over 1 MB. The status it answers is not documented; the fake
// answers 413 with an SMTP2GO-shaped body.
const maxBodyBytes = 1 << 20

// The webhook endpoints, the only ones the fake serves.
const (
	endpointAdd    = "webhook/add"
	endpointView   = "webhook/view"
	endpointEdit   = "webhook/edit"
	endpointRemove = "webhook/remove"
)

// response is an answer before it is written, so that a fault can replace it
// or drop it after the request was processed.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (res response) write(w http.ResponseWriter) {
	for k, v := range res.header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.status)
	_, _ = w.Write(res.body)
}

// failure is an error answer.
type failure struct {
	status  int
	code    string
	message string
	field   *fieldError
}

// fieldError is SMTP2GO's field_validation_errors object.
type fieldError struct {
	Field   string `json:"fieldname"`
	Message string `json:"message"`
}

func missingField(name string) *failure {
	return &failure{http.StatusBadRequest, codeNonValidating, msgNonValidating, &fieldError{name, "This field is required."}}
}

func invalidField(name, format string, args ...any) *failure {
	return &failure{http.StatusBadRequest, codeInvalid, msgInvalid, &fieldError{name, fmt.Sprintf(format, args...)}}
}

// apiRequest is a request as read by serveHTTP.
type apiRequest struct {
	http     *http.Request
	endpoint string // the path after /v3/
	routable bool   // whether the path is under /v3/
	body     payload
	readErr  error // why the body could not be read (too large…)
	parseErr error // why the body is not a JSON object
}

// handle processes one API request whose body has been read, and returns the
// answer SMTP2GO would give.
func (fk *Fake) handle(req *apiRequest) response {
	r, endpoint, p := req.http, req.endpoint, req.body
	switch {
	case !req.routable || !knownEndpoint(endpoint):
		return fk.failure(&failure{status: http.StatusNotFound, message: "The requested endpoint does not exist: " + endpoint})
	case r.Method != http.MethodPost:
		res := fk.failure(&failure{status: http.StatusMethodNotAllowed, message: "Method " + r.Method + " not allowed; every API call is a POST"})
		res.header.Set("Allow", http.MethodPost)
		return res
	}
	var tooBig *http.MaxBytesError
	if errors.As(req.readErr, &tooBig) {
		return fk.failure(&failure{status: http.StatusRequestEntityTooLarge, code: codeNonValidating, message: fmt.Sprintf("The request body is larger than the %d bytes allowed", maxBodyBytes)})
	}
	if req.readErr != nil {
		return fk.failure(&failure{status: http.StatusBadRequest, code: codeNonValidating, message: "The request body could not be read: " + req.readErr.Error()})
	}
	if !fk.authorized(r, p) {
		return fk.failure(&failure{status: http.StatusUnauthorized, message: "No valid API key was provided"})
	}
	if fk.isDenied(endpoint) {
		return fk.failure(&failure{status: http.StatusBadRequest, code: codeDenied, message: msgDenied})
	}
	if req.parseErr != nil {
		return fk.failure(&failure{status: http.StatusBadRequest, code: codeNonValidating, message: "The request body is not a JSON object: " + req.parseErr.Error()})
	}
	account, f := p.optString("subaccount_id")
	if f != nil {
		return fk.failure(f)
	}
	var (
		data any
		fail *failure
	)
	switch endpoint {
	case endpointAdd:
		data, fail = fk.add(account, p)
	case endpointView:
		data = fk.view(account)
	case endpointEdit:
		data, fail = fk.edit(account, p)
	case endpointRemove:
		data, fail = fk.remove(account, p)
	}
	if fail != nil {
		return fk.failure(fail)
	}
	return fk.success(data)
}

func knownEndpoint(e string) bool {
	switch e {
	case endpointAdd, endpointView, endpointEdit, endpointRemove:
		return true
	}
	return false
}

// add implements webhook/add: data is the created webhook.
func (fk *Fake) add(account string, p payload) (any, *failure) {
	if u, f := p.optString("url"); f != nil {
		return nil, f
	} else if u == "" {
		return nil, missingField("url")
	}
	w := Webhook{OutputFormat: formatForm}
	if f := applyFields(&w, p); f != nil {
		return nil, f
	}
	fk.mu.Lock()
	defer fk.mu.Unlock()
	if limit := fk.cfg.WebhookLimit; limit > 0 && fk.store.count(account) >= limit {
		// SMTP2GO does not document this error; status and code are a guess.
		return nil, &failure{status: http.StatusBadRequest, code: codeAPIException,
			message: fmt.Sprintf("Webhook limit reached: this plan allows %d webhooks; remove one first", limit)}
	}
	return fk.encodeWebhook(fk.store.add(account, w)), nil
}

// view implements webhook/view: data is the account's webhooks, shaped as
// configured.
func (fk *Fake) view(account string) any {
	fk.mu.Lock()
	hooks := fk.store.list(account)
	fk.mu.Unlock()
	list := make([]wireWebhook, len(hooks))
	for i := range hooks {
		list[i] = fk.encodeWebhook(hooks[i])
	}
	switch fk.cfg.ViewShape {
	case ViewObject:
		if len(list) == 0 {
			return struct{}{}
		}
		return list[0]
	case ViewWrapped:
		return map[string]any{"webhooks": list}
	}
	return list
}

// edit implements webhook/edit: the fields sent replace the stored ones, and
// data is the webhook after the edit. SMTP2GO does not document what happens
// to the fields not sent (or sent as null; the url and id aside): they are
// set back to what an add without them stores, as another of SMTP2GO's edit
// endpoints does with the lists it is not sent, or, with
// Config.EditKeepsOmitted, kept.
func (fk *Fake) edit(account string, p payload) (any, *failure) {
	id, f := p.id()
	if f != nil {
		return nil, f
	}
	fk.mu.Lock()
	defer fk.mu.Unlock()
	w, ok := fk.store.get(account, id)
	if !ok {
		return nil, notFound(id)
	}
	if !fk.cfg.EditKeepsOmitted {
		w = Webhook{ID: w.ID, URL: w.URL, OutputFormat: formatForm}.clone()
	}
	if f := applyFields(&w, p); f != nil {
		return nil, f
	}
	fk.store.replace(account, w)
	return fk.encodeWebhook(w), nil
}

// remove implements webhook/remove: data is the removed webhook, as
// SMTP2GO's reference documents.
func (fk *Fake) remove(account string, p payload) (any, *failure) {
	id, f := p.id()
	if f != nil {
		return nil, f
	}
	fk.mu.Lock()
	defer fk.mu.Unlock()
	w, ok := fk.store.remove(account, id)
	if !ok {
		return nil, notFound(id)
	}
	return fk.encodeWebhook(w), nil
}

func notFound(id int64) *failure {
	f := invalidField("id", "No webhook with id %d in this account.", id)
	f.message = "Webhook not found"
	return f
}

// applyFields copies onto w the webhook fields present in p. It checks what
// SMTP2GO's reference documents: each member's JSON type, and the values
// output_format and auth_header_type may take. Event names it does not know
// are dropped, as SMTP2GO reportedly ignores them. w is changed even if a
// later field fails: callers work on a copy.
func applyFields(w *Webhook, p payload) *failure {
	if p.has("url") {
		u, f := p.optString("url")
		if f != nil {
			return f
		}
		if u == "" {
			return invalidField("url", "This field may not be blank.")
		}
		w.URL = u
	}
	for _, list := range []struct {
		name  string
		known []string // nil: any string
		dst   *[]string
	}{
		{"events", emailEvents, &w.Events},
		{"sms_events", smsEvents, &w.SMSEvents},
		{"headers", nil, &w.Headers},
		{"usernames", nil, &w.Usernames},
	} {
		if !p.has(list.name) {
			continue
		}
		names, f := p.strings(list.name)
		if f != nil {
			return f
		}
		if list.known != nil {
			names = slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(list.known, n) })
		}
		*list.dst = names
	}
	if p.has("output_format") {
		v, f := p.optString("output_format")
		if f != nil {
			return f
		}
		switch v {
		case "":
			w.OutputFormat = formatForm
		case formatForm, formatJSON:
			w.OutputFormat = v
		default:
			return invalidField("output_format", "%q is not one of form, json.", v)
		}
	}
	if p.has("auth_header_type") {
		v, f := p.optString("auth_header_type")
		if f != nil {
			return f
		}
		if !slices.Contains(authTypes, v) {
			return invalidField("auth_header_type", "%q is not one of bearer, basic or empty.", v)
		}
		w.AuthHeaderType = v
	}
	if p.has("auth_header_value") {
		v, f := p.optString("auth_header_value")
		if f != nil {
			return f
		}
		w.AuthHeaderValue = v
	}
	return nil
}

// payload is a request body: a JSON object, members undecoded. Unknown
// members are ignored, as SMTP2GO does.
type payload map[string]json.RawMessage

// parsePayload decodes a request body. An empty body is the empty object.
func parsePayload(body []byte) (payload, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return payload{}, nil
	}
	if body[0] != '{' {
		return nil, errors.New("want a JSON object")
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, err
	}
	if p == nil {
		p = payload{}
	}
	return p, nil
}

// has reports whether member name is present and not null.
func (p payload) has(name string) bool {
	v, ok := p[name]
	return ok && string(bytes.TrimSpace(v)) != "null"
}

// optString returns member name as a string: "" if absent or null, an
// invalid-value failure if it is not a string.
func (p payload) optString(name string) (string, *failure) {
	if !p.has(name) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(p[name], &s); err != nil {
		return "", invalidField(name, "Must be a string.")
	}
	return s, nil
}

// strings returns member name, which must be an array of strings.
func (p payload) strings(name string) ([]string, *failure) {
	var list []string
	if err := json.Unmarshal(p[name], &list); err != nil || list == nil {
		return nil, invalidField(name, "Must be an array of strings.")
	}
	return list, nil
}

// id returns the "id" member, which must be a JSON integer.
func (p payload) id() (int64, *failure) {
	if !p.has("id") {
		return 0, missingField("id")
	}
	id, err := strconv.ParseInt(string(bytes.TrimSpace(p["id"])), 10, 64)
	if err != nil {
		return 0, invalidField("id", "Must be an integer.")
	}
	return id, nil
}

// wireWebhook is a webhook as the fake answers it: every member present,
// lists as arrays (never null), or headers and usernames as strings under
// WithStringLists.
type wireWebhook struct {
	ID              int64    `json:"id"`
	URL             string   `json:"url"`
	Events          []string `json:"events"`
	SMSEvents       []string `json:"sms_events"`
	Headers         any      `json:"headers"`
	Usernames       any      `json:"usernames"`
	OutputFormat    string   `json:"output_format"`
	AuthHeaderType  string   `json:"auth_header_type"`
	AuthHeaderValue string   `json:"auth_header_value"` // in clear, or masked under Config.MaskAuthValues
}

// maskedAuthValue is what an auth_header_value is answered as under
// Config.MaskAuthValues. Whether SMTP2GO masks the value, and how, is not
// documented: eight asterisks is the fake's guess.
const maskedAuthValue = "********"

func (fk *Fake) encodeWebhook(w Webhook) wireWebhook {
	return wireWebhook{
		ID:              w.ID,
		URL:             w.URL,
		Events:          w.Events,
		SMSEvents:       w.SMSEvents,
		Headers:         fk.encodeList(w.Headers),
		Usernames:       fk.encodeList(w.Usernames),
		OutputFormat:    w.OutputFormat,
		AuthHeaderType:  w.AuthHeaderType,
		AuthHeaderValue: fk.encodeAuthValue(w.AuthHeaderValue),
	}
}

func (fk *Fake) encodeAuthValue(v string) string {
	if fk.cfg.MaskAuthValues && v != "" {
		return maskedAuthValue
	}
	return v
}

func (fk *Fake) encodeList(list []string) any {
	if fk.cfg.StringLists {
		return strings.Join(list, ",")
	}
	return list
}

// success answers 200 with data in SMTP2GO's envelope.
func (fk *Fake) success(data any) response {
	return fk.envelope(http.StatusOK, data)
}

// failure answers an error in SMTP2GO's shape: the members error,
// error_code and field_validation_errors under data.
func (fk *Fake) failure(f *failure) response {
	return fk.envelope(f.status, struct {
		Error       string      `json:"error"`
		Code        string      `json:"error_code,omitempty"`
		FieldErrors *fieldError `json:"field_validation_errors,omitempty"`
	}{f.message, f.code, f.field})
}

func (fk *Fake) envelope(status int, data any) response {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keeps "&" in URLs readable in recorded bodies and logs
	// Only the fake's own types are encoded here, and they always encode.
	_ = enc.Encode(struct {
		RequestID string `json:"request_id"`
		Data      any    `json:"data"`
	}{newUUID(), data})
	return response{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: b.Bytes()}
}
