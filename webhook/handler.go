package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/relaykit/smtp2go/internal/keylock"
)

// authRealm names the protection space in WWW-Authenticate challenges.
const authRealm = "smtp2go-webhook"

// EventFunc processes one event received by the handler of
// [NewHandler]. Returning nil acknowledges the event. Returning an
// error (or panicking) answers 500, so that SMTP2GO delivers the event again
// later, for up to 48 hours.
//
// ctx is the request's context: it is cancelled if SMTP2GO goes away. SMTP2GO
// waits 10 seconds for an answer and counts a slower one as a failure, so the
// function should be fast: store the event or put it on a queue, and do the
// slow work elsewhere.
type EventFunc func(ctx context.Context, ev *Event) error

// Option configures the handler of [NewHandler].
type Option func(*config)

type config struct {
	basic        []basicCredential
	bearer       []bearerCredential
	maxBodyBytes int64
	dedup        Deduplicator
	dedupSet     bool // WithDeduplicator was given, perhaps with nil
	logger       *slog.Logger
}

// Credentials are kept as SHA-256 digests, so that comparing them takes the
// same time whatever their length and contents.
type basicCredential struct {
	user, pass [sha256.Size]byte
	usable     int // 1, or 0 for a credential that must never match
}

type bearerCredential struct {
	token  [sha256.Size]byte
	usable int // 1, or 0 for a credential that must never match
}

// WithBasicAuth makes the handler require "Authorization: Basic" with this
// user and password, as SMTP2GO sends when the webhook's auth_header_type is
// "basic" or its URL holds user:password@. Give it several times to accept
// several credentials while rotating them; it combines with [WithBearerToken]:
// any configured credential is accepted.
//
// An empty password never matches: the handler still requires credentials, so
// a secret missing from the configuration fails closed (every delivery answers
// 401) rather than open.
func WithBasicAuth(user, pass string) Option {
	return func(c *config) {
		cred := basicCredential{user: sha256.Sum256([]byte(user)), pass: sha256.Sum256([]byte(pass))}
		if pass != "" {
			cred.usable = 1
		}
		c.basic = append(c.basic, cred)
	}
}

// WithBearerToken makes the handler require "Authorization: Bearer" with this
// token, as SMTP2GO sends when the webhook's auth_header_type is "bearer".
// Give it several times to accept several tokens while rotating them; it
// combines with [WithBasicAuth]: any configured credential is accepted.
// Surrounding white space is ignored.
//
// An empty token never matches: the handler still requires credentials, so a
// secret missing from the configuration fails closed rather than open.
func WithBearerToken(token string) Option {
	return func(c *config) {
		token = strings.TrimSpace(token)
		cred := bearerCredential{token: sha256.Sum256([]byte(token))}
		if token != "" {
			cred.usable = 1
		}
		c.bearer = append(c.bearer, cred)
	}
}

// WithMaxBodyBytes sets the largest body the handler reads, [DefaultMaxBodyBytes]
// (1 MiB) by default; a larger one is answered 413. Zero or less keeps the
// default.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxBodyBytes = n
		}
	}
}

// WithDeduplicator sets how the handler recognises redeliveries. The default
// is a [MemoryDeduplicator] of its own, remembering 100,000 events for 48
// hours; use a shared store when several instances receive deliveries. nil
// turns deduplication off: every delivery runs the callback, concurrently too.
// See [Deduplicator] for what an implementation must do.
func WithDeduplicator(d Deduplicator) Option {
	return func(c *config) {
		c.dedup = d
		c.dedupSet = true
	}
}

// WithLogger makes the handler log: one debug line per delivery (event
// type and ID, status, outcome, duration), a warning on failed authentication,
// and an error when the callback fails or panics (with the stack) or the
// deduplicator fails. Credentials, the Authorization header and event contents
// are never logged. Without this option the handler logs nothing at all.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// NewHandler returns an http.Handler that receives SMTP2GO deliveries
// and calls fn once per event, whatever the number of redeliveries.
//
// It answers:
//   - 405 (with Allow: POST) to anything but POST;
//   - 401 (with a WWW-Authenticate challenge) when credentials are configured
//     and the request lacks them, before reading the body;
//   - 413 to a body over the limit (see [WithMaxBodyBytes]);
//   - 415 to a Content-Type other than form, JSON or multipart form;
//   - 400 to a body that does not parse, with the reason as one line of text;
//   - 200 to an event already processed, without calling fn;
//   - 500 when fn returns an error or panics, or the deduplicator fails: the
//     event is unmarked (see [DeduplicatorForgetter]), and SMTP2GO delivers
//     it again later;
//   - 503 when the client went away while the delivery waited for another
//     delivery of the same event to finish;
//   - 200 with an empty body when fn returns nil.
//
// Error answers never carry fn's error text. A nil fn answers 500 to every
// authenticated delivery, so that a wiring mistake loses no events.
//
// SMTP2GO signs nothing: without [WithBasicAuth] or [WithBearerToken] the
// handler accepts deliveries from anyone who finds the URL. Configure the
// same credentials on the webhook (auth_header_type and auth_header_value).
//
// fn runs concurrently for different events, but with deduplication on (the
// default) never for the same one (see
// [Deduplicator]). The handler starts no goroutines of its own.
func NewHandler(fn EventFunc, opts ...Option) http.Handler {
	cfg := config{maxBodyBytes: DefaultMaxBodyBytes}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	if !cfg.dedupSet {
		cfg.dedup = NewMemoryDeduplicator(0, 0)
	}
	return &handler{fn: fn, cfg: cfg}
}

type handler struct {
	fn     EventFunc
	cfg    config
	locks  keylock.Set // serialises deliveries of one event, so the callback never runs twice at once for it
	onWait func()      // called when a delivery starts waiting for another of the same event; tests set it
}

// deliveryResult is what the handler did with a request, for the log.
type deliveryResult struct {
	status  int
	outcome string
	ev      *Event
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	logger := h.cfg.logger
	if logger == nil || !logger.Enabled(r.Context(), slog.LevelDebug) {
		h.serve(w, r)
		return
	}
	start := time.Now()
	res := h.serve(w, r)
	attrs := []slog.Attr{
		slog.Int("status", res.status),
		slog.String("outcome", res.outcome),
		slog.Duration("duration", time.Since(start)),
	}
	if res.ev != nil {
		attrs = append(attrs, slog.String("event", string(res.ev.Type)), slog.String("id", res.ev.ID))
	}
	logger.LogAttrs(r.Context(), slog.LevelDebug, "smtp2go webhook delivery", attrs...)
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request) deliveryResult {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return answerError(w, http.StatusMethodNotAllowed, "method not allowed", "bad method")
	}
	if len(h.cfg.basic) > 0 || len(h.cfg.bearer) > 0 {
		if reason := h.cfg.authenticate(r); reason != "" {
			h.log(ctx, slog.LevelWarn, "smtp2go webhook: authentication failed",
				slog.String("reason", reason), slog.String("remote_addr", r.RemoteAddr))
			if len(h.cfg.basic) > 0 {
				w.Header().Add("WWW-Authenticate", `Basic realm="`+authRealm+`"`)
			}
			if len(h.cfg.bearer) > 0 {
				w.Header().Add("WWW-Authenticate", `Bearer realm="`+authRealm+`"`)
			}
			return answerError(w, http.StatusUnauthorized, "unauthorized", "unauthorized")
		}
	}
	if h.fn == nil {
		h.log(ctx, slog.LevelError, "smtp2go webhook: no EventFunc configured; answering 500")
		return answerError(w, http.StatusInternalServerError, "no event handler configured", "no handler")
	}
	if r.ContentLength > h.cfg.maxBodyBytes {
		return answerError(w, http.StatusRequestEntityTooLarge, "body too large", "too large")
	}
	kind, boundary, err := mediaKind(r.Header.Get("Content-Type"))
	if err != nil {
		return answerError(w, http.StatusUnsupportedMediaType, err.Error(), "unsupported content type")
	}
	body, err := readRequestBody(w, r, h.cfg.maxBodyBytes)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return answerError(w, http.StatusRequestEntityTooLarge, "body too large", "too large")
		}
		return answerError(w, http.StatusBadRequest, "could not read body", "unreadable body")
	}
	ev, err := parseEvent(kind, boundary, body)
	if err != nil {
		return answerError(w, http.StatusBadRequest, err.Error(), "malformed")
	}

	dedup := h.cfg.dedup
	if dedup == nil {
		return h.process(w, r, ev, "")
	}
	key := ev.DedupKey()
	unlock, err := h.locks.Lock(ctx, key, h.onWait)
	if err != nil {
		res := answerError(w, http.StatusServiceUnavailable, "delivery of this event in progress", "gave up waiting")
		res.ev = ev
		return res
	}
	defer unlock()
	seen, err := dedup.Seen(ctx, key)
	if err != nil {
		h.log(ctx, slog.LevelError, "smtp2go webhook: deduplicator failed; answering 500 for a redelivery",
			slog.String("event", string(ev.Type)), slog.String("id", ev.ID), slog.Any("error", err))
		res := answerError(w, http.StatusInternalServerError, "deduplication failed", "dedup failed")
		res.ev = ev
		return res
	}
	if seen {
		w.WriteHeader(http.StatusOK)
		return deliveryResult{status: http.StatusOK, outcome: "duplicate", ev: ev}
	}
	return h.process(w, r, ev, key)
}

// process runs the callback and answers. On failure it unmarks key, if any,
// so that the redelivery is processed.
func (h *handler) process(w http.ResponseWriter, r *http.Request, ev *Event, key string) deliveryResult {
	ctx := r.Context()
	panicked, err := h.call(ctx, ev)
	if err == nil {
		w.WriteHeader(http.StatusOK)
		return deliveryResult{status: http.StatusOK, outcome: "processed", ev: ev}
	}
	if f, ok := h.cfg.dedup.(DeduplicatorForgetter); ok && key != "" {
		// Not cancelled with the request: a missed Forget would lose the event.
		if ferr := f.Forget(context.WithoutCancel(ctx), key); ferr != nil {
			h.log(ctx, slog.LevelError, "smtp2go webhook: deduplicator could not forget a failed event; its redelivery will be dropped",
				slog.String("event", string(ev.Type)), slog.String("id", ev.ID), slog.Any("error", ferr))
		}
	}
	if !panicked {
		h.log(ctx, slog.LevelError, "smtp2go webhook: event handler failed; answering 500 for a redelivery",
			slog.String("event", string(ev.Type)), slog.String("id", ev.ID), slog.Any("error", err))
	}
	res := answerError(w, http.StatusInternalServerError, "processing failed", "handler failed")
	res.ev = ev
	return res
}

// call runs the callback, turning a panic into an error.
func (h *handler) call(ctx context.Context, ev *Event) (panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked, err = true, fmt.Errorf("webhook: event handler panicked: %v", p)
			h.log(ctx, slog.LevelError, "smtp2go webhook: event handler panicked; answering 500 for a redelivery",
				slog.String("event", string(ev.Type)), slog.String("id", ev.ID),
				slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
		}
	}()
	return false, h.fn(ctx, ev)
}

func (h *handler) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if h.cfg.logger != nil {
		h.cfg.logger.LogAttrs(ctx, level, msg, attrs...)
	}
}

// answerError writes an error status with a one-line plain-text reason.
func answerError(w http.ResponseWriter, status int, msg, outcome string) deliveryResult {
	http.Error(w, msg, status)
	return deliveryResult{status: status, outcome: outcome}
}

// authenticate checks the Authorization header against every configured
// credential, in constant time, and says why it failed, or "" if it did not.
// The reason never contains the header.
func (c *config) authenticate(r *http.Request) string {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return "no Authorization header"
	}
	scheme, rest, _ := strings.Cut(authz, " ")
	match := 0
	switch {
	case strings.EqualFold(scheme, "Basic") && len(c.basic) > 0:
		user, pass, ok := r.BasicAuth()
		if !ok {
			return "malformed Basic credentials"
		}
		u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
		for _, cred := range c.basic {
			match |= subtle.ConstantTimeCompare(u[:], cred.user[:]) & subtle.ConstantTimeCompare(p[:], cred.pass[:]) & cred.usable
		}
	case strings.EqualFold(scheme, "Bearer") && len(c.bearer) > 0:
		t := sha256.Sum256([]byte(strings.TrimSpace(rest)))
		for _, cred := range c.bearer {
			match |= subtle.ConstantTimeCompare(t[:], cred.token[:]) & cred.usable
		}
	default:
		return "authorization scheme not accepted"
	}
	if match != 1 {
		return "credentials do not match"
	}
	return ""
}

// readRequestBody reads r's body, failing with *http.MaxBytesError beyond
// limit. w may be nil.
func readRequestBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf.Grow(int(r.ContentLength) + bytes.MinRead) // room to see EOF without growing
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	return buf.Bytes(), err
}
