package smtp2go

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
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

// The environment variables [NewClientFromEnv] reads.
const (
	APIKeyEnv  = "SMTP2GO_API_KEY"  // the API key; required
	RegionEnv  = "SMTP2GO_REGION"   // a Region: global, us, eu or au; optional (blank is unset)
	BaseURLEnv = "SMTP2GO_BASE_URL" // an API base URL, as for WithBaseURL; optional (blank is unset)
)

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

// Client talks to SMTP2GO's API. Create one with [NewClient] or
// [NewClientFromEnv] and share it: it is safe for concurrent use.
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
	hc           *http.Client // sends each attempt: the caller's transport, the SDK's timeout, no redirects
}

// NewClient returns a client that authenticates with apiKey, which is sent
// only in the X-Smtp2go-Api-Key header. An empty apiKey, or one holding
// whitespace, is an error wrapping [ErrInvalidRequest]: NewClient never
// reads the environment, so that a configuration that left the key out
// does not pick up whatever key the shell has. To read it from
// SMTP2GO_API_KEY, use [NewClientFromEnv].
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	if apiKey == "" {
		return nil, invalid("api key", "empty: pass one, or use NewClientFromEnv to read %s", APIKeyEnv)
	}
	if err := checkKey("api key", apiKey); err != nil {
		return nil, err
	}
	return newClient(apiKey, nil, opts)
}

// NewClientFromEnv returns a client configured from the environment: the API
// key from SMTP2GO_API_KEY (required), and, when they are set, the region
// from SMTP2GO_REGION and the base URL from SMTP2GO_BASE_URL; a variable
// that is blank (empty, or only spaces) counts as not set. opts win over
// the environment: a [WithRegion] or [WithBaseURL] among them replaces both
// variables. A missing key or an invalid value is an error wrapping
// [ErrInvalidRequest] that names the variable. It never shows the key; it
// quotes an invalid region, and an invalid base URL with any password and
// query values redacted (as [RedactURL] does): neither is a secret.
func NewClientFromEnv(opts ...Option) (*Client, error) {
	key := os.Getenv(APIKeyEnv)
	if key == "" {
		return nil, invalid(APIKeyEnv, "not set: export the API key, or pass it to NewClient")
	}
	if err := checkKey(APIKeyEnv, key); err != nil {
		return nil, err
	}
	var fromEnv []Option
	if v := strings.TrimSpace(os.Getenv(RegionEnv)); v != "" {
		fromEnv = append(fromEnv, named(RegionEnv, WithRegion(Region(strings.ToLower(v)))))
	}
	if v := strings.TrimSpace(os.Getenv(BaseURLEnv)); v != "" {
		fromEnv = append(fromEnv, named(BaseURLEnv, WithBaseURL(v)))
	}
	return newClient(key, fromEnv, opts)
}

// named makes an invalid value of an environment variable name the variable.
func named(variable string, opt Option) Option {
	return func(c *Client) error {
		err := opt(c)
		var ve *ValidationError
		if errors.As(err, &ve) {
			return invalid(variable, "%s", ve.Problem)
		}
		return err
	}
}

// checkKey refuses an API key with whitespace or control characters.
func checkKey(field, key string) error {
	if strings.IndexFunc(key, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return invalid(field, "contains whitespace or control characters (a stray newline from a file?)")
	}
	return nil
}

// newClient applies the defaults (from the environment), then opts, and
// builds the client with apiKey, which the caller has checked. Where to send is decided last: WithBaseURL wins over
// WithRegion whatever their order, so that a test configuration never
// reaches SMTP2GO because of the order of options; and opts that say where
// replace the defaults that do.
func newClient(apiKey string, defaults, opts []Option) (*Client, error) {
	c := &Client{
		apiKey:       apiKey,
		userHTTP:     http.DefaultClient,
		retryMax:     DefaultRetryMax,
		retryWaitMin: DefaultRetryWaitMin,
		retryWaitMax: DefaultRetryWaitMax,
		timeout:      DefaultTimeout,
		userAgent:    defaultUserAgent,
	}
	if err := c.apply(defaults); err != nil {
		return nil, err
	}
	envBase, envRegion := c.explicitBase, c.region
	c.explicitBase, c.region = nil, ""
	if err := c.apply(opts); err != nil {
		return nil, err
	}
	if c.explicitBase == nil && c.region == "" {
		c.explicitBase, c.region = envBase, envRegion
	}
	c.baseURL = c.explicitBase
	if c.baseURL == nil {
		c.baseURL, _ = url.Parse(c.region.BaseURL()) // "" is RegionGlobal
	}
	timeout := c.timeout
	if t := c.userHTTP.Timeout; t > 0 && t < timeout {
		timeout = t
	}
	c.hc = &http.Client{
		Transport: &attemptTransport{hc: c.userHTTP, logger: c.logger, base: c.baseURL.String()},
		Timeout:   timeout,
		// SMTP2GO's API does not redirect. Following one would send the
		// API key header, and the body with its secrets, to wherever it
		// points; a 3xx is answered as an *APIError instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c.Webhooks = &WebhooksService{client: c}
	return c, nil
}

func (c *Client) apply(opts []Option) error {
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(c); err != nil {
			return err
		}
	}
	return nil
}

// retryingClient is go-retryablehttp used as designed: its loop and its
// wait, the call's retry policy built on its own, and no logger of its own
// (attemptTransport logs through slog, and only when asked to). It is made
// for each call (connections are pooled in c.hc, which all calls share) so
// that last, the call's own state, learns what every attempt got: the
// request's response handler reads each response into it, and the policy
// tells it of each attempt that got none. retryablehttp itself, when the
// context ends while it waits to retry, returns the context's error alone.
func (c *Client) retryingClient(policy retryPolicy, last *reply) *retryablehttp.Client {
	check := c.retryIdempotentPolicy
	if policy == retryUnsent {
		check = c.retryUnsentPolicy
	}
	return &retryablehttp.Client{
		HTTPClient:   c.hc,
		RetryWaitMin: c.retryWaitMin,
		RetryWaitMax: c.retryWaitMax,
		RetryMax:     c.retryMax,
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			if resp == nil {
				last.unanswered(err)
			}
			return check(ctx, resp, err)
		},
		Backoff: backoff,
	}
}

// BaseURL returns the API base URL the client sends to, ending in "/". It is
// "" for a Client not made by NewClient or NewClientFromEnv.
func (c *Client) BaseURL() string {
	if c == nil || c.baseURL == nil {
		return ""
	}
	return c.baseURL.String()
}

// errNoClient is returned by calls on a Client, or a WebhooksService, that
// NewClient or NewClientFromEnv did not make: the zero value has no key and
// no transport.
var errNoClient = errors.New("smtp2go: the Client was not made by NewClient or NewClientFromEnv")

// attemptTransport sends each attempt through the Transport of the
// caller's *http.Client, read at each request, so that the caller's client
// is used as it is at call time and never changed. When the Client has a
// logger it logs each attempt: at debug level, or at warn level when it
// failed in a way that is retried (a 429, a 5xx, no response).
type attemptTransport struct {
	hc     *http.Client
	logger *slog.Logger
	base   string // the API base URL, cut from logged URLs to name the endpoint
}

func (t *attemptTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt := t.hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if t.logger == nil {
		return rt.RoundTrip(r)
	}
	start := time.Now()
	resp, err := rt.RoundTrip(r)
	level := slog.LevelDebug
	if err != nil || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		level = slog.LevelWarn
	}
	if t.logger.Enabled(r.Context(), level) {
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("endpoint", strings.TrimPrefix(r.URL.String(), t.base)),
			slog.Duration("duration", time.Since(start)),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		} else {
			attrs = append(attrs, slog.Int("status", resp.StatusCode))
		}
		t.logger.LogAttrs(r.Context(), level, "smtp2go: attempt", attrs...)
	}
	return resp, err
}

// retryPolicy says which failures a call may retry.
type retryPolicy int

const (
	// retryIdempotent retries 429, 5xx (but 501), transport errors a retry
	// can fix, and a 2xx whose body was cut off: for webhook/view, edit
	// and remove, which can be sent again safely.
	retryIdempotent retryPolicy = iota
	// retryUnsent retries only what provably created nothing: 429, and a
	// connection that was never made. webhook/add uses it.
	retryUnsent
)

// retryIdempotentPolicy is retryablehttp's DefaultRetryPolicy, which stops
// when ctx is done and retries transport errors (but those a retry cannot
// fix: bad certificates, schemes or headers), 429 and 5xx (but 501), and an
// error of the response handler: a 2xx whose body was cut off. Every
// response is first handed to the response handler, which reads it whole
// (so that the call keeps the last one) and fails any status but 2xx; for
// those the status alone decides. A 429 whose Retry-After would outlast ctx
// is not retried, so that the caller gets the 429 rather than a bare
// deadline error.
func (c *Client) retryIdempotentPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	var undecodable *undecodableError
	switch {
	case resp != nil && !success(resp.StatusCode) && err == nil:
		return false, nil // not read yet: retryablehttp calls the response handler, then asks again
	case resp != nil && !success(resp.StatusCode):
		err = nil
	case errors.As(err, &undecodable):
		return false, nil // the whole body arrived, and it is not SMTP2GO's: asking again will not change it
	}
	retry, checkErr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	if retry && resp != nil && !waitFits(ctx, resp, c.retryWaitMin, c.retryWaitMax) {
		retry = false
	}
	return retry, checkErr
}

// retryUnsentPolicy narrows retryIdempotentPolicy to what provably created
// nothing: a second webhook/add after a timeout, a reset, a 5xx or a 2xx
// could create a second webhook.
func (c *Client) retryUnsentPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	retry, checkErr := c.retryIdempotentPolicy(ctx, resp, err)
	if resp != nil {
		return retry && resp.StatusCode == http.StatusTooManyRequests, checkErr
	}
	return retry && notSent(err), checkErr
}

// reply is what one call knows of its attempts: how many were made, and
// what the last one got. Its read method is the request's response handler:
// it reads the body whole and decodes it into out, so that a body cut off,
// or one that is not SMTP2GO's, fails the attempt like any other failure,
// for the retry policy to judge.
type reply struct {
	out       any
	attempts  int            // requests sent, retries included
	resp      *http.Response // the last response read
	body      []byte
	requestID string
	err       error // why the body could not be read whole, or decoded
	sendErr   error // why the last attempt got no response; nil if it got one
}

// errNotOK is the response handler's answer to any status but 2xx, for the
// retry policy to judge by the status.
var errNotOK = errors.New("not a 2xx response")

func (r *reply) read(resp *http.Response) error {
	r.attempts++
	r.resp, r.sendErr, r.requestID = resp, nil, ""
	r.body, r.err = readBody(resp)
	resp.Body.Close()
	switch {
	case r.err != nil:
		return r.err
	case !success(resp.StatusCode):
		return errNotOK
	}
	r.requestID, r.err = decode(r.body, r.out)
	return r.err
}

// unanswered notes an attempt that got no response, and why.
func (r *reply) unanswered(err error) {
	r.attempts++
	r.sendErr = err
}

// ok reports whether the last attempt succeeded.
func (r *reply) ok() bool {
	return r.sendErr == nil && r.resp != nil && r.err == nil && success(r.resp.StatusCode)
}

// undecodableError is why a 2xx body could not be used: it was not JSON of
// the shape expected, or it lacked what the call needs.
type undecodableError struct{ err error }

func (e *undecodableError) Error() string { return e.err.Error() }
func (e *undecodableError) Unwrap() error { return e.err }

// checker is a response data type that can tell, once decoded, that it
// lacks what the call needs: webhook/add's answer must hold a webhook.
type checker interface{ check() error }

// decode reads SMTP2GO's envelope in one pass, its data member straight into
// out (which may be nil), and returns its request_id.
func decode(body []byte, out any) (requestID string, err error) {
	env := struct {
		RequestID string `json:"request_id"`
		Data      any    `json:"data"`
	}{Data: out}
	if out == nil {
		env.Data = &json.RawMessage{}
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return env.RequestID, &undecodableError{err}
	}
	if c, ok := out.(checker); ok {
		if err := c.check(); err != nil {
			return env.RequestID, &undecodableError{err}
		}
	}
	return env.RequestID, nil
}

func success(status int) bool { return status >= 200 && status <= 299 }

// do is the one request path of the SDK: encode in as JSON, POST it to
// endpoint with retries, and decode the data member of the response into out
// (which may be nil). It returns SMTP2GO's request ID and the attempts made.
// Failures are *APIError or *NetworkError (one that unwraps to the
// context's error if the context ended during an attempt); if the context
// ended while waiting to retry, the last attempt's failure joined with the
// context's error; or the context's error, if it ended before any attempt.
func (c *Client) do(ctx context.Context, endpoint string, policy retryPolicy, in, out any) (requestID string, attempts int, err error) {
	if c == nil || c.hc == nil {
		return "", 0, errNoClient
	}
	if err := ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("smtp2go: %s: %w", endpoint, err)
	}
	payload, err := json.Marshal(in)
	if err != nil {
		return "", 0, fmt.Errorf("smtp2go: %s: encoding request: %w", endpoint, err)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.baseURL.String()+endpoint, payload)
	if err != nil {
		return "", 0, fmt.Errorf("smtp2go: %s: %w", endpoint, err)
	}
	req.Header.Set(apiKeyHeader, c.apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	last := reply{out: out}
	req.SetResponseHandler(last.read)

	// Do's error tells, in retryablehttp's words, what last knows.
	_, doErr := c.retryingClient(policy, &last).Do(req)
	switch {
	case last.ok():
		return last.requestID, last.attempts, nil
	case last.attempts == 0: // nothing was sent
		return "", 0, fmt.Errorf("smtp2go: %s: %w", endpoint, doErr)
	}
	err = c.failure(endpoint, &last, in)
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(err, cerr) {
			// It ended during the last attempt, which got no answer.
			return "", last.attempts, &NetworkError{Endpoint: endpoint, Attempts: last.attempts, Err: cerr}
		}
		// It ended while waiting to retry: why the last attempt failed still holds.
		return "", last.attempts, fmt.Errorf("%w (gave up: %w)", err, cerr)
	}
	return "", last.attempts, err
}

// failure is the error of a call whose last attempt failed, as last saw it.
func (c *Client) failure(endpoint string, last *reply, in any) error {
	switch {
	case last.sendErr != nil:
		return &NetworkError{Endpoint: endpoint, Attempts: last.attempts, Err: last.sendErr}
	case !success(last.resp.StatusCode):
		apiErr := newAPIError(endpoint, last.resp.StatusCode, last.body, c.secrets(in))
		apiErr.Attempts = last.attempts
		apiErr.RetryAfter, _ = retryAfter(last.resp.Header)
		return apiErr
	}
	var undecodable *undecodableError
	if errors.As(last.err, &undecodable) {
		// No excerpt of a 2xx body: it is webhook data, secrets included.
		return &APIError{
			Endpoint:   endpoint,
			StatusCode: last.resp.StatusCode,
			RequestID:  scrub(last.requestID, c.secrets(in)),
			Attempts:   last.attempts,
			decodeErr:  undecodable.err,
		}
	}
	return &NetworkError{Endpoint: endpoint, Attempts: last.attempts, Err: last.err}
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

// backoff is the wait before a retry: retryablehttp's DefaultBackoff
// (min·2ⁿ, capped at max) with up to as much again added at random, so that
// clients that failed together do not retry together, and never more than
// max; or a 429's or 503's Retry-After, capped at max. A min of 0 retries at
// once (but for a Retry-After).
func backoff(min, max time.Duration, n int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header); ok {
			return clamp(d, min, max)
		}
	}
	d := retryablehttp.DefaultBackoff(min, max, n, nil)
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
