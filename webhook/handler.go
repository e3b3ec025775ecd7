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
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
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
//     fails or panics, and SMTP2GO delivers the event again; a claim the
//     store may have taken is released, unless the store was never reached
//     (its connection refused or not made), when there is none to release;
//   - 503 when the client went away while the delivery waited for another
//     delivery of the same event in this process to finish;
//   - 200 with an empty body when fn returns nil.
//
// Error answers never carry fn's error text. A nil fn answers 500 to every
// authenticated delivery, so that a wiring mistake loses no events.
//
// [WithObserver] sees every answered request, as a [Delivery] with its
// [Outcome]; [WithLogger] says what went wrong, in few lines however long
// the store is down.
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
	return &handler{fn: fn, cfg: cfg, tokens: newTokenSource()}
}

type handler struct {
	fn       EventFunc
	cfg      config
	locks    keylock.Set // serialises deliveries of one event within this process
	tokens   tokenSource
	failures failureLog // keeps a store outage's lines few
	onWait   func()     // called when a delivery starts waiting for another of the same event; tests set it
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	debug := h.cfg.logger != nil && h.cfg.logger.Enabled(ctx, slog.LevelDebug)
	if h.cfg.observer == nil && !debug {
		h.serve(w, r)
		return
	}
	start := time.Now()
	d := h.serve(w, r)
	d.Duration = time.Since(start)
	if debug {
		attrs := []slog.Attr{
			slog.Int("status", d.Status),
			slog.String("outcome", string(d.Outcome)),
			slog.Duration("duration", d.Duration),
		}
		if d.Event != nil {
			attrs = append(attrs, slog.String("event", string(d.Event.Type)), slog.String("id", d.Event.ID))
		}
		h.cfg.logger.LogAttrs(ctx, slog.LevelDebug, "smtp2go webhook delivery", attrs...)
	}
	if h.cfg.observer != nil {
		h.observe(ctx, d)
	}
}

// errNoEventFunc is the failure of every delivery to a handler made with a
// nil EventFunc.
var errNoEventFunc = errors.New("webhook: no EventFunc configured")

func (h *handler) serve(w http.ResponseWriter, r *http.Request) Delivery {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return h.reject(w, r, http.StatusMethodNotAllowed, "method not allowed")
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
			return answer(w, Delivery{Outcome: OutcomeUnauthorized, Status: http.StatusUnauthorized}, "unauthorized")
		}
	}
	if h.fn == nil {
		h.log(ctx, slog.LevelError, "smtp2go webhook: no EventFunc configured; answering 500")
		return answer(w, Delivery{Outcome: OutcomeFailed, Status: http.StatusInternalServerError, Err: errNoEventFunc}, "no event handler configured")
	}
	if r.ContentLength > h.cfg.maxBodyBytes {
		return h.reject(w, r, http.StatusRequestEntityTooLarge, "body too large")
	}
	kind, boundary, err := kindForm, "", error(nil)
	// SMTP2GO's form deliveries name the media type exactly so, without
	// parameters: that needs no parser.
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		kind, boundary, err = mediaKind(ct)
	}
	if err != nil {
		return h.reject(w, r, http.StatusUnsupportedMediaType, err.Error())
	}
	body, err := h.readBody(w, r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return h.reject(w, r, http.StatusRequestEntityTooLarge, "body too large")
		case errors.Is(err, os.ErrDeadlineExceeded):
			return h.reject(w, r, http.StatusRequestTimeout, "body not received in time")
		}
		return h.reject(w, r, http.StatusBadRequest, "could not read body")
	}
	ev, err := parseBody(kind, boundary, body)
	if err != nil {
		return h.reject(w, r, http.StatusBadRequest, err.Error())
	}
	if h.cfg.dedup == nil {
		return h.process(w, r, ev, nil)
	}

	key := ev.DedupKey()
	if err := h.locks.Acquire(ctx, key, h.onWait); err != nil {
		return answer(w, Delivery{Outcome: OutcomeInProgress, Status: http.StatusServiceUnavailable, Event: ev}, "delivery of this event in progress")
	}
	defer h.locks.Release(key)
	now := time.Now()
	c := &claim{key: key, token: h.tokens.next(), expires: now.Add(h.cfg.lease)}
	// The claim and the callback share one context, which ends with the
	// lease, or when SMTP2GO goes away.
	c.lease.start(ctx, c.expires)
	c.ctx = &c.lease
	defer c.lease.end()
	var state ClaimState
	if m, ok := h.cfg.dedup.(*MemoryDeduplicator); ok {
		// The default store answers at once, at the time the lease starts,
		// so the lease cannot have passed: only the request can have ended.
		state, err = m.claim(ctx, now, c.key, c.token, h.cfg.lease)
		if err == nil && state == Claimed && ctx.Err() != nil {
			err = fmt.Errorf("claim answered after the request ended: %w", ctx.Err())
			return h.claimFailed(w, r, ev, c, err, true)
		}
	} else {
		state, err = h.claimStore(c)
		if err == nil && state == Claimed && c.ctx.Err() != nil {
			err = fmt.Errorf("claim answered after the lease or the request ended: %w", c.ctx.Err())
			return h.claimFailed(w, r, ev, c, err, true)
		}
	}
	if err != nil {
		return h.claimFailed(w, r, ev, c, err, false)
	}
	h.failures.answered(ctx, h.cfg.logger, callClaim)
	switch state {
	case Done:
		w.WriteHeader(http.StatusOK)
		return Delivery{Outcome: OutcomeDuplicate, Status: http.StatusOK, Event: ev}
	case Claimed:
		return h.process(w, r, ev, c)
	}
	return answer(w, Delivery{Outcome: OutcomeInProgress, Status: http.StatusConflict, Event: ev}, "event in progress in another delivery; deliver it again later")
}

// claimStore claims c's event in a store other than the default one.
func (h *handler) claimStore(c *claim) (state ClaimState, err error) {
	defer recoverStore(callClaim, &err)
	return h.cfg.dedup.Claim(c.ctx, c.key, c.token, h.cfg.lease)
}

// storePanic is the error of a store call that panicked. A store is code
// of its own, and its panic is answered as its failure: a claim that
// panicked is released and answered 500, and a completion that panicked is
// logged, rather than the connection dropping with the claim held and the
// observer not told.
type storePanic struct {
	call  storeCall
	value any
}

func (p *storePanic) Error() string {
	return fmt.Sprintf("webhook: deduplication store panicked in %s: %v", p.call, p.value)
}

// recoverStore turns a panic of the store's call into a *storePanic in err.
func recoverStore(call storeCall, err *error) {
	if p := recover(); p != nil {
		*err = &storePanic{call: call, value: p}
	}
}

// claim is what a delivery holds in the store while its callback runs.
type claim struct {
	key, token string
	expires    time.Time       // no later than the store's lease ends
	ctx        context.Context // ends at expires, or with the request: &lease
	lease      leaseContext
}

// tokenSource makes the tokens of claims: a random prefix drawn once per
// handler, so that no two handlers share one, and a counter, so that no two
// claims of one handler do. A token only tells holders apart; it guards
// nothing, so it needs no random bytes of its own.
type tokenSource struct {
	prefix string
	n      atomic.Uint64
}

func newTokenSource() tokenSource {
	return tokenSource{prefix: rand.Text() + "."}
}

func (t *tokenSource) next() string {
	b := make([]byte, 0, len(t.prefix)+13) // 13: the most base-32 digits of a uint64
	b = append(b, t.prefix...)
	return string(strconv.AppendUint(b, t.n.Add(1), 32))
}

// claimFailed answers 500 to a delivery whose claim failed, so that SMTP2GO
// delivers it again, and logs one line saying what happened. taken says the
// store answered Claimed, too late.
//
// A store that was not reached took no claim, so there is nothing to
// release. Any other failure may have taken the claim and lost its answer:
// it is released, so that the redelivery is not held until the lease ends.
func (h *handler) claimFailed(w http.ResponseWriter, r *http.Request, ev *Event, c *claim, err error, taken bool) Delivery {
	ctx := r.Context()
	d := Delivery{Outcome: OutcomeStoreFailed, Status: http.StatusInternalServerError, Event: ev, Err: err}
	attrs := []slog.Attr{slog.String("event", string(ev.Type)), slog.String("id", ev.ID), slog.Any("error", err)}
	switch {
	case ctx.Err() != nil:
		// Nobody receives this answer: SMTP2GO gave up on the delivery.
		if rerr := h.releaseClaim(ctx, c); rerr != nil {
			attrs = append(attrs, slog.String("claim", "not released, so it holds until the lease ends: "+rerr.Error()))
		}
		h.failures.log(ctx, h.cfg.logger, claimSenderLeft, slog.LevelWarn, "smtp2go webhook: the sender went away while the event was being claimed; SMTP2GO delivers it again", attrs...)
	case !taken && unreached(err):
		h.failures.log(ctx, h.cfg.logger, claimUnreachable, slog.LevelError, "smtp2go webhook: deduplication store unreachable; answering 500 for a redelivery", attrs...)
	default:
		if rerr := h.releaseClaim(ctx, c); rerr != nil {
			attrs = append(attrs, slog.String("claim", "not released, so it holds until the lease ends: "+rerr.Error()))
		}
		h.failures.log(ctx, h.cfg.logger, claimFailed, slog.LevelError, "smtp2go webhook: deduplication store failed; answering 500 for a redelivery", attrs...)
	}
	return answer(w, d, "deduplication failed")
}

// unreached reports whether err says the store was never reached (its
// connection was refused, or could not be made), so that no claim was taken.
// A store that retries may have taken the claim on an earlier attempt whose
// answer was lost: that claim holds until its lease ends, and a later
// redelivery is processed.
func unreached(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial") ||
		errors.Is(err, errNilStore) || errors.Is(err, errNilDeduplicator)
}

// readBody reads r's body within the size and time limits.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	// A ResponseWriter without a connection (httptest.ResponseRecorder) has
	// no deadline to set. The server's own writer is asked directly, which
	// spares the controller's error for those that have none; a wrapper
	// (middleware) is searched by the controller.
	switch rw := w.(type) {
	case interface{ SetReadDeadline(time.Time) error }:
		_ = rw.SetReadDeadline(time.Now().Add(h.cfg.readTimeout))
	case interface{ Unwrap() http.ResponseWriter }:
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(h.cfg.readTimeout))
	}
	return readRequestBody(w, r, h.cfg.maxBodyBytes)
}

// process runs the callback and answers. With a claim (c not nil), the
// callback's context ends with the lease, and the claim is completed when fn
// succeeds and released when it fails, so that the redelivery is processed.
func (h *handler) process(w http.ResponseWriter, r *http.Request, ev *Event, c *claim) Delivery {
	ctx := r.Context()
	if c == nil {
		return h.answerCallback(ctx, w, ev, h.call(ctx, ev))
	}
	err := h.call(c.ctx, ev)
	if err != nil {
		if rerr := h.releaseClaim(ctx, c); rerr != nil {
			h.failures.log(ctx, h.cfg.logger, releaseFailed, slog.LevelError, "smtp2go webhook: deduplication store could not release a failed event; its redelivery is processed once the lease expires",
				slog.String("event", string(ev.Type)), slog.String("id", ev.ID), slog.Any("error", rerr))
		}
		return h.answerCallback(ctx, w, ev, err)
	}
	if cerr := h.complete(ctx, c); cerr != nil {
		// The work is done: answering 500 would only make SMTP2GO deliver it again.
		h.failures.log(ctx, h.cfg.logger, completeFailed, slog.LevelError, "smtp2go webhook: deduplication store could not mark an event processed; a redelivery after the lease may run the callback again",
			slog.String("event", string(ev.Type)), slog.String("id", ev.ID), slog.Any("error", cerr))
	} else {
		h.failures.answered(ctx, h.cfg.logger, callComplete)
	}
	return h.answerCallback(ctx, w, ev, nil)
}

// complete marks c's event processed.
func (h *handler) complete(ctx context.Context, c *claim) (err error) {
	if m, ok := h.cfg.dedup.(*MemoryDeduplicator); ok {
		// The default store: memory, which cannot hang, needs no bound.
		return m.Complete(context.WithoutCancel(ctx), c.key, c.token)
	}
	defer recoverStore(callComplete, &err)
	sctx, cancel := outcomeContext(ctx)
	defer cancel()
	return h.cfg.dedup.Complete(sctx, c.key, c.token)
}

// releaseClaim drops c, so that the redelivery of its event is processed; if
// the store fails, the claim holds until its lease ends.
func (h *handler) releaseClaim(ctx context.Context, c *claim) error {
	var err error
	if m, ok := h.cfg.dedup.(*MemoryDeduplicator); ok {
		err = m.Release(context.WithoutCancel(ctx), c.key, c.token)
	} else {
		err = h.releaseStore(ctx, c)
	}
	if err == nil {
		h.failures.answered(ctx, h.cfg.logger, callRelease)
	}
	return err
}

// releaseStore releases c in a store other than the default one.
func (h *handler) releaseStore(ctx context.Context, c *claim) (err error) {
	defer recoverStore(callRelease, &err)
	sctx, cancel := outcomeContext(ctx)
	defer cancel()
	return h.cfg.dedup.Release(sctx, c.key, c.token)
}

// outcomeContext is the context that completes or releases a claim: not
// cancelled with the request, since the outcome must reach the store even
// when SMTP2GO has gone away, but bounded.
func outcomeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}

// answerCallback writes 200 when fn succeeded, and 500 when it failed or
// panicked (err is a *callbackPanic then, logged already).
func (h *handler) answerCallback(ctx context.Context, w http.ResponseWriter, ev *Event, err error) Delivery {
	if err == nil {
		w.WriteHeader(http.StatusOK)
		return Delivery{Outcome: OutcomeProcessed, Status: http.StatusOK, Event: ev}
	}
	var p *callbackPanic
	if !errors.As(err, &p) {
		h.log(ctx, slog.LevelError, "smtp2go webhook: event handler failed; answering 500 for a redelivery",
			slog.String("event", string(ev.Type)), slog.String("id", ev.ID), slog.Any("error", err))
	}
	return answer(w, Delivery{Outcome: OutcomeFailed, Status: http.StatusInternalServerError, Event: ev, Err: err}, "processing failed")
}

// callbackPanic is the error of a callback that panicked.
type callbackPanic struct{ value any }

func (p *callbackPanic) Error() string {
	return fmt.Sprintf("webhook: event handler panicked: %v", p.value)
}

// call runs the callback, turning a panic into a *callbackPanic.
func (h *handler) call(ctx context.Context, ev *Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &callbackPanic{value: p}
			h.log(ctx, slog.LevelError, "smtp2go webhook: event handler panicked; answering 500 for a redelivery",
				slog.String("event", string(ev.Type)), slog.String("id", ev.ID),
				slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
		}
	}()
	return h.fn(ctx, ev)
}

func (h *handler) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if h.cfg.logger != nil {
		h.cfg.logger.LogAttrs(ctx, level, msg, attrs...)
	}
}

// reject answers a request the handler cannot take, and logs why at WARN: a
// sender or a proxy that mangles deliveries shows at the default level. The
// reason never holds a value from the body or a credential.
func (h *handler) reject(w http.ResponseWriter, r *http.Request, status int, reason string) Delivery {
	h.log(r.Context(), slog.LevelWarn, "smtp2go webhook: delivery rejected",
		slog.Int("status", status), slog.String("reason", reason), slog.String("remote_addr", r.RemoteAddr))
	return answer(w, Delivery{Outcome: OutcomeRejected, Status: status}, reason)
}

// answer writes d's error status with msg as a one-line plain-text reason.
func answer(w http.ResponseWriter, d Delivery, msg string) Delivery {
	http.Error(w, msg, d.Status)
	return d
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
