// Package pgdedup is a [webhook.Deduplicator] on PostgreSQL, for receivers
// that run as several replicas: every replica's handler shares one table, so
// that an event SMTP2GO delivers again, to any replica, is processed once.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	store := pgdedup.New(pool)
//	if err := store.CreateTable(ctx); err != nil { // or run the SQL below in a migration
//		return err
//	}
//	h := webhook.NewHandler(record, webhook.WithDeduplicator(store))
//
// The table holds one row per event, keyed by its [webhook.Event.DedupKey].
// [Store.CreateTable] creates it if it does not exist; a migration tool can
// run the same SQL instead (shown for the default table name):
//
//	CREATE TABLE IF NOT EXISTS smtp2go_webhook_dedup (
//		key        text        PRIMARY KEY,
//		token      text        NOT NULL,
//		state      text        NOT NULL CHECK (state IN ('claimed', 'done')),
//		expires_at timestamptz NOT NULL
//	);
//	CREATE INDEX IF NOT EXISTS smtp2go_webhook_dedup_expires_at ON smtp2go_webhook_dedup (expires_at);
//
// A delivery costs two statements, each one round trip: Claim, then Complete
// or Release (with pgx's default statement cache, a connection also prepares
// each statement the first time it runs it). Claim is a single INSERT … ON
// CONFLICT … DO UPDATE … WHERE the old claim expired, so no two replicas ever
// hold a live claim, whatever the number of connections; every expiry is
// computed with the database's clock (now()), so the replicas' clocks do not
// matter. The statements expect READ COMMITTED, PostgreSQL's default
// isolation.
//
// Rows are not removed when they expire, only ignored: call
// [Store.DeleteExpired] now and then (an hourly job on one replica is plenty),
// or schedule its equivalent, DELETE FROM smtp2go_webhook_dedup WHERE
// expires_at <= now(), in the database.
//
// What it guarantees is what [webhook.Deduplicator] says: no event is lost,
// and none is processed twice unless its holder died or outran its lease
// after its side effects, or the database could not record a completion.
// While the database cannot be reached, deliveries are answered 500 and
// SMTP2GO delivers them again later; a callback that finished just as it went
// away is answered 200 without Done recorded (the handler logs it), so a
// repeat of its event after the lease is processed again. A statement that
// fails for want of a connection is sent again, twice at most: one whose
// connection broke without an answer, as every pooled connection does once
// after the database restarts, or one whose connection PostgreSQL itself
// ended or refused (pg_terminate_backend, a fast shutdown, a crash of another
// backend, a server still starting: SQLSTATE 57P01, 57P02, 57P03, 57P05).
// Since such an event ends every connection at once, a [*pgxpool.Pool] is
// also told to close its idle ones (Reset), so that the statement sent again
// gets a new connection. Every statement is safe to send twice; any other
// answer of the database is final. A crash of
// the database loses nothing it committed; a failover to a standby that had
// not received the latest commits (asynchronous replication) can forget
// recent completions, and events that SMTP2GO then delivers again may be
// processed twice (never lost).
package pgdedup
