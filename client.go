package smtp2go

import (
	"cmp"
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
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/go-retryablehttp"
)

// Version is the SDK's version, sent in the User-Agent.
const Version = "0.1.0"

// The environment variables [NewClientFromEnv] reads.
const (
	apiKeyEnv  = "SMTP2GO_API_KEY"
	regionEnv  = "SMTP2GO_REGION"
	baseURLEnv = "SMTP2GO_BASE_URL"
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

	apiKey                     *Secret  // a pointer, so that fmt prints its address, not the key
	baseURL                    *url.URL // where requests go: explicitBase, else region's
	explicitBase               *url.URL // from WithBaseURL
	region                     Region   // from WithRegion
	userHTTP                   *http.Client
	retryMax                   int
	retryWaitMin, retryWaitMax time.Duration
	timeout                    time.Duration
	userAgent                  string
	logger                     *slog.Logger
	rc                         *retryablehttp.Client // sends every call, with retries
}

// NewClient returns a client that authenticates with apiKey, which is sent
// only in the X-Smtp2go-Api-Key header. An empty apiKey, or one holding
// whitespace, is an error wrapping [ErrInvalidRequest]: NewClient never
// reads the environment, so that a configuration that left the key out
// does not pick up whatever key the shell has. To read it from
// SMTP2GO_API_KEY, use [NewClientFromEnv].
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	if err := checkKey("api key", apiKey, "empty: pass one, or use NewClientFromEnv to read "+apiKeyEnv); err != nil {
		return nil, err
	}
	return newClient(apiKey, nil, opts)
}

// NewClientFromEnv returns a client configured from the environment: the API
// key from SMTP2GO_API_KEY (required), and, when they are set, the region
// from SMTP2GO_REGION and the base URL from SMTP2GO_BASE_URL; a variable
// that is blank (empty, or only spaces) counts as not set. opts win over
// the environment: a [WithRegion] or [WithBaseURL] among them replaces both
// variables, which are then not checked. A missing key or an invalid value
// is an error wrapping [ErrInvalidRequest] that names the variable. It never
// shows the key; it quotes an invalid region, and an invalid base URL with
// any password and query values redacted (as [RedactURL] does): neither is
// a secret.
func NewClientFromEnv(opts ...Option) (*Client, error) {
	return NewClientFromGetenv(os.Getenv, opts...)
}

// NewClientFromGetenv is [NewClientFromEnv] with the environment read
// through getenv, for a program that holds its environment as a value (a
// command line under test, say) rather than in its process.
func NewClientFromGetenv(getenv func(string) string, opts ...Option) (*Client, error) {
	if getenv == nil {
		return nil, invalid("getenv", "nil")
	}
	key := getenv(apiKeyEnv)
	if err := checkKey(apiKeyEnv, key, "not set: export the API key, or pass it to NewClient"); err != nil {
		return nil, err
	}
	var fromEnv []Option
	if v := strings.TrimSpace(getenv(regionEnv)); v != "" {
		fromEnv = append(fromEnv, named(regionEnv, WithRegion(Region(strings.ToLower(v)))))
	}
	if v := strings.TrimSpace(getenv(baseURLEnv)); v != "" {
		fromEnv = append(fromEnv, named(baseURLEnv, WithBaseURL(v)))
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

// checkKey refuses an empty API key, saying ifEmpty, and one with whitespace
// or control characters.
func checkKey(field, key, ifEmpty string) error {
	switch {
	case key == "":
		return invalid(field, "%s", ifEmpty)
	case strings.IndexFunc(key, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return invalid(field, "contains whitespace or control characters (a stray newline from a file?)")
	}
	return nil
}

// newClient applies opts, then the defaults (from the environment, which
// say only where to send) unless opts say where to send, and builds the
// client with apiKey, which the caller has checked. Where to send is decided
// last: WithBaseURL wins over WithRegion whatever their order, so that a test
// configuration never reaches SMTP2GO because of the order of options.
func newClient(apiKey string, defaults, opts []Option) (*Client, error) {
	c := &Client{
		apiKey:       Ptr(Secret(apiKey)),
		userHTTP:     http.DefaultClient,
		retryMax:     3,                      // as WithRetryMax says
		retryWaitMin: 500 * time.Millisecond, // as WithRetryWait says
		retryWaitMax: 10 * time.Second,
		timeout:      30 * time.Second, // as WithTimeout says
		userAgent:    defaultUserAgent,
	}
	if err := c.apply(opts); err != nil {
		return nil, err
	}
	if c.explicitBase == nil && c.region == "" {
		if err := c.apply(defaults); err != nil {
			return nil, err
		}
	}
	c.baseURL = c.explicitBase
	if c.baseURL == nil {
		c.baseURL, _ = url.Parse(c.region.baseURL()) // "" is RegionGlobal
	}
	timeout := c.timeout
	if t := c.userHTTP.Timeout; t > 0 && t < timeout {
		timeout = t
	}
	c.rc = &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport: &attemptTransport{hc: c.userHTTP, logger: c.logger, base: c.baseURL.String()},
			Timeout:   timeout,
			// A redirect would take the API key, and the body with its
			// secrets, elsewhere: a 3xx is answered as an *APIError instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		RetryWaitMin:   c.retryWaitMin,
		RetryWaitMax:   c.retryWaitMax,
		RetryMax:       c.retryMax,
		CheckRetry:     c.checkRetry,
		Backoff:        backoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler, // the last response comes back, its body unread
		RequestLogHook: countAttempt,
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

// BaseURL returns the API base URL the client sends to, ending in "/". It is
// "" for a Client not made by NewClient or NewClientFromEnv.
func (c *Client) BaseURL() string {
	if c == nil || c.baseURL == nil {
		return ""
	}
	return c.baseURL.String()
}

// errNoClient is the error of calls on a Client or WebhooksService that no
// constructor made: it has no key and no transport.
var errNoClient = errors.New("smtp2go: the Client was not made by NewClient or NewClientFromEnv")

// attemptTransport sends each attempt as [WithHTTPClient] says, and logs it
// as [WithLogger] says.
type attemptTransport struct {
	hc     *http.Client
	logger *slog.Logger
	base   string // the API base URL, cut from logged URLs to name the endpoint
}

func (t *attemptTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt := cmp.Or(t.hc.Transport, http.DefaultTransport)
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

// call is one call of the SDK's request path, carried in its request's context
// so that the Client's one retryablehttp.Client can tell calls apart: the retry
// policy reads which endpoint it is, the request hook writes how many attempts
// the library has made, and the response handler decodes a 2xx body into out.
type call struct {
	endpoint  string
	out       any
	attempts  int // set from the library's attempt number before each attempt
	requestID string
}

type callKey struct{}

// countAttempt is the RequestLogHook: retryablehttp calls it before each
// attempt with the number of the retry, 0 for the first attempt.
func countAttempt(_ retryablehttp.Logger, r *http.Request, retry int) {
	if cl, ok := r.Context().Value(callKey{}).(*call); ok {
		cl.attempts = retry + 1
	}
}

// readOK is the response handler, which retryablehttp runs on a response
// its policy does not retry. It reads and decodes a 2xx body, so that one
// cut off is an error that checkRetry retries like a failed attempt. Any
// other status it leaves to do, which reads the body into an *APIError.
func (cl *call) readOK(resp *http.Response) error {
	if !success(resp.StatusCode) {
		return nil
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return err
	}
	cl.requestID, err = decode(body, cl.out)
	return err
}

// checkRetry is retryablehttp's DefaultRetryPolicy, which stops when ctx is
// done and retries transport errors (but those a retry cannot fix: bad
// certificates, schemes or headers), 429 and 5xx (but 501), and an error of the
// response handler (a 2xx whose body was cut off); with two rules of its own.
// webhook/add, which a second time could create a second webhook, is retried
// only after a 429 or a failure that proves the request never reached SMTP2GO.
// And no retry is made whose shortest wait outlasts the context, so that the
// caller gets the last failure rather than a bare deadline error.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	var undecodable *undecodableError
	if errors.As(err, &undecodable) {
		return false, nil // the whole body arrived, and it is not SMTP2GO's: asking again will not change it
	}
	if ctx.Err() != nil {
		return false, err // the attempt's own failure, or its response, stands
	}
	retry, checkErr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	cl, ok := ctx.Value(callKey{}).(*call)
	if !ok {
		cl = &call{} // a policy called outside do
	}
	if retry && cl.endpoint == "webhook/add" {
		if resp != nil {
			retry = resp.StatusCode == http.StatusTooManyRequests
		} else {
			retry = classify(err) == failNotSent
		}
	}
	if deadline, ok := ctx.Deadline(); retry && ok {
		shortest := clamp(retryablehttp.DefaultBackoff(c.retryWaitMin, c.retryWaitMax, max(cl.attempts-1, 0), resp), c.retryWaitMin, c.retryWaitMax)
		retry = time.Now().Add(shortest).Before(deadline)
	}
	return retry, checkErr
}

// undecodableError is why a 2xx body could not be used: it was not JSON of
// the shape expected, or it lacked what the call needs.
type undecodableError struct{ err error }

func (e *undecodableError) Error() string { return e.err.Error() }
func (e *undecodableError) Unwrap() error { return e.err }

// bodyDecoder is a response data type that can decode the whole body of
// the answer SMTP2GO usually sends in one pass, where decoding its data
// through UnmarshalJSON would scan it again. ok is false for any other
// body, which decode then reads the general way.
type bodyDecoder interface {
	decodeBody(body []byte) (requestID string, ok bool)
}

// checker is a response data type that can tell, once decoded, that it
// lacks what the call needs: webhook/add's answer must hold a webhook.
type checker interface{ check() error }

// decode reads SMTP2GO's envelope, its data member straight into out (which
// may be nil), and returns its request_id.
func decode(body []byte, out any) (requestID string, err error) {
	decoded := false
	if d, ok := out.(bodyDecoder); ok {
		requestID, decoded = d.decodeBody(body)
	}
	if !decoded {
		env := struct {
			RequestID string `json:"request_id"`
			Data      any    `json:"data"`
		}{Data: out}
		if out == nil {
			env.Data = &json.RawMessage{}
		}
		err = json.Unmarshal(body, &env)
		requestID = env.RequestID
	}
	if c, ok := out.(checker); ok && err == nil {
		err = c.check()
	}
	if err != nil {
		return requestID, &undecodableError{err}
	}
	return requestID, nil
}

func success(status int) bool { return status >= 200 && status <= 299 }

// do is the one request path of the SDK: encode in as JSON, POST it to
// endpoint through the Client's retryablehttp.Client, and decode the data
// member of the response into out (which may be nil). It returns SMTP2GO's
// request ID and the attempts made. sent is the webhook whose secrets in
// carries (nil if none): no error holds them. Failures are *APIError or
// *NetworkError (one that unwraps to the context's error if the context
// ended during an attempt or while waiting to retry).
func (c *Client) do(ctx context.Context, endpoint string, in any, sent *Webhook, out any) (requestID string, attempts int, err error) {
	if c == nil || c.rc == nil {
		return "", 0, errNoClient
	}
	if err := ctx.Err(); err != nil {
		return "", 0, &NetworkError{Endpoint: endpoint, Err: err}
	}
	payload, err := json.Marshal(in)
	if err != nil {
		return "", 0, fmt.Errorf("smtp2go: %s: encoding request: %w", endpoint, err)
	}
	cl := &call{endpoint: endpoint, out: out}
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, callKey{}, cl), http.MethodPost, c.baseURL.String()+endpoint, payload)
	if err != nil {
		return "", 0, fmt.Errorf("smtp2go: %s: %w", endpoint, err)
	}
	req.Header.Set(apiKeyHeader, c.apiKey.Reveal())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.SetResponseHandler(cl.readOK)

	resp, err := c.rc.Do(req)
	switch {
	case err == nil && success(resp.StatusCode):
		return cl.requestID, cl.attempts, nil
	case err == nil:
		// A status the policy did not retry, or the last of those it did:
		// its body is unread.
		defer resp.Body.Close()
		body, readErr := readBody(resp)
		if readErr != nil {
			return "", cl.attempts, &NetworkError{Endpoint: endpoint, Attempts: cl.attempts, Err: readErr}
		}
		apiErr := newAPIError(endpoint, resp.StatusCode, body, c.secrets(sent))
		apiErr.Attempts = cl.attempts
		apiErr.RetryAfter = retryablehttp.DefaultBackoff(0, 0, 0, resp) // Retry-After of a 429 or a 503, else 0
		return "", cl.attempts, apiErr
	}
	var undecodable *undecodableError
	if errors.As(err, &undecodable) {
		// No excerpt of a 2xx body: it is webhook data, secrets included.
		return "", cl.attempts, &APIError{
			Endpoint:   endpoint,
			StatusCode: resp.StatusCode,
			RequestID:  scrub(cl.requestID, c.secrets(sent)),
			Attempts:   cl.attempts,
			decodeErr:  undecodable.err,
		}
	}
	netErr := &NetworkError{Endpoint: endpoint, Attempts: cl.attempts, Err: err}
	// retryablehttp returns the context's error itself when it ended while
	// waiting to retry, and only a webhook/add that created nothing waits.
	netErr.unsent = err == ctx.Err() && endpoint == "webhook/add"
	if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
		netErr.Err = cerr // not the *url.Error that says so with the URL
	}
	return "", cl.attempts, netErr
}

// readBody reads a whole response body, at most maxResponseBytes of it.
func readBody(resp *http.Response) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return b, fmt.Errorf("reading response: %w", err)
	}
	if len(b) > maxResponseBytes {
		return b[:maxResponseBytes], fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	return b, nil
}

// backoff is the wait before a retry, as [WithRetryWait] says: retryablehttp's
// DefaultBackoff (a 429's or 503's Retry-After, else min·2ⁿ capped at max),
// with jitter so that clients that failed together do not retry together.
func backoff(min, max time.Duration, n int, resp *http.Response) time.Duration {
	d := retryablehttp.DefaultBackoff(min, max, n, resp)
	if d > 0 && d == retryablehttp.DefaultBackoff(min, max, n, nil) {
		d += rand.N(d) // not a Retry-After
	}
	return clamp(d, min, max)
}

func clamp(d, lo, hi time.Duration) time.Duration { return max(lo, min(d, hi)) }

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
