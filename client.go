package smtp2go

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/go-retryablehttp"
)

// Version is the SDK's version, sent in the User-Agent.
const Version = "0.1.0"

// APIKeyEnv is the environment variable [NewClient] reads when given no key.
const APIKeyEnv = "SMTP2GO_API_KEY"

// Defaults. Each can be changed with the [Option] named beside it.
const (
	DefaultRetryMax     = 3                      // WithRetryMax
	DefaultRetryWaitMin = 500 * time.Millisecond // WithRetryWait
	DefaultRetryWaitMax = 10 * time.Second       // WithRetryWait
	DefaultTimeout      = 30 * time.Second       // WithTimeout
)

const (
	defaultUserAgent = "smtp2go-go/" + Version
	apiKeyHeader     = "X-Smtp2go-Api-Key"
	// maxResponseBytes bounds how much of a response is read. Webhook
	// responses are a few kilobytes; this guards against a runaway proxy.
	maxResponseBytes = 4 << 20
)

// Client talks to SMTP2GO's API. Create one with [NewClient] and share it: it
// is safe for concurrent use.
type Client struct {
	// Webhooks manages the account's webhooks.
	Webhooks *WebhooksService

	apiKey       string
	baseURL      *url.URL // where requests go: explicitBase, else region's
	explicitBase *url.URL // from WithBaseURL
	region       Region   // from WithRegion
	userHTTP     *http.Client
	retryMax     int
	retryWaitMin time.Duration
	retryWaitMax time.Duration
	timeout      time.Duration
	userAgent    string
	logger       *slog.Logger
	retrying     *retryablehttp.Client
}

// NewClient returns a client that authenticates with apiKey. An empty apiKey
// is read from the SMTP2GO_API_KEY environment variable; if that is empty too,
// or the key holds whitespace, NewClient returns an error wrapping
// [ErrInvalidRequest]. The key is sent only in the X-Smtp2go-Api-Key header.
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	if apiKey == "" {
		apiKey = os.Getenv(APIKeyEnv)
	}
	if apiKey == "" {
		return nil, invalid("api key", "empty: pass one to NewClient or set %s", APIKeyEnv)
	}
	if strings.IndexFunc(apiKey, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return nil, invalid("api key", "contains whitespace or control characters (a stray newline from a file?)")
	}
	c := &Client{
		apiKey:       apiKey,
		userHTTP:     http.DefaultClient,
		retryMax:     DefaultRetryMax,
		retryWaitMin: DefaultRetryWaitMin,
		retryWaitMax: DefaultRetryWaitMax,
		timeout:      DefaultTimeout,
		userAgent:    defaultUserAgent,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	// WithBaseURL wins over WithRegion whatever their order, so that a test
	// configuration never reaches SMTP2GO because of the order of options.
	switch {
	case c.explicitBase != nil:
		c.baseURL = c.explicitBase
	case c.region != "":
		c.baseURL, _ = url.Parse(c.region.BaseURL())
	default:
		c.baseURL, _ = url.Parse(RegionGlobal.BaseURL())
	}
	timeout := c.timeout
	if t := c.userHTTP.Timeout; t > 0 && t < timeout {
		timeout = t
	}
	c.retrying = &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport: transportOf{c.userHTTP},
			Timeout:   timeout,
			// SMTP2GO's API does not redirect. Following one would send the
			// API key header, and the body with its secrets, to wherever it
			// points; a 3xx is answered as an *APIError instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		Logger:         nil, // the SDK logs through slog, and only when asked to
		RetryWaitMin:   c.retryWaitMin,
		RetryWaitMax:   c.retryWaitMax,
		RetryMax:       c.retryMax,
		RequestLogHook: beforeAttempt,
		CheckRetry:     c.checkRetry,
		Backoff:        backoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
	}
	c.Webhooks = &WebhooksService{client: c}
	return c, nil
}

// String describes the client without its API key.
func (c *Client) String() string {
	if c == nil {
		return "smtp2go.Client(nil)"
	}
	return fmt.Sprintf("smtp2go.Client{BaseURL: %q, APIKey: %q}", c.BaseURL(), redactValue(c.apiKey))
}

// GoString is String, so that %#v does not print the API key either.
func (c *Client) GoString() string { return c.String() }

// BaseURL returns the API base URL the client sends to, ending in "/". It is
// "" for a Client not made by NewClient.
func (c *Client) BaseURL() string {
	if c == nil || c.baseURL == nil {
		return ""
	}
	return c.baseURL.String()
}

// errNoClient is returned by calls on a Client, or a WebhooksService, that
// NewClient did not make: the zero value has no key and no transport.
var errNoClient = errors.New("smtp2go: the Client was not made by NewClient")

// transportOf sends through an *http.Client's Transport, read at each request,
// so the caller's client is used as it is at call time and never changed.
type transportOf struct{ hc *http.Client }

func (t transportOf) RoundTrip(r *http.Request) (*http.Response, error) {
	if rt := t.hc.Transport; rt != nil {
		return rt.RoundTrip(r)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// retryPolicy says which failures a call may retry.
type retryPolicy int

const (
	// retryIdempotent retries 429, 500, 502, 503, 504 and transport errors.
	retryIdempotent retryPolicy = iota
	// retryUnsent retries only what provably did not create anything: 429 and
	// transport errors from before the request was sent. webhook/add uses it.
	retryUnsent
)

// call is the state of one API call across its attempts. It travels in the
// request's context so that retryablehttp's hooks can reach it.
type call struct {
	endpoint    string
	policy      retryPolicy
	maxAttempts int
	attempts    int
	start       time.Time
	body        []byte // the last response's body, read by checkRetry
	readErr     error  // why that body could not be read
}

type callKey struct{}

func callFrom(ctx context.Context) *call {
	st, _ := ctx.Value(callKey{}).(*call)
	return st
}

// do is the one request path of the SDK: encode in as JSON, POST it to
// endpoint with retries, and decode the data member of the response into out
// (which may be nil). It returns SMTP2GO's request ID and the number of
// attempts made. Failures are *APIError, *NetworkError, or the context's error.
// maxAttempts caps the attempts below the client's own limit (0: no cap).
func (c *Client) do(ctx context.Context, endpoint string, policy retryPolicy, maxAttempts int, in, out any) (requestID string, attempts int, err error) {
	if c == nil || c.retrying == nil {
		return "", 0, errNoClient
	}
	payload, err := json.Marshal(in)
	if err != nil {
		return "", 0, fmt.Errorf("smtp2go: %s: encoding request: %w", endpoint, err)
	}
	if maxAttempts <= 0 || maxAttempts > c.retryMax+1 {
		maxAttempts = c.retryMax + 1
	}
	st := &call{endpoint: endpoint, policy: policy, maxAttempts: maxAttempts}
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, callKey{}, st), http.MethodPost, c.baseURL.String()+endpoint, payload)
	if err != nil {
		return "", 0, fmt.Errorf("smtp2go: %s: %w", endpoint, err)
	}
	req.Header.Set(apiKeyHeader, c.apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.retrying.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return "", st.attempts, fmt.Errorf("smtp2go: %s: %w", endpoint, ctxErr)
		}
		return "", st.attempts, &NetworkError{Endpoint: endpoint, Attempts: st.attempts, Err: err}
	}
	resp.Body.Close() // checkRetry has read it into st.body
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// What SMTP2GO echoes back may hold the request's secrets as well
		// as the key: keep them all out of the error.
		secrets := append([]string{c.apiKey}, secretsOf(in)...)
		apiErr := newAPIError(endpoint, resp.StatusCode, st.body, secrets)
		apiErr.Attempts = st.attempts
		apiErr.RetryAfter, _ = retryAfter(resp.Header)
		return apiErr.RequestID, st.attempts, apiErr
	}
	if st.readErr != nil {
		return "", st.attempts, &NetworkError{Endpoint: endpoint, Attempts: st.attempts, Err: st.readErr}
	}
	// One pass: encoding/json decodes data straight into the pointer out.
	env := struct {
		RequestID string `json:"request_id"`
		Data      any    `json:"data"`
	}{Data: out}
	if out == nil {
		env.Data = &json.RawMessage{}
	}
	if err := json.Unmarshal(st.body, &env); err != nil {
		// No excerpt of a 2xx body: it is webhook data, secrets included.
		return env.RequestID, st.attempts, &APIError{
			Endpoint:   endpoint,
			StatusCode: resp.StatusCode,
			RequestID:  env.RequestID,
			Attempts:   st.attempts,
			decodeErr:  err,
		}
	}
	return env.RequestID, st.attempts, nil
}

// secretHolder is a request body with secrets of its own (an auth value, a
// password or token in a URL) that must be kept out of errors.
type secretHolder interface{ secrets() []string }

func secretsOf(in any) []string {
	if h, ok := in.(secretHolder); ok {
		return h.secrets()
	}
	return nil
}

// beforeAttempt runs before every attempt (retryablehttp's RequestLogHook).
func beforeAttempt(_ retryablehttp.Logger, req *http.Request, i int) {
	if st := callFrom(req.Context()); st != nil {
		st.attempts = i + 1
		st.start = time.Now()
		st.body, st.readErr = nil, nil
	}
}

// checkRetry runs after every attempt. It reads the whole response body (so
// that a body cut off mid-way counts as a failed attempt), logs the attempt,
// and decides whether to try again.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := callFrom(ctx)
	if resp != nil {
		st.body, st.readErr = readBody(resp)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(st.body))
	}
	c.logAttempt(ctx, st, resp, err)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	retry := shouldRetry(st, resp, err) && st.attempts < st.maxAttempts
	if retry && resp != nil && !waitFits(ctx, resp, c.retryWaitMin, c.retryWaitMax) {
		retry = false // the caller would get a bare deadline error instead of the 429
	}
	if retry && c.logger != nil {
		attrs := []any{slog.String("endpoint", st.endpoint), slog.Int("attempt", st.attempts)}
		if resp != nil {
			attrs = append(attrs, slog.Int("status", resp.StatusCode))
		} else {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		c.logger.WarnContext(ctx, "smtp2go: retrying request", attrs...)
	}
	return retry, nil
}

// readBody reads a whole response body, at most maxResponseBytes of it.
func readBody(resp *http.Response) ([]byte, error) {
	size := 512
	if n := resp.ContentLength; n > 0 && n <= maxResponseBytes {
		size = int(n) + bytes.MinRead // ReadFrom wants MinRead spare bytes to see EOF without growing
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, maxResponseBytes+1))
	b := buf.Bytes()
	if err != nil {
		return b, fmt.Errorf("reading response: %w", err)
	}
	if len(b) > maxResponseBytes {
		return b[:maxResponseBytes], fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	return b, nil
}

// shouldRetry applies the call's retry policy to one attempt's outcome. The
// status decides first: a 4xx is final even if its body could not be read.
func shouldRetry(st *call, resp *http.Response, err error) bool {
	if err != nil {
		if st.policy == retryUnsent {
			return notSent(err)
		}
		return retryableTransportError(err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return st.policy == retryIdempotent
	}
	// A 2xx whose body was cut off: the call may have been carried out.
	return st.readErr != nil && resp.StatusCode < 300 && st.policy == retryIdempotent
}

// notSent reports whether err proves the request never reached a server: the
// connection was never made.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// retryableTransportError leaves out failures a retry cannot fix.
func retryableTransportError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuthority) {
		return false
	}
	return !strings.Contains(err.Error(), "unsupported protocol scheme")
}

// ambiguous reports whether a failed call may still have been carried out by
// SMTP2GO: a 5xx, a 2xx that did not decode, or a transport failure after the
// request may have been sent.
func ambiguous(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500 || apiErr.StatusCode < 300 // a 5xx, or a 2xx that did not decode
	}
	var netErr *NetworkError
	return errors.As(err, &netErr) && !notSent(netErr.Err)
}

func (c *Client) logAttempt(ctx context.Context, st *call, resp *http.Response, err error) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []any{
		slog.String("method", http.MethodPost),
		slog.String("endpoint", st.endpoint),
		slog.Int("attempt", st.attempts),
		slog.Duration("duration", time.Since(st.start)),
	}
	if resp != nil {
		var env struct {
			RequestID string `json:"request_id"`
		}
		_ = json.Unmarshal(st.body, &env)
		attrs = append(attrs, slog.Int("status", resp.StatusCode), slog.String("request_id", env.RequestID))
	} else if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.logger.DebugContext(ctx, "smtp2go: request", attrs...)
}

// backoff waits between min·2ⁿ and twice that, at random, capped at max, so
// that clients that failed together do not retry together; a Retry-After
// from a 429 or 503 is honoured, but never beyond max.
func backoff(min, max time.Duration, n int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header); ok {
			return clamp(d, min, max)
		}
	}
	d := max
	if n < 30 && min > 0 && min<<n > 0 && min<<n < max {
		d = min << n
	}
	if d > 0 {
		d += rand.N(d)
	}
	return clamp(d, min, max)
}

func clamp(d, min, max time.Duration) time.Duration {
	if d < min {
		return min
	}
	if d > max {
		return max
	}
	return d
}

// waitFits reports whether the wait a Retry-After asks for ends before the
// context's deadline. Without either, it does.
func waitFits(ctx context.Context, resp *http.Response, min, max time.Duration) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return true
	}
	d, ok := retryAfter(resp.Header)
	return !ok || time.Now().Add(clamp(d, min, max)).Before(deadline)
}

// retryAfter parses a Retry-After header, in seconds or as an HTTP date.
func retryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
