package smtp2gotest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/smtp2go"
)

// apiKeyHeader is the header SMTP2GO reads the API key from.
const apiKeyHeader = "X-Smtp2go-Api-Key"

// Client retry waits: short, so that tests of retries run in milliseconds.
const (
	clientRetryWaitMin = time.Millisecond
	clientRetryWaitMax = 5 * time.Millisecond
)

// Server is a fake SMTP2GO API: a real HTTP server on a loopback port that
// serves webhook/add, webhook/view, webhook/edit and webhook/remove as
// SMTP2GO does, keeps the webhooks in memory, records every request and plays
// the failures queued with [Server.Fail]. Create one with [NewServer]. Its
// methods are safe for concurrent use.
type Server struct {
	// URL is the API base URL, such as "http://127.0.0.1:41234/v3/", for
	// smtp2go.WithBaseURL. [Server.Client] uses it.
	URL string
	// APIKey is the one API key the server accepts: "api-" and 32 random
	// letters and digits unless set with [WithAPIKey]. Others get 401.
	APIKey string

	t       testing.TB
	cfg     config
	ts      *httptest.Server
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

// NewServer starts a fake SMTP2GO API on a loopback port. When t is not nil
// the server is closed when the test ends (t.Cleanup); with a nil t, as
// outside tests, call [Server.Close]. Like httptest.NewServer, it panics if no
// loopback port can be listened on.
func NewServer(t testing.TB, opts ...Option) *Server {
	if t != nil {
		t.Helper()
	}
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	s := &Server{
		APIKey:  cfg.apiKey,
		t:       t,
		cfg:     cfg,
		closing: make(chan struct{}),
		store:   newStore(),
		denied:  make(map[string]bool),

		deliveryClient: newDeliveryClient(true),
	}
	s.closeCtx, s.cancelClose = context.WithCancel(context.Background())
	if s.APIKey == "" {
		s.APIKey = newAPIKey()
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.ts.URL + "/v3/"
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// Close shuts the server down. Requests being delayed by a [Fault] are
// dropped at once, and deliveries of [Server.Emit] in flight or waiting to be
// made again are abandoned (Emit returns an error). Close returns when every
// handler and every Emit has returned, and closes the idle connections to
// webhook URLs. Close may be called more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.closing)
	s.cancelClose()
	s.mu.Unlock()
	s.ts.Close()
	s.inflight.Wait()
	s.emitting.Wait()
	s.deliveryClient.CloseIdleConnections()
}

// Client returns an SDK client that talks to the server with its API key and
// waits only milliseconds between retries. opts are applied after those
// settings, so they win. If the options make smtp2go.NewClient fail, Client
// calls t.Fatalf on the test given to [NewServer] (so call it from the test's
// goroutine), or panics if that was nil.
func (s *Server) Client(opts ...smtp2go.Option) *smtp2go.Client {
	all := append([]smtp2go.Option{
		smtp2go.WithBaseURL(s.URL),
		smtp2go.WithHTTPClient(s.ts.Client()), // its idle connections close with the server
		smtp2go.WithRetryWait(clientRetryWaitMin, clientRetryWaitMax),
	}, opts...)
	c, err := smtp2go.NewClient(s.APIKey, all...)
	if err != nil {
		if s.t != nil {
			s.t.Helper()
			s.t.Fatalf("smtp2gotest: Server.Client: %v", err)
			return nil
		}
		panic("smtp2gotest: Server.Client: " + err.Error())
	}
	return c
}

// Webhooks returns a copy of the main account's webhooks, in creation order.
func (s *Server) Webhooks() []smtp2go.Webhook { return s.SubaccountWebhooks("") }

// SubaccountWebhooks returns a copy of the webhooks of the subaccount whose
// subaccount_id is id, in creation order. Subaccounts need no setup: any
// subaccount_id is accepted, and each has its own webhooks and limit. The
// empty id is the main account.
func (s *Server) SubaccountWebhooks(id string) []smtp2go.Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store.list(id)
}

// subscribers returns the webhooks of an account (the main account for "")
// that subscribe to event. It is where delivering events starts.
func (s *Server) subscribers(account string, event smtp2go.EventType) []smtp2go.Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store.subscribers(account, event)
}

// Requests returns a copy of every request received so far, in arrival
// order, faulted and rejected ones included.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

// DenyEndpoint makes endpoint, such as "webhook/add" ("" or "*": every
// endpoint), answer as SMTP2GO does when the API key lacks permission for it:
// status 400 (as the webhook references document) with error code
// E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED, after the key is checked.
func (s *Server) DenyEndpoint(endpoint string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[normalizeEndpoint(endpoint)] = true
}

func (s *Server) isDenied(endpoint string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.denied[endpoint] || s.denied["*"]
}

// serveHTTP records a request, applies the fault queued for it, if any, and
// answers it.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	req := &apiRequest{http: r}
	req.endpoint, req.routable = endpointOf(r.URL.Path)
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	req.readErr = readErr
	req.body, req.parseErr = parsePayload(body)
	rec := Request{Endpoint: req.endpoint, Method: r.Method, Header: redactHeader(r.Header), Body: redactBody(body, s.APIKey), Time: time.Now()}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		drop(w)
		return
	}
	s.inflight.Add(1)
	defer s.inflight.Done()
	fault, _ := s.takeFault(req.endpoint)
	rec.Fault = fault
	idx := len(s.requests)
	s.requests = append(s.requests, rec.clone())
	s.mu.Unlock()

	if fault != nil && fault.Delay > 0 && !sleep(r.Context(), fault.Delay, s.closing) {
		drop(w)
		return
	}
	if fault != nil && fault.DropBeforeProcessing {
		drop(w)
		return
	}
	var res response
	if fault != nil && fault.answers() && !fault.AfterProcessing {
		res = s.faultResponse(fault)
	} else {
		res = s.handle(req)
		switch {
		case fault == nil:
		case fault.DropAfterProcessing:
			drop(w)
			return
		case fault.answers():
			res = s.faultResponse(fault)
		}
	}
	if fault != nil && fault.RetryAfter != "" {
		res.header.Set("Retry-After", fault.RetryAfter)
	}
	// Record the status before answering, so that a client that has its
	// answer finds it in Requests.
	s.mu.Lock()
	s.requests[idx].Status = res.status
	s.mu.Unlock()
	res.write(w)
}

// authorized reports whether the request carries the server's API key: in
// the X-Smtp2go-Api-Key header, else as an Authorization bearer token, else
// as the api_key member of the body, as SMTP2GO accepts all three.
func (s *Server) authorized(r *http.Request, p payload) bool {
	key, ok := "", false
	if v := r.Header.Values(apiKeyHeader); len(v) > 0 {
		key, ok = v[0], true
	} else if scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " "); found && strings.EqualFold(scheme, "Bearer") {
		key, ok = strings.TrimSpace(token), true
	} else if p.has("api_key") {
		k, f := p.optString("api_key")
		key, ok = k, f == nil
	}
	return ok && subtle.ConstantTimeCompare([]byte(key), []byte(s.APIKey)) == 1
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

// newAPIKey returns "api-" and 32 random letters and digits, the shape of
// SMTP2GO's keys.
func newAPIKey() string {
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
