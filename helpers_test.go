package smtp2go_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/relaykit/smtp2go"
)

// testKey is the API key the tests' clients use. It must never show up in an
// error, a log line or a request body.
const (
	testKey  = "api-0123456789ABCDEFabcdef0123456789"
	testBase = "https://api.test/v3/"
	// defaultRetryMax is the retries a Client makes by default, as WithRetryMax says.
	defaultRetryMax = 3
	// permissionDenied is SMTP2GO's error code for a key that may not use an endpoint.
	permissionDenied = "E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED"
)

// mockAPI is an httpmock transport that records every request it answers and
// plays a script of responses per endpoint.
type mockAPI struct {
	t  testing.TB
	mt *httpmock.MockTransport

	mu   sync.Mutex
	sent []sentRequest
}

type sentRequest struct {
	Endpoint string
	Header   http.Header
	Body     []byte
}

func newMockAPI(t testing.TB) *mockAPI {
	t.Helper()
	return &mockAPI{t: t, mt: httpmock.NewMockTransport()}
}

// client returns a client that sends through the mock, with retry waits short
// enough for tests; opts come last and win.
func (m *mockAPI) client(opts ...smtp2go.Option) *smtp2go.Client {
	m.t.Helper()
	base := []smtp2go.Option{
		smtp2go.WithBaseURL(testBase),
		smtp2go.WithHTTPClient(&http.Client{Transport: m.mt}),
		smtp2go.WithRetryWait(time.Millisecond, 2*time.Millisecond),
	}
	c, err := smtp2go.NewClient(testKey, append(base, opts...)...)
	if err != nil {
		m.t.Fatalf("NewClient: %v", err)
	}
	return c
}

// on scripts endpoint ("webhook/add") to answer with responders in turn; the
// last one answers every request after that.
func (m *mockAPI) on(endpoint string, responders ...httpmock.Responder) {
	m.onURL(testBase+endpoint, responders...)
}

func (m *mockAPI) onURL(url string, responders ...httpmock.Responder) {
	var mu sync.Mutex
	n := 0
	endpoint := url[strings.Index(url, "/v3/")+len("/v3/"):]
	m.mt.RegisterResponder(http.MethodPost, url, func(req *http.Request) (*http.Response, error) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body)) // for a responder that echoes it
		m.mu.Lock()
		m.sent = append(m.sent, sentRequest{Endpoint: endpoint, Header: req.Header.Clone(), Body: body})
		m.mu.Unlock()
		mu.Lock()
		r := responders[min(n, len(responders)-1)]
		n++
		mu.Unlock()
		return r(req)
	})
}

// requests returns what was sent to endpoint, or to every endpoint for "".
func (m *mockAPI) requests(endpoint string) []sentRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []sentRequest
	for _, r := range m.sent {
		if endpoint == "" || r.Endpoint == endpoint {
			out = append(out, r)
		}
	}
	return out
}

func (m *mockAPI) count(endpoint string) int { return len(m.requests(endpoint)) }

// fixture answers status with the body of testdata/name.
func fixture(t testing.TB, status int, name string) httpmock.Responder {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	ct := "application/json"
	if strings.HasSuffix(name, ".html") {
		ct = "text/html"
	}
	return raw(status, ct, string(body), nil)
}

// raw answers status with body and the given extra headers.
func raw(status int, contentType, body string, header http.Header) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(status, body)
		resp.Header.Set("Content-Type", contentType)
		for k, v := range header {
			resp.Header[k] = v
		}
		resp.Request = req
		return resp, nil
	}
}

// golden returns testdata/name compacted, for comparing request bodies.
func golden(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("golden %s: %v", name, err)
	}
	return out.String()
}

// noSecrets fails the test if s contains a secret. It never prints the secret.
func noSecrets(t testing.TB, what, s string, secrets ...string) {
	t.Helper()
	for i, secret := range append(secrets, testKey) {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("%s contains secret #%d", what, i)
		}
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
