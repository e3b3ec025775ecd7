// Package fakesmtp2go is the engine of the fake SMTP2GO: its webhook API as
// an http.Handler, with the webhooks in memory, injected faults and a record
// of requests, and its deliveries of events to the webhooks' URLs.
//
// It imports neither testing nor net/http/httptest, so that the CLI's fake
// and demo commands run it; package smtp2gotest serves it on loopback for
// tests and documents its behaviour. It keeps its own model of SMTP2GO's
// wire format, written from SMTP2GO's documentation rather than with the
// SDK's types, so that a test of the SDK against it can catch a mismatch
// between the two.
package fakesmtp2go

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// apiKeyHeader is the header SMTP2GO reads the API key from.
const apiKeyHeader = "X-Smtp2go-Api-Key"

// DefaultWebhookLimit is how many webhooks each account may have by default:
// 10, as on SMTP2GO's paid plans.
const DefaultWebhookLimit = 10

// View shapes of webhook/view's data member, for [Config.ViewShape].
const (
	ViewArray   = "array"   // an array of webhooks, as SMTP2GO answers live
	ViewObject  = "object"  // the first webhook only, as SMTP2GO's reference documents
	ViewWrapped = "wrapped" // {"webhooks": [...]}, a shape some clients read
)

// Config is how a [Fake] behaves. Start from [DefaultConfig].
type Config struct {
	// APIKey is the one API key accepted; New generates one when it is "".
	APIKey string
	// ViewShape is the shape of webhook/view's data: ViewArray (also for any
	// unknown value), ViewObject or ViewWrapped.
	ViewShape string
	// StringLists answers headers and usernames as strings, as the examples
	// of SMTP2GO's add and edit references show.
	StringLists bool
	// MaskAuthValues answers every auth_header_value that is set as
	// "********" instead of in clear; the stored value is kept.
	MaskAuthValues bool
	// EditKeepsOmitted makes webhook/edit keep every field it is not sent,
	// instead of setting it back to what an add without it stores.
	EditKeepsOmitted bool
	// WebhookLimit is how many webhooks each account may have; <= 0: no limit.
	WebhookLimit int
	// DeliveryTimeout is how long a delivery waits for response headers.
	DeliveryTimeout time.Duration
	// RedeliveryWaits are the waits before each redelivery of a failed
	// delivery; len(RedeliveryWaits) is the most redeliveries made.
	RedeliveryWaits []time.Duration
	// OnRequest, when not nil, is called with each request once it has been
	// answered or dropped, from the goroutine that served it.
	OnRequest func(Request)
}

// DefaultConfig returns the settings SMTP2GO has, but for redeliveries, which
// are 5, after 1, 2, 4, 8 and 16 milliseconds, so that tests run fast.
func DefaultConfig() Config {
	return Config{
		ViewShape:       ViewArray,
		WebhookLimit:    DefaultWebhookLimit,
		DeliveryTimeout: defaultDeliveryTimeout,
		RedeliveryWaits: slices.Clone(defaultRedeliveryWaits),
	}
}

// Fake is a fake SMTP2GO: serve it with any HTTP server. Its methods are
// safe for concurrent use.
type Fake struct {
	cfg     Config
	closing chan struct{} // closed by Close, to end whatever waits (Delay faults)

	// Deliveries (Emit): closeCtx is cancelled by Close, which then waits
	// for emitting; deliveryClient keeps connections to webhook URLs.
	closeCtx       context.Context
	cancelClose    context.CancelFunc
	emitting       sync.WaitGroup
	deliveryClient *http.Client

	mu         sync.Mutex
	closed     bool
	inflight   sync.WaitGroup // handlers running; Close waits for them
	store      store
	faults     []queuedFault
	denied     map[string]bool // endpoints answered with the permission error; "*": all
	requests   []Request
	deliveries []Delivery
}

// New returns a fake SMTP2GO configured by cfg.
func New(cfg Config) *Fake {
	if cfg.APIKey == "" {
		cfg.APIKey = NewAPIKey()
	}
	if cfg.DeliveryTimeout <= 0 {
		cfg.DeliveryTimeout = defaultDeliveryTimeout
	}
	fk := &Fake{
		cfg:            cfg,
		closing:        make(chan struct{}),
		store:          newStore(),
		denied:         make(map[string]bool),
		deliveryClient: newDeliveryClient(true),
	}
	fk.closeCtx, fk.cancelClose = context.WithCancel(context.Background())
	return fk
}

// APIKey returns the one API key the fake accepts.
func (fk *Fake) APIKey() string { return fk.cfg.APIKey }

// Close ends requests being delayed by a fault and deliveries in flight or
// waiting to be made again, and returns when every handler and every Emit
// has returned. Requests that arrive later are dropped. Close may be called
// more than once.
func (fk *Fake) Close() {
	fk.mu.Lock()
	if fk.closed {
		fk.mu.Unlock()
		return
	}
	fk.closed = true
	close(fk.closing)
	fk.cancelClose()
	fk.mu.Unlock()
	fk.inflight.Wait()
	fk.emitting.Wait()
	fk.deliveryClient.CloseIdleConnections()
}

// Webhooks returns a copy of an account's webhooks (the main account for
// ""), in creation order.
func (fk *Fake) Webhooks(account string) []Webhook {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	return fk.store.list(account)
}

// Requests returns a copy of every request received so far, in arrival
// order, faulted and rejected ones included.
func (fk *Fake) Requests() []Request {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	out := make([]Request, len(fk.requests))
	for i, r := range fk.requests {
		out[i] = r.clone()
	}
	return out
}

// DenyEndpoint makes endpoint ("" or "*": every endpoint) answer the
// permission error, after the key is checked.
func (fk *Fake) DenyEndpoint(endpoint string) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	fk.denied[normalizeEndpoint(endpoint)] = true
}

// subscribers returns the webhooks of an account that subscribe to event.
func (fk *Fake) subscribers(account, event string) []Webhook {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	return fk.store.subscribers(account, event)
}

func (fk *Fake) isDenied(endpoint string) bool {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	return fk.denied[endpoint] || fk.denied["*"]
}

// ServeHTTP records a request, applies the fault queued for it, if any, and
// answers it.
func (fk *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == TriggerPath {
		fk.serveTrigger(w, r)
		return
	}
	req := &apiRequest{http: r}
	req.endpoint, req.routable = endpointOf(r.URL.Path)
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	req.readErr = readErr
	req.body, req.parseErr = parsePayload(body)
	rec := Request{Endpoint: req.endpoint, Method: r.Method, Header: redactHeader(r.Header), Body: redactBody(body, fk.cfg.APIKey), Time: time.Now(), Path: r.URL.Path}

	fk.mu.Lock()
	if fk.closed {
		fk.mu.Unlock()
		drop(w)
		return
	}
	fk.inflight.Add(1)
	defer fk.inflight.Done()
	fault, _ := fk.takeFault(req.endpoint)
	rec.Fault = fault
	idx := len(fk.requests)
	fk.requests = append(fk.requests, rec.clone())
	fk.mu.Unlock()

	res, answered := fk.respond(req, fault)
	if answered {
		// Record the status before answering, so that a client that has
		// its answer finds it in Requests.
		fk.mu.Lock()
		fk.requests[idx].Status = res.status
		rec = fk.requests[idx].clone()
		fk.mu.Unlock()
	}
	if fk.cfg.OnRequest != nil {
		defer fk.cfg.OnRequest(rec)
	}
	if !answered {
		drop(w)
		return
	}
	res.write(w)
}

// respond plays fault, if any, around the real handling of req, and returns
// the answer, or answered false when the connection is to be dropped.
func (fk *Fake) respond(req *apiRequest, fault *Fault) (res response, answered bool) {
	if fault != nil && fault.Delay > 0 && !sleep(req.http.Context(), fault.Delay, fk.closing) {
		return response{}, false
	}
	if fault != nil && fault.DropBeforeProcessing {
		return response{}, false
	}
	if fault != nil && fault.answers() && !fault.AfterProcessing {
		res = fk.faultResponse(fault)
	} else {
		res = fk.handle(req)
		switch {
		case fault == nil:
		case fault.DropAfterProcessing:
			return response{}, false
		case fault.answers():
			res = fk.faultResponse(fault)
		}
	}
	if fault != nil && fault.RetryAfter != "" {
		res.header.Set("Retry-After", fault.RetryAfter)
	}
	return res, true
}

// authorized reports whether the request carries the fake's API key: in
// the X-Smtp2go-Api-Key header, else as an Authorization bearer token, else
// as the api_key member of the body, as SMTP2GO accepts all three.
func (fk *Fake) authorized(r *http.Request, p payload) bool {
	key, ok := "", false
	if v := r.Header.Values(apiKeyHeader); len(v) > 0 {
		key, ok = v[0], true
	} else if scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " "); found && strings.EqualFold(scheme, "Bearer") {
		key, ok = strings.TrimSpace(token), true
	} else if p.has("api_key") {
		k, fail := p.optString("api_key")
		key, ok = k, fail == nil
	}
	return ok && subtle.ConstantTimeCompare([]byte(key), []byte(fk.cfg.APIKey)) == 1
}

// endpointOf returns the endpoint a URL path names, and whether it is under
// /v3/, the only prefix served.
func endpointOf(path string) (endpoint string, routable bool) {
	if rest, ok := strings.CutPrefix(path, "/v3/"); ok {
		return rest, true
	}
	return strings.TrimPrefix(path, "/"), false
}

// normalizeEndpoint turns what a caller names an endpoint ("webhook/add",
// "/v3/webhook/add") into the form requests are matched with; "" is "*".
func normalizeEndpoint(e string) string {
	e = strings.TrimPrefix(strings.TrimPrefix(e, "/"), "v3/")
	if e == "" {
		return "*"
	}
	return e
}

// NewAPIKey returns "api-" and 32 random letters and digits, the shape of
// SMTP2GO's keys.
func NewAPIKey() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	key := make([]byte, 0, 32)
	var b [64]byte
	for len(key) < cap(key) {
		_, _ = rand.Read(b[:])
		for _, c := range b {
			// Drop bytes past the last whole multiple of 62: no modulo bias.
			if c < 248 && len(key) < cap(key) {
				key = append(key, alphabet[c%62])
			}
		}
	}
	return "api-" + string(key)
}

// newUUID returns a random (version 4) UUID, the shape of SMTP2GO's
// request_id.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
