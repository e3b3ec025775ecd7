// Package riverqueue hands SMTP2GO deliveries to River
// (github.com/riverqueue/river), the job queue on PostgreSQL: the handler
// answers as soon as the event's job has committed, well within the 10
// seconds SMTP2GO waits, and River's workers do the slow work, with retries,
// backoff, and the jobs that run out of attempts kept as a dead letter.
//
// The whole wiring, for every replica of the receiver:
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	// River's tables: run its migrations (here, or with the river CLI).
//	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
//	if err != nil {
//		return err
//	}
//	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
//		return err
//	}
//	workers := river.NewWorkers()
//	river.AddWorker(workers, riverqueue.NewWorker(sendFollowUp))
//	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
//		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
//		Workers: workers,
//		Logger:  logger,
//		// Keep finished jobs past SMTP2GO's redelivery window (see below).
//		CompletedJobRetentionPeriod: 72 * time.Hour,
//		CancelledJobRetentionPeriod: 72 * time.Hour,
//	})
//	if err != nil {
//		return err
//	}
//	if err := client.Start(ctx); err != nil {
//		return err
//	}
//	http.Handle("/smtp2go", webhook.NewHandler(riverqueue.Enqueue(client),
//		webhook.WithBearerToken(token), webhook.WithoutDeduplication()))
//
// One client may insert and work, as here, or the receiver may insert with a
// client that has no Queues (set SkipUnknownJobCheck on it) while other
// processes work the jobs.
//
// # One job per event
//
// [Enqueue] inserts [EventArgs] unique by the event's [webhook.Event.DedupKey]
// (River's UniqueOpts.ByArgs over the Key field) in every job state: a repeat
// of a delivery, on any replica, finds the job, whether it is waiting,
// running, retrying, completed, discarded or cancelled, inserts nothing and
// is answered 200. River's unique insert is a single INSERT … ON CONFLICT on
// a unique index, so two repeats at the same moment on two replicas insert
// one job between them, and neither is answered 200 before that job has
// committed. An insert that fails (the database away, say) is answered 500,
// and SMTP2GO delivers the event again later.
//
// Deliveries that arrive while an insert is under way share the next one
// (River's InsertMany, one transaction): under load, one commit answers
// many deliveries, and a delivery arriving alone is inserted at once.
//
// So the handler needs no deduplication store of its own: configure it with
// [webhook.WithoutDeduplication]. The job table is the store, and the insert
// is the whole of what the handler does, so there is nothing that a claim
// would protect. A store in front would cost its own round trips per
// delivery, answer 409 to repeats that the unique insert answers 200, and
// have to keep its keys as long as River keeps its jobs.
//
// # How long uniqueness lasts
//
// A job blocks repeats for as long as it is in the table. SMTP2GO delivers
// an event again for up to 48 hours ([RedeliveryWindow]), so River must keep
// finished jobs at least that long. Those are River's settings, on every
// client that may be elected leader (the leader runs the cleaner):
//   - Config.CompletedJobRetentionPeriod: River's default is 24 hours, shorter
//     than the window. Set it to 72 hours, say, or -1 to keep them.
//   - Config.CancelledJobRetentionPeriod: 24 hours by default, likewise.
//   - Config.DiscardedJobRetentionPeriod: 7 days by default, which is also
//     how long the dead letter lasts.
//
// With River's defaults, a repeat that comes more than 24 hours after its job
// completed inserts a second job, which the worker runs again. Nothing is
// lost, and side effects keyed by the event's DedupKey (below) still happen
// once. [WithUniquePeriod] narrows uniqueness further, to fixed slots of
// time; without it, uniqueness is as long as the retention.
//
// # The worker and the dead letter
//
// [NewWorker] runs a [webhook.EventFunc] for each job, with the event as the
// handler parsed it. An error or a panic fails the attempt, and River tries
// again with its backoff until the job's attempts (Config.MaxAttempts, 25 by
// default, or [WithMaxAttempts]) run out; the job is then discarded, and kept:
// that is the dead letter, listed by Client.JobList with the discarded state
// or in River's UI, and run again by Client.JobRetry. A redelivery of its
// event does not replace it.
//
// A job runs at least once, not exactly once. A worker process killed
// mid-job leaves the job running in the table; River's rescuer, on the
// leader, makes it available again once it has run longer than
// Config.RescueStuckJobsAfter (1 hour by default), and another worker runs it
// again. A job whose work finished just before its worker died runs again
// the same way. Key the function's side effects by ev.DedupKey() (an
// idempotency key, a unique row) to make them happen once.
//
// # Logging and secrets
//
// This package logs nothing: the handler logs through [webhook.WithLogger],
// River through Config.Logger (without one, River writes warnings to
// standard output). A job holds the whole event, Auth (which may be an API
// key) and every field included, so that the worker gets exactly what
// SMTP2GO sent: guard the job table, and River's UI, as holding secrets.
package riverqueue
