package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/relaykit/smtp2go/internal/keylock"
)

// authRealm names the protection space in WWW-Authenticate challenges.
const authRealm = "smtp2go-webhook"

// EventFunc processes one event received by the handler of [NewHandler].
// Returning nil acknowledges the event. Returning an error (or panicking)
// answers 500, so that SMTP2GO delivers the event again later, for up to 48
// hours.
//
// ctx is the request's context: it ends if SMTP2GO goes away, and when the
// claim's lease runs out (see [WithLease]). SMTP2GO waits 10 seconds for an
// answer and counts a slower one as a failure, so the function should be
// fast: store the event or put it on a queue, and do the slow work elsewhere.
type EventFunc func(ctx context.Context, ev *Event) error

// storeTimeout bounds the call that completes or releases a claim, which
// must outlive the request (SMTP2GO may have gone away) but not hang on a
// store that cannot be reached. Claim is bounded by the request and the lease.
const storeTimeout = 5 * time.Second

// NewHandler returns an http.Handler that receives SMTP2GO deliveries and
// calls fn for each event, once, however often SMTP2GO delivers it and
// however many replicas share the work (see [Deduplicator] for the exact
// guarantee).
//
// It answers:
//   - 405 (with Allow: POST) to anything but POST;
//   - 401 (with a WWW-Authenticate challenge) when credentials are configured
//     and the request lacks them, before reading the body;
//   - 413 to a body over the limit (see [WithMaxBodyBytes]);
//   - 408 to a body that does not arrive in time (see [WithReadTimeout]);
//   - 415 to a Content-Type other than form, JSON or multipart form;
//   - 400 to a body that does not parse, with the reason as one line of text;
//   - 200 to an event already processed, without calling fn;
//   - 409 to an event that another replica is processing now, so that
//     SMTP2GO tries again later: if that replica fails or dies, the later
//     delivery is processed;
//   - 500 when fn returns an error or panics, or the deduplication store
//     fails (a claim it may have taken is released), and SMTP2GO delivers
//     the event again;
//   - 503 when the client went away while the delivery waited for another
//     delivery of the same event in this process to finish;
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
// default) never for the same one: within one process, a delivery of an event
// being processed waits for the first to finish rather than answering 409.
// The handler starts no goroutines of its own.
func NewHandler(fn EventFunc, opts ...Option) http.Handler {
	cfg := config{
		maxBodyBytes: DefaultMaxBodyBytes,
		readTimeout:  DefaultReadTimeout,
		dedup:        NewMemoryDeduplicator(0, 0),
		lease:        DefaultLease,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	return &handler{fn: fn, cfg: cfg}
}

type handler struct {
	fn     EventFunc
	cfg    config
	locks  keylock.Set // serialises deliveries of one event within this process
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
	body, err := h.readBody(w, r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return answerError(w, http.StatusRequestEntityTooLarge, "body too large", "too large")
		case errors.Is(err, os.ErrDeadlineExceeded):
			return answerError(w, http.StatusRequestTimeout, "body not received in time", "read timeout")
		}
		return answerError(w, http.StatusBadRequest, "could not read body", "unreadable body")
	}
	ev, err := parseBody(kind, boundary, body)
	if err != nil {
		return answerError(w, http.StatusBadRequest, err.Error(), "malformed")
	}
	if h.cfg.dedup == nil {
		return h.process(w, r, ev, nil)
	}

	key := ev.DedupKey()
	unlock, err := h.locks.Lock(ctx, key, h.onWait)
	if err != nil {
		return answerEventError(w, ev, http.StatusServiceUnavailable, "delivery of this event in progress", "gave up waiting")
	}
	defer unlock()
	c := &claim{key: key, token: rand.Text(), expires: time.Now().Add(h.cfg.lease)}
	// The claim and the callback share one context, which ends with the
	// lease, or when SMTP2GO goes away.
	var cancel context.CancelFunc
	c.ctx, cancel = context.WithDeadline(ctx, c.expires)
	defer cancel()
	state, err := h.cfg.dedup.Claim(c.ctx, c.key, c.token, h.cfg.lease)
	if err == nil && state == Claimed && c.ctx.Err() != nil {
		err = fmt.Errorf("claim answered after the lease or the request ended: %w", c.ctx.Err())
	}
	switch {
	case err != nil:
		h.log(ctx, slog.LevelError, "smtp2go webhook: deduplication store failed; answering 500 for a redelivery",
			slog.String("event", string(ev.Type)), slog.String("id", ev.ID), slog.Any("error", err))
		// The claim may have been taken although its answer was lost: let
		// the redelivery in rather than make it wait for the lease.
		h.release(ctx, ev, c)
		return answerEventError(w, ev, http.StatusInternalServerError, "deduplication failed", "store failed")
	case state == Done:
		w.WriteHeader(http.StatusOK)
		return deliveryResult{status: http.StatusOK, outcome: "duplicate", ev: ev}
	case state != Claimed:
		return answerEventError(w, ev, http.StatusConflict, "event in progress in another delivery; deliver it again later", "in progress")
	}
	return h.process(w, r, ev, c)
}

// claim is what a delivery holds in the store while its callback runs.
type claim struct {
	key, token string
	expires    time.Time       // no later than the store's lease ends
	ctx        context.Context // ends at expires, or with the request
}

// readBody reads r's body within the size and time limits.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	// A ResponseWriter without a connection (httptest.ResponseRecorder) has
	// no deadline to set.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(h.cfg.readTimeout))
	return readRequestBody(w, r, h.cfg.maxBodyBytes)
}

// process runs the callback and answers. With a claim (c not nil), the
// callback's context ends with the lease, and the claim is completed when fn
// succeeds and released when it fails, so that the redelivery is processed.
func (h *handler) process(w http.ResponseWriter, r *http.Request, ev *Event, c *claim) deliveryResult {
	ctx := r.Context()
	if c == nil {
		panicked, err := h.call(ctx, ev)
		return h.answer(ctx, w, ev, panicked, err)
	}
	panicked, err := h.call(c.ctx, ev)
	if err != nil {
		h.release(ctx, ev, c)
		return h.answer(ctx, w, ev, panicked, err)
	}
	sctx, cancel := outcomeContext(ctx)
	defer cancel()
	if cerr := h.cfg.dedup.Complete(sctx, c.key, c.token); cerr != nil {
		// The work is done: answering 500 would only make SMTP2GO deliver it again.
		h.log(ctx, slog.LevelError, "smtp2go webhook: deduplication store could not mark an event processed; a redelivery after the lease may run the callback again",
			slog.String("event", string(ev.Type)), slog.String("id", ev.ID), slog.Any("error", cerr))
	}
	return h.answer(ctx, w, ev, false, nil)
}

// release drops c, so that the redelivery of ev is processed; if the store
// fails, the claim holds until its lease ends.
func (h *handler) release(ctx context.Context, ev *Event, c *claim) {
	sctx, cancel := outcomeContext(ctx)
	defer cancel()
	if err := h.cfg.dedup.Release(sctx, c.key, c.token); err != nil {
		h.log(ctx, slog.LevelError, "smtp2go webhook: deduplication store could not release a failed event; its redelivery is processed once the lease expires",
			slog.String("event", string(ev.Type)), slog.String("id", ev.ID), slog.Any("error", err))
	}
}

// outcomeContext is the context that completes or releases a claim: not
// cancelled with the request, since the outcome must reach the store even
// when SMTP2GO has gone away, but bounded.
func outcomeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}

// answer writes 200 when fn succeeded, and 500 when it failed or panicked.
func (h *handler) answer(ctx context.Context, w http.ResponseWriter, ev *Event, panicked bool, err error) deliveryResult {
	if err == nil {
		w.WriteHeader(http.StatusOK)
		return deliveryResult{status: http.StatusOK, outcome: "processed", ev: ev}
	}
	if !panicked {
		h.log(ctx, slog.LevelError, "smtp2go webhook: event handler failed; answering 500 for a redelivery",
			slog.String("event", string(ev.Type)), slog.String("id", ev.ID), slog.Any("error", err))
	}
	return answerEventError(w, ev, http.StatusInternalServerError, "processing failed", "handler failed")
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

// answerEventError is answerError for a delivery whose event was parsed.
func answerEventError(w http.ResponseWriter, ev *Event, status int, msg, outcome string) deliveryResult {
	res := answerError(w, status, msg, outcome)
	res.ev = ev
	return res
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
// limit. w may be nil. Memory grows with the bytes that arrive, never ahead
// of them for a declared Content-Length: a client that declares a megabyte
// and stalls holds only initialBodyBuffer.
func readRequestBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(min(r.ContentLength, initialBodyBuffer)) + bytes.MinRead) // room to see EOF without growing
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	return buf.Bytes(), err
}

// initialBodyBuffer is the most memory reserved for a body before it
// arrives: SMTP2GO's deliveries are a few kilobytes.
const initialBodyBuffer = 16 << 10
