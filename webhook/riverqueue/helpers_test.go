package riverqueue_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/relaykit/smtp2go/internal/storetest"
	"github.com/relaykit/smtp2go/webhook/riverqueue"
)

const urlEnv, urlExample = "SMTP2GO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// db is one test's own River database: a schema of its own, with River's
// migrations run into it, dropped when the test ends.
type db struct {
	t      testing.TB
	schema string
	base   *pgxpool.Config
	admin  *pgxpool.Pool // search_path set to the schema
}

// newDB creates the schema and migrates it, or skips t without a server.
func newDB(t testing.TB) *db {
	t.Helper()
	base, err := pgxpool.ParseConfig(storetest.URL(t, urlEnv, urlExample))
	if err != nil {
		// The error may quote the URL, and the URL may hold a password.
		t.Fatalf("%s is not a PostgreSQL URL (postgres://user[:password]@host:port/database)", urlEnv)
	}
	d := &db{t: t, schema: storetest.RandomName("smtp2go_river_test_"), base: base}
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, base.ConnConfig.Copy())
	if err != nil {
		t.Fatalf("connecting to %s: %v", urlEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{d.schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.drop)
	d.admin = d.pool(4, "")
	migrator, err := rivermigrate.New(riverpgxv5.New(d.admin), &rivermigrate.Config{Schema: d.schema})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatalf("migrating: %v", err)
	}
	return d
}

func (d *db) drop() {
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, d.base.ConnConfig.Copy())
	if err != nil {
		d.t.Errorf("dropping the test's schema: %v", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{d.schema}.Sanitize()+" CASCADE"); err != nil {
		d.t.Errorf("dropping the test's schema: %v", err)
	}
}

// pool connects to the schema with at most maxConns connections, through
// the proxy at addr if it is not empty, and closes when the test ends.
func (d *db) pool(maxConns int32, addr string) *pgxpool.Pool {
	d.t.Helper()
	return d.poolWith(func(cfg *pgxpool.Config) {
		cfg.MaxConns = maxConns
		if addr == "" {
			return
		}
		host, port, _ := net.SplitHostPort(addr)
		p, _ := strconv.Atoi(port)
		cfg.ConnConfig.Host, cfg.ConnConfig.Port = host, uint16(p)
		cfg.ConnConfig.Fallbacks = nil
		cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	})
}

// poolWith connects to the schema with a pool config changed by edit, and
// closes when the test ends.
func (d *db) poolWith(edit func(*pgxpool.Config)) *pgxpool.Pool {
	d.t.Helper()
	cfg := d.base.Copy()
	cfg.ConnConfig.RuntimeParams["search_path"] = d.schema
	edit(cfg)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		d.t.Fatalf("connecting to %s: %v", urlEnv, err)
	}
	d.t.Cleanup(pool.Close)
	return pool
}

// proxy is a storetest.Proxy in front of the test server.
func (d *db) proxy() *storetest.Proxy {
	return storetest.NewProxy(d.t, net.JoinHostPort(d.base.ConnConfig.Host, strconv.Itoa(int(d.base.ConnConfig.Port))))
}

// client is a River client on pool for the schema; with fn it works the
// "default" queue with riverqueue.NewWorker(fn). edit, if not nil, changes
// the config before the client is made. A working client is started, and
// stopped when the test ends.
func (d *db) client(pool *pgxpool.Pool, fn func(context.Context, *river.Job[riverqueue.EventArgs]) error, edit func(*river.Config)) *river.Client[pgx.Tx] {
	d.t.Helper()
	cfg := &river.Config{
		Schema:      d.schema,
		Logger:      slog.New(slog.DiscardHandler),
		TestOnly:    true,
		RetryPolicy: immediateRetry{},
	}
	if fn != nil {
		workers := river.NewWorkers()
		river.AddWorker(workers, river.WorkFunc(fn))
		cfg.Workers = workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 20}}
		cfg.FetchCooldown = 5 * time.Millisecond
		cfg.FetchPollInterval = 50 * time.Millisecond
	} else {
		cfg.SkipUnknownJobCheck = true
	}
	if edit != nil {
		edit(cfg)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		d.t.Fatal(err)
	}
	if cfg.Workers != nil {
		if err := client.Start(context.Background()); err != nil {
			d.t.Fatal(err)
		}
		d.t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = client.StopAndCancel(ctx)
		})
	}
	return client
}

// immediateRetry retries a failed job at once, so that tests of retries do
// not wait for River's backoff.
type immediateRetry struct{}

func (immediateRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// jobs lists every job of the schema.
func (d *db) jobs() []*rivertype.JobRow {
	d.t.Helper()
	client := d.client(d.admin, nil, nil)
	var out []*rivertype.JobRow
	params := river.NewJobListParams().States(rivertype.JobStates()...).First(10000)
	for {
		res, err := client.JobList(context.Background(), params)
		if err != nil {
			d.t.Fatal(err)
		}
		out = append(out, res.Jobs...)
		if len(res.Jobs) < 10000 {
			return out
		}
		params = params.After(res.LastCursor)
	}
}

// argsOf decodes a job's args as River's workers do.
func argsOf(t testing.TB, job *rivertype.JobRow) riverqueue.EventArgs {
	t.Helper()
	var args riverqueue.EventArgs
	if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
		t.Fatalf("job %d: %v", job.ID, err)
	}
	return args
}
