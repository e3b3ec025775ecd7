package pgdedup_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaykit/smtp2go/internal/storetest"
	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/deduptest"
	"github.com/relaykit/smtp2go/webhook/pgdedup"
)

const urlEnv, urlExample = "SMTP2GO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// config reads the test server's URL, or skips t.
func config(t testing.TB) *pgxpool.Config {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(storetest.URL(t, urlEnv, urlExample))
	if err != nil {
		// The error may quote the URL, and the URL may hold a password.
		t.Fatalf("%s is not a PostgreSQL URL (postgres://user[:password]@host:port/database)", urlEnv)
	}
	return cfg
}

// newPool connects to the test server, changed by edit if not nil, and
// closes when t ends.
func newPool(t testing.TB, edit func(*pgxpool.Config)) *pgxpool.Pool {
	t.Helper()
	cfg := config(t)
	cfg.MaxConns = 4
	if edit != nil {
		edit(cfg)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connecting to %s: %v", urlEnv, err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// shared is the pool most tests use, so that parallel tests do not each
// hold connections of their own.
var shared struct {
	once sync.Once
	pool *pgxpool.Pool
	err  error
}

func sharedPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	cfg := config(t)
	shared.once.Do(func() {
		cfg.MaxConns = 8
		shared.pool, shared.err = pgxpool.NewWithConfig(context.Background(), cfg)
	})
	if shared.err != nil {
		t.Fatalf("connecting to %s: %v", urlEnv, shared.err)
	}
	return shared.pool
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.pool != nil {
		shared.pool.Close()
	}
	os.Exit(code)
}

// newStore is a Store with a table of t's own, created through db (the
// shared pool if nil) and dropped when t ends.
func newStore(t testing.TB, db pgdedup.DB, opts ...pgdedup.Option) (*pgdedup.Store, string) {
	t.Helper()
	admin := sharedPool(t)
	if db == nil {
		db = admin
	}
	table := storetest.RandomName("smtp2go_test_")
	store := pgdedup.New(db, append([]pgdedup.Option{pgdedup.WithTable(table)}, opts...)...)
	if err := pgdedup.New(admin, pgdedup.WithTable(table)).CreateTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropTable(t, admin, table) })
	return store, table
}

func dropTable(t testing.TB, db pgdedup.DB, table string) {
	t.Helper()
	if _, err := db.Exec(context.Background(), "DROP TABLE IF EXISTS "+pgx.Identifier(strings.Split(table, ".")).Sanitize()); err != nil {
		t.Errorf("dropping the test's table: %v", err)
	}
}

func TestContract(t *testing.T) {
	t.Parallel()
	deduptest.Run(t, func(t *testing.T, ttl time.Duration) webhook.Deduplicator {
		store, _ := newStore(t, nil, pgdedup.WithTTL(ttl))
		return store
	})
}

// TestRows: a claim's row expires after its lease and a Done row after the
// TTL, both by the database's clock; Release deletes the row.
func TestRows(t *testing.T) {
	t.Parallel()
	pool := sharedPool(t)
	store, table := newStore(t, nil, pgdedup.WithTTL(time.Hour))
	ctx := context.Background()
	for _, k := range []string{"claimed", "done", "released", "default-lease"} {
		lease := 30 * time.Second
		if k == "default-lease" {
			lease = 0
		}
		if s, err := store.Claim(ctx, k, "tok-"+k, lease); err != nil || s != webhook.Claimed {
			t.Fatalf("Claim(%s) = %v, %v", k, s, err)
		}
	}
	if err := store.Complete(ctx, "done", "tok-done"); err != nil {
		t.Fatal(err)
	}
	if err := store.Release(ctx, "released", "tok-released"); err != nil {
		t.Fatal(err)
	}
	type row struct {
		state, token string
		min, max     time.Duration // the range the row's remaining time must be in
	}
	want := map[string]row{
		"claimed":       {"claimed", "tok-claimed", 20 * time.Second, 30 * time.Second}, // the lower bounds leave a loaded machine time
		"done":          {"done", "tok-done", 50 * time.Minute, time.Hour},
		"default-lease": {"claimed", "tok-default-lease", webhook.DefaultLease - 10*time.Second, webhook.DefaultLease},
	}
	rows, err := pool.Query(ctx, `SELECT key, state, token, extract(epoch FROM expires_at - now()) FROM `+pgx.Identifier{table}.Sanitize())
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for rows.Next() {
		var key, state, token string
		var left float64
		if err := rows.Scan(&key, &state, &token, &left); err != nil {
			t.Fatal(err)
		}
		got++
		w, ok := want[key]
		d := time.Duration(left * float64(time.Second))
		if !ok || state != w.state || token != w.token || d < w.min || d > w.max {
			t.Errorf("row %s: %s, %s, expires in %v; want %+v", key, state, token, d, w)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got != len(want) {
		t.Errorf("%d rows, want %d", got, len(want))
	}
}

// TestCreateTableConcurrently: every replica may create the table at
// start-up, at once, and again later.
func TestCreateTableConcurrently(t *testing.T) {
	t.Parallel()
	pool := sharedPool(t)
	ctx := context.Background()
	table := storetest.RandomName("smtp2go_test_")
	t.Cleanup(func() { dropTable(t, pool, table) })
	store := pgdedup.New(pool, pgdedup.WithTable(table))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range cap(errs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- store.CreateTable(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent CreateTable: %v", err)
		}
	}
	if err := store.CreateTable(ctx); err != nil {
		t.Errorf("CreateTable again: %v", err)
	}
	var index string
	if err := pool.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE tablename = $1 AND indexname = $2`,
		table, table+"_expires_at").Scan(&index); err != nil {
		t.Fatalf("the index on expires_at: %v", err)
	}
	if !strings.Contains(index, "(expires_at)") {
		t.Errorf("index: %s", index)
	}
}

// TestTableNames: a schema-qualified name works; a name made to inject SQL
// is only a strange name; names PostgreSQL cannot hold are refused by every
// call, without a query.
func TestTableNames(t *testing.T) {
	t.Parallel()
	pool := sharedPool(t)
	ctx := context.Background()

	schema := storetest.RandomName("smtp2go_test_schema_")
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := pool.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("dropping the test's schema: %v", err)
		}
	})
	canary := storetest.RandomName("smtp2go_test_canary_")
	for _, name := range []string{
		schema + ".Dedup Table",
		schema + `.x"; DROP TABLE ` + canary + `; --`,
	} {
		store := pgdedup.New(pool, pgdedup.WithTable(name))
		if err := store.CreateTable(ctx); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if s, err := store.Claim(ctx, "k", "t", time.Minute); err != nil || s != webhook.Claimed {
			t.Errorf("%q: Claim = %v, %v", name, s, err)
		}
		if n, err := store.DeleteExpired(ctx); err != nil || n != 0 {
			t.Errorf("%q: DeleteExpired = %d, %v", name, n, err)
		}
	}
	var tables int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, schema).Scan(&tables); err != nil || tables != 2 {
		t.Errorf("%d tables in the schema (%v), want 2", tables, err)
	}

	for name, why := range map[string]string{
		"a.b.c":                        `more than one "."`,
		".t":                           "an empty part",
		"s.":                           "an empty part",
		"t\x00":                        "NUL",
		"\xff":                         "UTF-8",
		strings.Repeat("s", 64) + ".t": "63 bytes",
		strings.Repeat("t", 53):        "longer than 52 bytes",
	} {
		store := pgdedup.New(pool, pgdedup.WithTable(name))
		_, err := store.Claim(ctx, "k", "t", time.Minute)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("table %q: Claim error %v, want one that says %q", name, err, why)
		}
		if store.CreateTable(ctx) == nil || store.Complete(ctx, "k", "t") == nil || store.Release(ctx, "k", "t") == nil {
			t.Errorf("table %q: a call succeeded", name)
		}
		if _, err := store.DeleteExpired(ctx); err == nil {
			t.Errorf("table %q: DeleteExpired succeeded", name)
		}
	}
	longest := storetest.RandomName("smtp2go_test_longest_") // of this test alone, as a shared database needs
	longest += strings.Repeat("t", 52-len(longest))
	if s := pgdedup.New(pool, pgdedup.WithTable(longest)); s.CreateTable(ctx) != nil {
		t.Error("a 52-byte name was refused")
	} else {
		dropTable(t, pool, longest)
	}
}

// TestMissingTable: the error says what to do.
func TestMissingTable(t *testing.T) {
	t.Parallel()
	store := pgdedup.New(sharedPool(t), pgdedup.WithTable(storetest.RandomName("smtp2go_test_missing_")))
	_, err := store.Claim(context.Background(), "k", "t", time.Minute)
	if err == nil || !strings.Contains(err.Error(), "does not exist: call CreateTable") {
		t.Errorf("Claim on a missing table: %v", err)
	}
}

// TestDeleteExpired deletes expired claims and Done rows, in batches, and
// leaves live rows alone.
func TestDeleteExpired(t *testing.T) {
	t.Parallel()
	pool := sharedPool(t)
	store, table := newStore(t, nil, pgdedup.WithTTL(50*time.Millisecond))
	ctx := context.Background()
	// More expired rows than one batch deletes.
	const old = 2500
	if _, err := pool.Exec(ctx, `INSERT INTO `+pgx.Identifier{table}.Sanitize()+`
		SELECT 'old-' || i, 't', CASE WHEN i % 2 = 0 THEN 'done' ELSE 'claimed' END, now() - interval '1 hour'
		FROM generate_series(1, $1::int) AS i`, old); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		k := "live-" + strconv.Itoa(i)
		if _, err := store.Claim(ctx, k, "t", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"short-claim", "short-done"} {
		if _, err := store.Claim(ctx, k, "t", 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Complete(ctx, "short-done", "t"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // past the short lease and TTL, by the database's clock too
	n, err := store.DeleteExpired(ctx)
	if err != nil || n != old+2 {
		t.Errorf("DeleteExpired = %d, %v; want %d", n, err, old+2)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&left); err != nil || left != 3 {
		t.Errorf("%d rows left (%v), want the 3 live claims", left, err)
	}
	if n, err := store.DeleteExpired(ctx); err != nil || n != 0 {
		t.Errorf("DeleteExpired again = %d, %v", n, err)
	}
}

// TestRefusals: a nil database, a nil Store and an empty token fail with an
// error, without a server and without panicking.
func TestRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var nilStore *pgdedup.Store
	for name, store := range map[string]*pgdedup.Store{
		"nil db":    pgdedup.New(nil),
		"nil pool":  pgdedup.New((*pgxpool.Pool)(nil)),
		"nil conn":  pgdedup.New((*pgx.Conn)(nil)),
		"nil Store": nilStore,
	} {
		if _, err := store.Claim(ctx, "k", "t", time.Minute); err == nil || !strings.Contains(err.Error(), "no database") {
			t.Errorf("%s: Claim error %v", name, err)
		}
		if store.Complete(ctx, "k", "t") == nil || store.Release(ctx, "k", "t") == nil || store.CreateTable(ctx) == nil {
			t.Errorf("%s: Complete, Release or CreateTable without error", name)
		}
		if _, err := store.DeleteExpired(ctx); err == nil {
			t.Errorf("%s: DeleteExpired without error", name)
		}
	}
	pool, err := pgxpool.New(ctx, "postgres://nobody@"+storetest.ClosedAddr(t)+"/none")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pgdedup.New(pool, nil).Claim(ctx, "k", "", time.Minute); err == nil {
		t.Error("a claim without a token was taken")
	}
}

// TestUnreachableFailsFast: a server that refuses connections fails each
// call at once, with an error that names the problem and not the password.
func TestUnreachableFailsFast(t *testing.T) {
	t.Parallel()
	const password = "pa55-not-in-errors"
	pool, err := pgxpool.New(context.Background(), "postgres://postgres:"+password+"@"+storetest.ClosedAddr(t)+"/test?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := pgdedup.New(pool)
	storetest.Unreachable(t, store, "pgdedup", password, map[string]func(context.Context) error{
		"create table":   store.CreateTable,
		"delete expired": func(ctx context.Context) error { _, err := store.DeleteExpired(ctx); return err },
	})
}

// proxied is a pool that reaches the test server through a proxy.
func proxied(t testing.TB) (*pgxpool.Pool, *storetest.Proxy) {
	t.Helper()
	proxy := newProxy(t)
	pool := newPool(t, func(c *pgxpool.Config) { throughProxy(c, proxy) })
	return pool, proxy
}

// newProxy is a proxy to the test server.
func newProxy(t testing.TB) *storetest.Proxy {
	t.Helper()
	cfg := config(t).ConnConfig
	return storetest.NewProxy(t, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))))
}

// throughProxy points cfg at p, with at most four connections.
func throughProxy(cfg *pgxpool.Config, p *storetest.Proxy) *pgxpool.Config {
	host, port, _ := net.SplitHostPort(p.Addr())
	n, _ := strconv.Atoi(port)
	cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Fallbacks = host, uint16(n), nil
	cfg.MaxConns = 4
	return cfg
}

// TestStalledServerBoundedByContext: a server that stops answering fails
// each call at the context's deadline, and the store works again once the
// server answers.
func TestStalledServerBoundedByContext(t *testing.T) {
	t.Parallel()
	pool, proxy := proxied(t)
	store, _ := newStore(t, pool)
	if _, err := store.Claim(context.Background(), "before", "t", time.Minute); err != nil {
		t.Fatal(err) // a connection in the pool, which the stall then holds
	}
	storetest.Stalled(t, store, proxy)
}

// TestBrokenConnectionsRetried: after PostgreSQL restarts, every connection
// in the pool is broken, and there are more of them than a statement is sent
// times; each call goes on with a new connection rather than failing.
func TestBrokenConnectionsRetried(t *testing.T) {
	t.Parallel()
	pool, proxy := proxied(t)
	store, _ := newStore(t, pool)
	ctx := context.Background()
	for i, call := range []func() error{
		func() error { _, err := store.Claim(ctx, "k", "t", time.Minute); return err },
		func() error { return store.Complete(ctx, "k", "t") },
		func() error { return store.Release(ctx, "k", "t") },
	} {
		fill(t, pool, 4) // more connections than a statement is sent times
		proxy.Cut()
		proxy.Restore()
		if err := call(); err != nil {
			t.Errorf("call %d after the connections broke: %v", i, err)
		}
	}
}

// TestOutage runs the real handler while the connection to PostgreSQL is
// cut for a moment: 500s while it is away, and every event processed
// exactly once.
func TestOutage(t *testing.T) {
	t.Parallel()
	pool, proxy := proxied(t)
	store, _ := newStore(t, pool)
	storetest.Outage(t, store, proxy)
}

// TestReplicas: three replicas, each with its own pool, share the table
// under repeats, failures, slow failures, a killed replica and a moment
// without PostgreSQL: nothing lost, nothing processed twice but after the
// killed replica's side effects.
func TestReplicas(t *testing.T) {
	t.Parallel()
	_, table := newStore(t, nil)
	proxy := newProxy(t)
	storetest.Replicas(t, "PostgreSQL", proxy, func(int) (webhook.Deduplicator, func()) {
		pool, err := pgxpool.NewWithConfig(context.Background(), throughProxy(config(t), proxy))
		if err != nil {
			t.Fatal(err)
		}
		return pgdedup.New(pool, pgdedup.WithTable(table)), pool.Close
	})
}

// BenchmarkHandlerPostgres is the handler with a Store on a pool of one
// connection per sender, beside BenchmarkHandlerPostgresBaseline, the same
// with MemoryDeduplicator.
func BenchmarkHandlerPostgres(b *testing.B) {
	var writes storetest.WriteCounter
	pool := newPool(b, func(c *pgxpool.Config) {
		c.MaxConns = storetest.Senders
		c.ConnConfig.DialFunc = writes.Dial
	})
	store, _ := newStore(b, pool)
	storetest.BenchmarkHandler(b, store, writes.Count)
}

func BenchmarkHandlerPostgresBaseline(b *testing.B) {
	storetest.BenchmarkHandler(b, webhook.NewMemoryDeduplicator(0, 0), nil)
}

// terminablePool is a pool of at most conns connections, named for t alone
// so that its backends can be found and ended, which never pings a
// connection before handing it out: a connection PostgreSQL ended is used,
// as a pool does with one it used within the last second.
func terminablePool(t testing.TB, conns int32) (*pgxpool.Pool, string) {
	t.Helper()
	app := storetest.RandomName("smtp2go-test-")
	pool := newPool(t, func(c *pgxpool.Config) {
		c.MaxConns = conns
		c.HealthCheckPeriod = time.Hour
		c.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
		c.ConnConfig.RuntimeParams["application_name"] = app
	})
	return pool, app
}

// terminate ends every backend of application app from another connection,
// as pg_ctl restart -m fast does to all of them, and waits until they are
// gone. It fails t unless it ended at least one.
func terminate(t testing.TB, app string) {
	t.Helper()
	var ended int
	// With a timeout, pg_terminate_backend waits until the backend is gone.
	if err := sharedPool(t).QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000))
		FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&ended); err != nil {
		t.Fatalf("terminating the pool's connections: %v", err)
	}
	if ended == 0 {
		t.Fatal("the pool had no connection to terminate")
	}
}

// TestTerminatedConnectionsRetried: PostgreSQL ends the pool's connection
// between two calls (it answers the next statement with SQLSTATE 57P01);
// each Claim, Complete and Release goes on with a new connection, and does
// its work, rather than failing.
func TestTerminatedConnectionsRetried(t *testing.T) {
	t.Parallel()
	pool, app := terminablePool(t, 1)
	store, _ := newStore(t, pool)
	ctx := context.Background()
	claim := func(key, token string, want webhook.ClaimState) {
		t.Helper()
		if s, err := store.Claim(ctx, key, token, time.Minute); err != nil || s != want {
			t.Fatalf("Claim(%s, %s) = %v, %v; want %v", key, token, s, err, want)
		}
	}
	claim("completed", "t", webhook.Claimed)
	claim("released", "t", webhook.Claimed)

	terminate(t, app)
	claim("claimed", "t", webhook.Claimed)
	terminate(t, app)
	if err := store.Complete(ctx, "completed", "t"); err != nil {
		t.Errorf("Complete after the connection was terminated: %v", err)
	}
	terminate(t, app)
	if err := store.Release(ctx, "released", "t"); err != nil {
		t.Errorf("Release after the connection was terminated: %v", err)
	}
	claim("claimed", "other", webhook.InProgress)
	claim("completed", "other", webhook.Done)
	claim("released", "other", webhook.Claimed)
}

// terminating is a store whose every call first has PostgreSQL end the
// pool's connection, and records each call's error.
type terminating struct {
	t     *testing.T
	app   string
	store *pgdedup.Store

	mu   sync.Mutex
	errs map[string][]error // by call
}

func (d *terminating) record(call string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errs[call] = append(d.errs[call], err)
}

func (d *terminating) Claim(ctx context.Context, key, token string, lease time.Duration) (webhook.ClaimState, error) {
	terminate(d.t, d.app)
	s, err := d.store.Claim(ctx, key, token, lease)
	d.record("claim", err)
	return s, err
}

func (d *terminating) Complete(ctx context.Context, key, token string) error {
	terminate(d.t, d.app)
	err := d.store.Complete(ctx, key, token)
	d.record("complete", err)
	return err
}

func (d *terminating) Release(ctx context.Context, key, token string) error {
	terminate(d.t, d.app)
	err := d.store.Release(ctx, key, token)
	d.record("release", err)
	return err
}

// TestTerminatedConnectionsUnderHandler: with the pool's connection ended
// before every store call, the real handler answers an event's first
// delivery 200 with its callback run once, a callback's failure 500 with the
// claim released (so that the next delivery is processed at once), and a
// repeat of a processed event 200 without running the callback.
func TestTerminatedConnectionsUnderHandler(t *testing.T) {
	t.Parallel()
	pool, app := terminablePool(t, 1)
	store, _ := newStore(t, pool)
	if _, err := store.Claim(context.Background(), "warm", "t", time.Minute); err != nil {
		t.Fatal(err) // a connection in the pool, for the first call to find ended
	}
	d := &terminating{t: t, app: app, store: store, errs: map[string][]error{}}
	var mu sync.Mutex
	runs := map[string]int{}
	h := webhook.NewHandler(func(_ context.Context, ev *webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		runs[ev.ID]++
		if ev.ID == "fails-once" && runs[ev.ID] == 1 {
			return errors.New("the callback failed")
		}
		return nil
	}, webhook.WithDeduplicator(d))
	deliver := func(id string, want int) {
		t.Helper()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("event=delivered&id="+id))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("delivery of %s answered %d, want %d", id, rec.Code, want)
		}
	}
	deliver("ok", http.StatusOK)
	deliver("ok", http.StatusOK)
	deliver("fails-once", http.StatusInternalServerError)
	deliver("fails-once", http.StatusOK)
	if runs["ok"] != 1 || runs["fails-once"] != 2 {
		t.Errorf("callback runs %v, want ok once and fails-once twice (a failure, then its redelivery)", runs)
	}
	want := map[string]int{"claim": 4, "complete": 2, "release": 1}
	for call, errs := range d.errs {
		if len(errs) != want[call] {
			t.Errorf("%d calls of %s, want %d", len(errs), call, want[call])
		}
		for _, err := range errs {
			if err != nil {
				t.Errorf("%s after the connection was terminated: %v", call, err)
			}
		}
	}
}

// TestEveryConnectionTerminated: PostgreSQL ends every connection of a pool
// that holds more of them than a statement is sent times, as a restart does;
// each of the calls that follow succeeds.
func TestEveryConnectionTerminated(t *testing.T) {
	t.Parallel()
	const conns = 6
	pool, app := terminablePool(t, conns)
	store, _ := newStore(t, pool)
	ctx := context.Background()
	fill(t, pool, conns)
	terminate(t, app)
	for i := range conns {
		key := "k" + strconv.Itoa(i)
		if s, err := store.Claim(ctx, key, "t", time.Minute); err != nil || s != webhook.Claimed {
			t.Errorf("Claim %d after every connection was terminated: %v, %v", i, s, err)
		}
	}
}

// fill opens n connections in pool and leaves them idle in it.
func fill(t testing.TB, pool *pgxpool.Pool, n int) {
	t.Helper()
	held := make([]*pgxpool.Conn, n)
	for i := range held {
		c, err := pool.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held[i] = c
	}
	for _, c := range held {
		c.Release()
	}
}
