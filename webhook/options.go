package webhook

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"strings"
	"time"
)

// DefaultReadTimeout bounds how long the handler waits for a delivery's body:
// SMTP2GO gives up on a delivery after 10 seconds.
const DefaultReadTimeout = 10 * time.Second

// Option configures the handler of [NewHandler].
type Option func(*config)

type config struct {
	basic        []basicCredential
	bearer       []bearerCredential
	maxBodyBytes int64
	readTimeout  time.Duration
	dedup        Deduplicator // nil: no deduplication
	lease        time.Duration
	logger       *slog.Logger
	observer     func(context.Context, Delivery)
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

// WithReadTimeout bounds how long the handler waits for a delivery's body,
// [DefaultReadTimeout] (10 seconds, SMTP2GO's own timeout) by default, so that
// a client that sends a few bytes and stalls does not hold a connection. It
// sets the read deadline of the connection through [http.ResponseController];
// the server's own ReadTimeout, if shorter, still applies. Zero or less keeps
// the default.
func WithReadTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.readTimeout = d
		}
	}
}

// WithDeduplicator sets the store that lets the handler process each event
// once although SMTP2GO delivers it again. The default is a
// [MemoryDeduplicator] of the handler's own, which is enough for one replica;
// several replicas must share a store (see [Deduplicator]). A nil d is a
// store that always fails, so that a wiring mistake answers 500 and loses
// nothing; turn deduplication off with [WithoutDeduplication].
func WithDeduplicator(d Deduplicator) Option {
	return func(c *config) {
		if d == nil {
			d = brokenDeduplicator{}
		}
		c.dedup = d
	}
}

// WithoutDeduplication turns deduplication off: every delivery runs the
// callback, redeliveries and concurrent deliveries of one event too. Use it
// when the callback is idempotent by itself.
func WithoutDeduplication() Option {
	return func(c *config) { c.dedup = nil }
}

// WithLease sets how long a claim on an event lasts if its holder dies
// before completing or releasing it, [DefaultLease] (60 seconds) by default.
// The callback's context ends with the lease, so that a callback that
// respects it stops before another replica may take the event over. Keep it
// well above the callback's longest run and the store's slowest round trip:
// a claim answered after its lease ends is released unused, and the delivery
// answered 500. Zero or less keeps the default.
func WithLease(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.lease = d
		}
	}
}

// WithLogger makes the handler log: one debug line per delivery (event type
// and ID, status, outcome, duration); a warning on failed authentication and
// on every other rejected delivery, with its reason (a proxy that mangles
// bodies shows at the default level); an error when the callback fails or
// panics (with the stack) or the deduplication store fails; and a warning
// when SMTP2GO went away while the event was being claimed.
//
// The store's failures are summarised, so that an outage under load stays
// readable: the first of a kind (a refused connection, another failed claim,
// a failed completion or release) is logged in full, the others within 10
// seconds only counted, and the count goes with the next line of that kind
// (repeats_not_logged), or with an info line saying the store answers that
// call again. An observer ([WithObserver]) still sees every delivery.
//
// Credentials, the Authorization header and the body's values are never
// logged. Without this option the handler logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithObserver calls fn once for every request the handler answers, after the
// answer is written, in the request's goroutine, with the request's context:
// a span the request carries is the one to annotate, and fn should be quick,
// since the request waits for it. A panic in fn does not change the answer;
// it is logged (see [WithLogger]). Package
// github.com/relaykit/smtp2go/webhook/otelwebhook makes an observer that
// records OpenTelemetry metrics and span attributes. Without this option, or
// with a nil fn, nothing is observed, at no cost.
func WithObserver(fn func(ctx context.Context, d Delivery)) Option {
	return func(c *config) { c.observer = fn }
}
