package pgdedup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaykit/smtp2go/webhook"
)

// DefaultTable is the table a Store uses unless told otherwise.
const DefaultTable = "smtp2go_webhook_dedup"

// indexSuffix names the index on expires_at after its table.
const indexSuffix = "_expires_at"

// maxTableName keeps the index's name within PostgreSQL's 63 bytes, beyond
// which it would silently cut names short, and two tables could share one
// index name.
const maxTableName = 63 - len(indexSuffix)

// deleteBatch bounds the rows one statement of DeleteExpired deletes, so
// that a large backlog never holds many locks for long.
const deleteBatch = 1000

// DB is what a Store needs of the database: [*pgxpool.Pool] has it, as do
// wrappers of a pool that add tracing or metrics. A single [*pgx.Conn] has
// it too, but is not safe for concurrent use: give the store a pool.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store is a [webhook.Deduplicator] on a PostgreSQL table. It is safe for
// concurrent use by any number of goroutines, connections and processes; it
// holds no state of its own beyond its settings.
type Store struct {
	db   DB
	name string // the table's name as given
	ttl  time.Duration
	sql  statements
	err  error // a bad table name, returned by every call
}

// statements are the SQL a Store runs, made once for its table.
type statements struct {
	create, claim, complete, release, deleteExpired string
}

// Option configures a [Store].
type Option func(*Store)

// WithTable sets the table's name, [DefaultTable] by default: "name", or
// "schema.name" for a table in another schema than the connection's
// search_path finds. The name is quoted as given, so it may hold any
// character but a NUL, and is case-sensitive (use lower case to match
// unquoted SQL); it may be at most 52 bytes, so that its index's name fits.
// A name that breaks these rules makes every call of the Store fail, saying
// why. An empty name keeps the default.
func WithTable(name string) Option {
	return func(s *Store) {
		if name != "" {
			s.name = name
		}
	}
}

// WithTTL sets how long a processed event is remembered,
// [webhook.DefaultDedupTTL] (48 hours, as long as SMTP2GO redelivers) by
// default. Zero or less keeps the default.
func WithTTL(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.ttl = d
		}
	}
}

// New returns a Store on db. It sends nothing to the database until called.
// A nil db gives a Store whose every call fails, so that a wiring mistake
// answers 500 and loses no event.
func New(db DB, opts ...Option) *Store {
	s := &Store{db: db, name: DefaultTable, ttl: webhook.DefaultDedupTTL}
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	table, index, err := identifiers(s.name)
	s.sql, s.err = newStatements(table, index), err
	return s
}

// identifiers validates a table name and returns it and its index's name,
// quoted for SQL.
func identifiers(name string) (table, index string, err error) {
	parts := strings.Split(name, ".")
	bad := func(why string) (string, string, error) {
		return "", "", fmt.Errorf("pgdedup: table name %q: %s", name, why)
	}
	if len(parts) > 2 {
		return bad(`more than one "." (want "name" or "schema.name")`)
	}
	for _, p := range parts {
		switch {
		case p == "":
			return bad("an empty part")
		case !utf8.ValidString(p) || strings.ContainsRune(p, 0):
			return bad("not valid UTF-8 text without NUL bytes")
		case len(p) > 63:
			return bad("a part longer than PostgreSQL's 63 bytes")
		}
	}
	last := parts[len(parts)-1]
	if len(last) > maxTableName {
		return bad(fmt.Sprintf("longer than %d bytes, which leaves no room for its index's name", maxTableName))
	}
	return pgx.Identifier(parts).Sanitize(), pgx.Identifier{last + indexSuffix}.Sanitize(), nil
}

var (
	errNoDB    = errors.New("pgdedup: no database (nil)")
	errNoToken = errors.New("pgdedup: claim without a token")
)

// newStatements writes the SQL for a table and its index, quoted.
func newStatements(table, index string) statements {
	return statements{
		// The package doc shows this for the default table, for migration tools.
		create: `CREATE TABLE IF NOT EXISTS ` + table + ` (
	key        text        PRIMARY KEY,
	token      text        NOT NULL,
	state      text        NOT NULL CHECK (state IN ('claimed', 'done')),
	expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ` + index + ` ON ` + table + ` (expires_at);`,

		// The outer SELECT reads the snapshot the statement started with,
		// so it sees no row that another claim inserted or took over
		// meanwhile; for such a row, just taken by someone else, it finds
		// nothing, and nothing means InProgress.
		claim: `WITH claim AS (
	INSERT INTO ` + table + ` AS d (key, token, state, expires_at)
	VALUES ($1::text, $2::text, 'claimed', now() + $3::bigint * interval '1 microsecond')
	ON CONFLICT (key) DO UPDATE
		SET token = excluded.token, state = 'claimed',
			expires_at = CASE WHEN d.expires_at <= now() THEN excluded.expires_at ELSE d.expires_at END
		WHERE d.expires_at <= now() OR (d.state = 'claimed' AND d.token = excluded.token)
	RETURNING 0 AS answer
)
SELECT answer FROM claim
UNION ALL
SELECT CASE WHEN state = 'done' THEN 2 WHEN token = $2::text THEN 0 ELSE 1 END
FROM ` + table + `
WHERE key = $1::text AND expires_at > now() AND NOT EXISTS (SELECT FROM claim)`,

		complete: `INSERT INTO ` + table + ` (key, token, state, expires_at)
VALUES ($1::text, $2::text, 'done', now() + $3::bigint * interval '1 microsecond')
ON CONFLICT (key) DO UPDATE
	SET token = excluded.token, state = 'done', expires_at = excluded.expires_at`,

		release: `DELETE FROM ` + table + ` WHERE key = $1::text AND token = $2::text AND state = 'claimed'`,

		deleteExpired: fmt.Sprintf(`DELETE FROM %[1]s WHERE key IN (
	SELECT key FROM %[1]s WHERE expires_at <= now() LIMIT %[2]d FOR UPDATE SKIP LOCKED
) AND expires_at <= now()`, table, deleteBatch),
	}
}

// CreateTable creates the Store's table and its index unless they exist. It
// is safe to call from every replica at start-up, at once: an advisory lock
// keeps concurrent calls from tripping over each other, which IF NOT EXISTS
// alone does not.
func (s *Store) CreateTable(ctx context.Context) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	// One simple-protocol query of several statements runs as one
	// transaction, which the transaction-scoped lock spans.
	sql := `SELECT pg_advisory_xact_lock(hashtext('github.com/relaykit/smtp2go/webhook/pgdedup'));
` + s.sql.create
	if _, err := s.db.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pgdedup: create table: %q: %w", s.name, err)
	}
	return nil
}

// Claim takes key for token for lease, as [webhook.Deduplicator] says, in one
// statement: it inserts the claim, or takes over a row whose claim or Done
// has expired, and otherwise reads what holds the key. Like Complete and
// Release, it is sent again, twice at most, when it fails for want of a
// connection (one that broke, or that PostgreSQL ended). A lease of zero or
// less is [webhook.DefaultLease]. A claim already held by token is answered
// Claimed again.
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
	var answer int
	err := s.retry(ctx, "claim", func() error {
		err := s.db.QueryRow(ctx, s.sql.claim, key, token, microseconds(lease)).Scan(&answer)
		if errors.Is(err, pgx.ErrNoRows) {
			answer = 1
			return nil
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	switch answer {
	case 0:
		return webhook.Claimed, nil
	case 1:
		return webhook.InProgress, nil
	}
	return webhook.Done, nil
}

// Complete marks key Done for the store's TTL, in one statement. It does so
// whoever holds the key: the work is done, even if its holder outran its
// lease.
func (s *Store) Complete(ctx context.Context, key, token string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return s.retry(ctx, "complete", func() error {
		_, err := s.db.Exec(ctx, s.sql.complete, key, token, microseconds(s.ttl))
		return err
	})
}

// Release drops key's claim if token still holds it, in one statement; a
// claim taken over by another token, or a key already Done, is left alone.
func (s *Store) Release(ctx context.Context, key, token string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return s.retry(ctx, "release", func() error {
		_, err := s.db.Exec(ctx, s.sql.release, key, token)
		return err
	})
}

// retryWaits are the waits before a statement is sent again after it failed
// for want of a connection: without an answer from PostgreSQL (a broken or
// refused connection), or with PostgreSQL's own word that it ended or
// refused the connection (see [connectionEnded]). After PostgreSQL restarts,
// or a failover, or pg_terminate_backend, every connection a pool holds is
// dead, and each would otherwise fail one delivery.
//
// Every statement of a delivery is safe to send twice, also when the first
// was carried out before its connection died and its answer was lost:
// Complete writes the same Done row again; Release deletes nothing more,
// since the row it looks for is gone or belongs to another token; a Claim
// sent again with its token is answered Claimed, because the conflict check,
// unlike the statement's snapshot, sees the row the first one wrote and
// takes it again for the same token.
var retryWaits = []time.Duration{25 * time.Millisecond, 100 * time.Millisecond}

// retry runs statement, again after each of retryWaits while it fails for
// want of a connection and ctx has not ended, and wraps its last error. Any
// other answer of PostgreSQL, even an error, is final: the statements expect
// READ COMMITTED, PostgreSQL's default, under which they never fail to
// serialize.
func (s *Store) retry(ctx context.Context, op string, statement func() error) error {
	for i := 0; ; i++ {
		err := statement()
		if err == nil {
			return nil
		}
		var pgErr *pgconn.PgError
		answered := errors.As(err, &pgErr) && !connectionEnded(pgErr.Code)
		if i == len(retryWaits) || answered || ctx.Err() != nil {
			return s.fail(op, err) // the database answered, or time is up
		}
		s.dropIdle(err)
		select {
		case <-time.After(retryWaits[i]):
		case <-ctx.Done():
			return s.fail(op, err)
		}
	}
}

// dropIdle has a pool close the connections it holds idle when err says that
// a connection died (it broke, or PostgreSQL ended it), rather than that
// none could be made. A restart, a failover or a network fault ends them
// all at once, and a pool hands out a connection it used within the last
// second without checking it: a statement sent again would find another
// dead one, and each dead connection would fail a delivery. This is what
// pgxpool's Reset is for; connections in use are closed as they come back.
func (s *Store) dropIdle(err error) {
	var connectErr *pgconn.ConnectError
	if pool, ok := s.db.(*pgxpool.Pool); ok && !errors.As(err, &connectErr) {
		pool.Reset()
	}
}

// connectionEnded reports whether code is PostgreSQL's report that it ended
// a connection, or would not take one, for reasons of its own rather than
// the statement's: a new connection may well work, and the statement is
// sent again as after a broken connection. 57P04 (the database was dropped)
// is not among them: no new connection can help.
func connectionEnded(code string) bool {
	switch code {
	case "57P01", // admin_shutdown: pg_terminate_backend, or a fast or smart shutdown
		"57P02", // crash_shutdown: another backend crashed and the server restarts
		"57P03", // cannot_connect_now: the server is starting up or shutting down
		"57P05": // idle_session_timeout: the connection sat idle too long
		return true
	}
	return false
}

// DeleteExpired deletes the rows whose claim or Done has expired, in batches
// of a thousand (each its own statement, skipping rows a claim holds
// locked), and returns how many it deleted, also when ctx ends or the
// database fails part way.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	var total int64
	for {
		tag, err := s.db.Exec(ctx, s.sql.deleteExpired)
		if err != nil {
			return total, s.fail("delete expired", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < deleteBatch {
			return total, nil
		}
	}
}

// check refuses a call that cannot reach the table: a nil Store or
// database, a bad table name, or a context that has ended.
func (s *Store) check(ctx context.Context) error {
	if s == nil || isNil(s.db) {
		return errNoDB
	}
	if s.err != nil {
		return s.err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgdedup: %w", err)
	}
	return nil
}

// fail wraps an error of a statement, with a hint when the table is missing.
func (s *Store) fail(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return fmt.Errorf("pgdedup: %s: table %s does not exist: call CreateTable, or create it as the package doc shows: %w", op, s.name, err)
	}
	return fmt.Errorf("pgdedup: %s: %w", op, err)
}

// isNil reports whether db is nil, or a nil pointer to one of pgx's types,
// whose methods would panic.
func isNil(db DB) bool {
	switch c := db.(type) {
	case nil:
		return true
	case *pgxpool.Pool:
		return c == nil
	case *pgx.Conn:
		return c == nil
	}
	return false
}

// microseconds rounds d up to whole microseconds, PostgreSQL's resolution.
func microseconds(d time.Duration) int64 {
	return max(1, int64((d+time.Microsecond-1)/time.Microsecond))
}
