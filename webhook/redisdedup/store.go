package redisdedup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/relaykit/smtp2go/webhook"
)

// DefaultPrefix starts every key the store writes.
const DefaultPrefix = "smtp2go:webhook:"

// Values of a key: a claim holds claimPrefix and its token, so that no token
// can be mistaken for done.
const (
	doneValue   = "done"
	claimPrefix = "claimed:"
)

// claimScript takes the key for the token unless it is done or another
// token's claim has not expired, in one round trip. A claim already held by
// the same token is answered Claimed again, so that a call go-redis retries
// after a lost answer still gets its claim. Returns 0 (Claimed), 1
// (InProgress) or 2 (Done).
//
// KEYS[1]: the key. ARGV[1]: claimPrefix and the token. ARGV[2]: the lease in
// milliseconds.
var claimScript = redis.NewScript(`
local held = redis.call('GET', KEYS[1])
if not held then
	redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
	return 0
end
if held == ARGV[1] then
	return 0
end
if held == '` + doneValue + `' then
	return 2
end
return 1
`)

// releaseScript deletes the key only while the token holds it: a holder
// whose lease expired must not drop the claim of the next. Redis 7.0 has no
// DELEX, hence a script.
//
// KEYS[1]: the key. ARGV[1]: claimPrefix and the token.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// Store is a [webhook.Deduplicator] on Redis. It is safe for concurrent use
// by any number of goroutines and processes; it holds no state of its own
// beyond its settings, so replicas need nothing but the same Redis, prefix
// and TTL.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// Option configures a [Store].
type Option func(*Store)

// WithPrefix sets the text that starts every key, [DefaultPrefix] by
// default. Give replicas of one receiver the same prefix, and other
// receivers sharing the Redis their own. An empty prefix keeps the default.
func WithPrefix(p string) Option {
	return func(s *Store) {
		if p != "" {
			s.prefix = p
		}
	}
}

// WithTTL sets how long a processed event is remembered,
// [webhook.DefaultDedupTTL] (48 hours, as long as SMTP2GO redelivers) by
// default. Zero or less keeps the default; Redis counts in milliseconds, so
// less than a millisecond is one.
func WithTTL(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.ttl = d
		}
	}
}

// New returns a Store on rdb. It sends nothing to Redis until the first
// delivery. A nil rdb gives a Store whose every call fails, so that a wiring
// mistake answers 500 and loses no event.
func New(rdb redis.UniversalClient, opts ...Option) *Store {
	s := &Store{rdb: rdb, prefix: DefaultPrefix, ttl: webhook.DefaultDedupTTL}
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	return s
}

var (
	errNoClient = errors.New("redisdedup: no Redis client (nil)")
	errNoToken  = errors.New("redisdedup: claim without a token")
)

// Claim takes key for token for lease, as [webhook.Deduplicator] says, in
// one round trip (two the first time a Redis server meets the store: go-redis
// runs the script by its digest, and loads it when the server does not know
// it). A lease of zero or less is [webhook.DefaultLease]. A claim already
// held by token is answered Claimed again.
func (s *Store) Claim(ctx context.Context, key, token string, lease time.Duration) (webhook.ClaimState, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if token == "" {
		return 0, errNoToken
	}
	if lease <= 0 {
		lease = webhook.DefaultLease
	}
	n, err := claimScript.Run(ctx, s.rdb, []string{s.prefix + key}, claimPrefix+token, milliseconds(lease)).Int()
	if err != nil {
		return 0, s.fail(ctx, "claim", err)
	}
	switch n {
	case 0:
		return webhook.Claimed, nil
	case 1:
		return webhook.InProgress, nil
	case 2:
		return webhook.Done, nil
	}
	return 0, fmt.Errorf("redisdedup: claim: unexpected answer %d from the script", n)
}

// Complete marks key Done for the store's TTL, in one round trip (a SET
// with an expiry). It does so whoever holds the key: the work is done, even
// if its holder outran its lease.
func (s *Store) Complete(ctx context.Context, key, _ string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, s.prefix+key, doneValue, time.Duration(milliseconds(s.ttl))*time.Millisecond).Err(); err != nil {
		return s.fail(ctx, "complete", err)
	}
	return nil
}

// Release drops key's claim if token still holds it, in one round trip; a
// claim taken over by another token, or a key already Done, is left alone.
func (s *Store) Release(ctx context.Context, key, token string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if token == "" {
		return nil // no claim is held by no token
	}
	if err := releaseScript.Run(ctx, s.rdb, []string{s.prefix + key}, claimPrefix+token).Err(); err != nil {
		return s.fail(ctx, "release", err)
	}
	return nil
}

// stateReloader is what a Redis Cluster client has, [*redis.ClusterClient]
// (also as made by redis.NewUniversalClient, or by NewFailoverClusterClient
// for Sentinel): a way to have it read the cluster's slots again.
type stateReloader interface {
	ReloadState(ctx context.Context)
}

// fail wraps err, the failure of call op. On a cluster client, a failure
// that is no answer from Redis (a refused or broken connection, a timeout)
// also has the client read the cluster's slots again: go-redis reloads them
// by itself only on a redirect, which a dead master never sends, or every
// ClusterStateReloadInterval (60 seconds by default), and until then sends
// every call for the dead master's slots to it, although the cluster has
// long promoted a replica. go-redis runs one reload at a time, in the
// background, and folds the requests made meanwhile into the next, so
// asking on every failure costs at most a CLUSTER SLOTS every few hundred
// milliseconds while Redis is away. A caller that left (a cancelled
// context) says nothing of the cluster, and asks for nothing.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	if r, ok := s.rdb.(stateReloader); ok && !isReply(err) && !errors.Is(err, context.Canceled) && !errors.Is(err, redis.ErrClosed) {
		r.ReloadState(context.WithoutCancel(ctx))
	}
	return fmt.Errorf("redisdedup: %s: %w", op, err)
}

// isReply reports whether err is an answer of a Redis server, such as
// CLUSTERDOWN or NOSCRIPT, rather than a failure to reach one.
func isReply(err error) bool {
	var reply redis.Error
	return errors.As(err, &reply)
}

// check refuses a call that cannot reach Redis: a nil Store or client, or a
// context that has ended (go-redis would otherwise send it).
func (s *Store) check(ctx context.Context) error {
	if s == nil || isNil(s.rdb) {
		return errNoClient
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisdedup: %w", err)
	}
	return nil
}

// isNil reports whether rdb is nil, or a nil pointer to one of go-redis's
// clients, whose methods would panic.
func isNil(rdb redis.UniversalClient) bool {
	switch c := rdb.(type) {
	case nil:
		return true
	case *redis.Client:
		return c == nil
	case *redis.ClusterClient:
		return c == nil
	case *redis.Ring:
		return c == nil
	}
	return false
}

// milliseconds rounds d up to whole milliseconds, at least one: a shorter
// expiry would be rounded down to none.
func milliseconds(d time.Duration) int64 {
	return max(1, int64((d+time.Millisecond-1)/time.Millisecond))
}
