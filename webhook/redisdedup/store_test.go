package redisdedup_test

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/relaykit/smtp2go/internal/storetest"
	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/deduptest"
	"github.com/relaykit/smtp2go/webhook/redisdedup"
)

func TestMain(m *testing.M) {
	// go-redis logs every refused connection, which the outage tests cause
	// on purpose.
	redis.SetLogger(quiet{})
	os.Exit(m.Run())
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

const urlEnv, urlExample = "SMTP2GO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"

// options reads the test server's URL, or skips t.
func options(t testing.TB) *redis.Options {
	t.Helper()
	opt, err := redis.ParseURL(storetest.URL(t, urlEnv, urlExample))
	if err != nil {
		// The error may quote the URL, and the URL may hold a password.
		t.Fatalf("%s is not a Redis URL (redis://[user:password@]host:port/db)", urlEnv)
	}
	opt.ContextTimeoutEnabled = true
	return opt
}

// newClient connects to the test server, through addr if it is not empty,
// and closes when t ends.
func newClient(t testing.TB, addr string, dial func(context.Context, string, string) (net.Conn, error)) *redis.Client {
	t.Helper()
	opt := options(t)
	if addr != "" {
		opt.Addr = addr
	}
	opt.Dialer = dial
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// newStore is a Store on the test server under a prefix of t's own.
func newStore(t testing.TB, rdb redis.UniversalClient, opts ...redisdedup.Option) (*redisdedup.Store, string) {
	t.Helper()
	prefix := newPrefix(t, rdb)
	return redisdedup.New(rdb, append([]redisdedup.Option{redisdedup.WithPrefix(prefix)}, opts...)...), prefix
}

// newPrefix returns a key prefix of t's own, whose keys are deleted through
// rdb when t ends.
func newPrefix(t testing.TB, rdb redis.UniversalClient) string {
	t.Helper()
	prefix := storetest.RandomName("smtp2go-test:") + ":"
	t.Cleanup(func() {
		if keys := scan(t, rdb, prefix); len(keys) > 0 {
			if err := rdb.Del(context.Background(), keys...).Err(); err != nil {
				t.Errorf("deleting the test's keys: %v", err)
			}
		}
	})
	return prefix
}

func scan(t testing.TB, rdb redis.UniversalClient, prefix string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(context.Background(), 0, prefix+"*", 1000).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scanning the test's keys: %v", err)
	}
	return keys
}

func TestContract(t *testing.T) {
	t.Parallel()
	deduptest.Run(t, func(t *testing.T, ttl time.Duration) webhook.Deduplicator {
		store, _ := newStore(t, newClient(t, "", nil), redisdedup.WithTTL(ttl))
		return store
	})
}

// TestEveryKeyExpires: claims last their lease and completions the TTL;
// Release deletes; nothing is written without an expiry.
func TestEveryKeyExpires(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, "", nil)
	store, prefix := newStore(t, rdb, redisdedup.WithTTL(time.Hour))
	ctx := context.Background()
	for _, k := range []string{"claimed", "done", "released", "default-lease"} {
		lease := 30 * time.Second
		if k == "default-lease" {
			lease = 0
		}
		if s, err := store.Claim(ctx, k, "tok", lease); err != nil || s != webhook.Claimed {
			t.Fatalf("Claim(%s) = %v, %v", k, s, err)
		}
	}
	if err := store.Complete(ctx, "done", "tok"); err != nil {
		t.Fatal(err)
	}
	if err := store.Release(ctx, "released", "tok"); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]time.Duration{ // key: the range its expiry must be in
		"claimed":       {20 * time.Second, 30 * time.Second}, // the lower bounds leave a loaded machine time
		"done":          {50 * time.Minute, time.Hour},
		"default-lease": {webhook.DefaultLease - 10*time.Second, webhook.DefaultLease},
	}
	keys := scan(t, rdb, prefix)
	if len(keys) != len(want) {
		t.Errorf("keys %q, want the three of %v", keys, want)
	}
	for _, k := range keys {
		ttl, err := rdb.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		w := want[strings.TrimPrefix(k, prefix)]
		if ttl < w[0] || ttl > w[1] {
			t.Errorf("%s expires in %v, want %v to %v", k, ttl, w[0], w[1])
		}
	}
}

// TestTokenCannotPoseAsDone: a token spelled like the stored mark of a done
// event is still a claim.
func TestTokenCannotPoseAsDone(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t, newClient(t, "", nil))
	ctx := context.Background()
	for _, tok := range []string{"done", "claimed:x"} {
		if s, err := store.Claim(ctx, tok, tok, time.Minute); err != nil || s != webhook.Claimed {
			t.Fatalf("Claim(token %q) = %v, %v", tok, s, err)
		}
		if s, _ := store.Claim(ctx, tok, "other", time.Minute); s != webhook.InProgress {
			t.Errorf("after a claim by token %q: %v, want in progress", tok, s)
		}
	}
}

// TestRefusals: a nil client, a nil Store and an empty token fail with an
// error, without a server and without panicking.
func TestRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var nilStore *redisdedup.Store
	for name, store := range map[string]*redisdedup.Store{
		"nil client":        redisdedup.New(nil),
		"nil *redis.Client": redisdedup.New((*redis.Client)(nil)),
		"nil cluster":       redisdedup.New((*redis.ClusterClient)(nil)),
		"nil ring":          redisdedup.New((*redis.Ring)(nil)),
		"nil Store":         nilStore,
	} {
		if _, err := store.Claim(ctx, "k", "t", time.Minute); err == nil || !strings.Contains(err.Error(), "no Redis client") {
			t.Errorf("%s: Claim error %v", name, err)
		}
		if store.Complete(ctx, "k", "t") == nil || store.Release(ctx, "k", "t") == nil {
			t.Errorf("%s: Complete or Release without error", name)
		}
	}
	// A client that was never connected: the token is checked first.
	rdb := redis.NewClient(&redis.Options{Addr: storetest.ClosedAddr(t)})
	defer rdb.Close()
	store := redisdedup.New(rdb, nil)
	if _, err := store.Claim(ctx, "k", "", time.Minute); err == nil {
		t.Error("a claim without a token was taken")
	}
	if err := store.Release(ctx, "k", ""); err != nil {
		t.Errorf("releasing no token: %v", err)
	}
}

// TestUnreachableFailsFast: a server that refuses connections fails each
// call within the context's deadline, with an error that names the problem
// and not the password.
func TestUnreachableFailsFast(t *testing.T) {
	t.Parallel()
	const password = "pa55-not-in-errors"
	rdb := redis.NewClient(&redis.Options{Addr: storetest.ClosedAddr(t), Password: password, ContextTimeoutEnabled: true})
	defer rdb.Close()
	storetest.Unreachable(t, redisdedup.New(rdb), "redisdedup", password, nil)
}

// TestStalledServerBoundedByContext: a server that accepts but never answers
// fails each call at the context's deadline, and the store works again once
// the server answers.
func TestStalledServerBoundedByContext(t *testing.T) {
	t.Parallel()
	proxy := storetest.NewProxy(t, options(t).Addr)
	store, _ := newStore(t, newClient(t, proxy.Addr(), nil))
	storetest.Stalled(t, store, proxy)
}

// TestOutage runs the real handler while the connection to Redis is cut for
// a moment: 500s while it is away, and every event processed exactly once.
func TestOutage(t *testing.T) {
	t.Parallel()
	proxy := storetest.NewProxy(t, options(t).Addr)
	store, _ := newStore(t, newClient(t, proxy.Addr(), nil))
	storetest.Outage(t, store, proxy)
}

// TestReplicas: three replicas, each with its own client, share the store
// under repeats, failures, slow failures, a killed replica and a moment
// without Redis: nothing lost, nothing processed twice but after the killed
// replica's side effects.
func TestReplicas(t *testing.T) {
	t.Parallel()
	proxy := storetest.NewProxy(t, options(t).Addr)
	prefix := newPrefix(t, newClient(t, "", nil))
	storetest.Replicas(t, "Redis", proxy, func(int) (webhook.Deduplicator, func()) {
		opt := options(t)
		opt.Addr = proxy.Addr()
		rdb := redis.NewClient(opt)
		return redisdedup.New(rdb, redisdedup.WithPrefix(prefix)), func() { rdb.Close() }
	})
}

// BenchmarkHandlerRedis is the handler with a Store, beside
// BenchmarkHandlerRedisBaseline, the same with MemoryDeduplicator.
func BenchmarkHandlerRedis(b *testing.B) {
	var writes storetest.WriteCounter
	store, _ := newStore(b, newClient(b, "", writes.Dial))
	storetest.BenchmarkHandler(b, store, writes.Count)
}

func BenchmarkHandlerRedisBaseline(b *testing.B) {
	storetest.BenchmarkHandler(b, webhook.NewMemoryDeduplicator(0, 0), nil)
}
