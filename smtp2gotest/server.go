package smtp2gotest

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
)

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

	t    testing.TB
	fake *fakesmtp2go.Fake
	ts   *httptest.Server
}

// NewServer starts a fake SMTP2GO API on a loopback port. When t is not nil
// the server is closed when the test ends (t.Cleanup); with a nil t, as
// outside tests, call [Server.Close]. Like httptest.NewServer, it panics if no
// loopback port can be listened on.
func NewServer(t testing.TB, opts ...Option) *Server {
	if t != nil {
		t.Helper()
	}
	cfg := fakesmtp2go.DefaultConfig()
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	fake := fakesmtp2go.New(cfg)
	s := &Server{APIKey: fake.APIKey(), t: t, fake: fake, ts: httptest.NewServer(fake)}
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
	s.fake.Close()
	s.ts.Close()
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
//
// The fake stores webhooks in its own model of SMTP2GO's wire format, not as
// smtp2go.Webhook values, so that a test of the SDK against it can catch a
// mismatch; they are converted, field by field, only here.
func (s *Server) SubaccountWebhooks(id string) []smtp2go.Webhook {
	stored := s.fake.Webhooks(id)
	out := make([]smtp2go.Webhook, len(stored))
	for i, w := range stored {
		out[i] = smtp2go.Webhook{
			ID:              w.ID,
			URL:             w.URL,
			Events:          convert[smtp2go.EventType](w.Events),
			SMSEvents:       convert[smtp2go.SMSEventType](w.SMSEvents),
			Headers:         w.Headers,
			Usernames:       w.Usernames,
			OutputFormat:    smtp2go.OutputFormat(w.OutputFormat),
			AuthHeaderType:  smtp2go.AuthHeaderType(w.AuthHeaderType),
			AuthHeaderValue: smtp2go.Secret(w.AuthHeaderValue),
		}
	}
	return out
}

func convert[T ~string](in []string) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = T(v)
	}
	return out
}

// DenyEndpoint makes endpoint, such as "webhook/add" ("" or "*": every
// endpoint), answer as SMTP2GO does when the API key lacks permission for it:
// status 400 (as the webhook references document) with error code
// E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED, after the key is checked.
func (s *Server) DenyEndpoint(endpoint string) { s.fake.DenyEndpoint(endpoint) }
