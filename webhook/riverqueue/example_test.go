package riverqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/riverqueue"
)

// Every replica of the receiver runs this with the same database: the
// handler answers once the event's job has committed, and the workers send
// the follow-up email, with River's retries. It needs a PostgreSQL server,
// so it is compiled but not run.
func Example() {
	ctx := context.Background()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		log.Fatal(err)
	}

	sendFollowUp := func(ctx context.Context, ev *webhook.Event) error {
		if ev.Type != "bounce" {
			return nil
		}
		// A slow provider, called with the event's key as the idempotency
		// key: a job that runs again after its worker died sends once.
		logger.InfoContext(ctx, "follow-up", "rcpt", ev.Rcpt, "idempotency_key", ev.DedupKey())
		return nil
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, riverqueue.NewWorker(sendFollowUp))
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
		Workers:                     workers,
		Logger:                      logger,
		CompletedJobRetentionPeriod: 72 * time.Hour, // past SMTP2GO's 48 hours of redeliveries
		CancelledJobRetentionPeriod: 72 * time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		log.Fatal(err)
	}

	http.Handle("/smtp2go", webhook.NewHandler(riverqueue.Enqueue(client),
		webhook.WithBearerToken(os.Getenv("WEBHOOK_TOKEN")),
		webhook.WithoutDeduplication(), // the job table is the store
		webhook.WithLogger(logger)))
	log.Fatal(http.ListenAndServe(":8080", nil))
}

// The dead letter is the discarded jobs: list them, and run one again once
// what made it fail is fixed. It needs a PostgreSQL server, so it is
// compiled but not run.
func Example_deadLetter() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{SkipUnknownJobCheck: true})
	if err != nil {
		log.Fatal(err)
	}
	res, err := client.JobList(ctx, river.NewJobListParams().
		Kinds(riverqueue.Kind).States(rivertype.JobStateDiscarded).First(100))
	if err != nil {
		log.Fatal(err)
	}
	for _, job := range res.Jobs {
		var args riverqueue.EventArgs
		if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
			log.Fatal(err)
		}
		if n := len(job.Errors); n > 0 {
			fmt.Println(job.ID, args.Event.Type, args.Event.ID, job.Errors[n-1].Error)
		}
		if _, err := client.JobRetry(ctx, job.ID); err != nil {
			log.Fatal(err)
		}
	}
}

// Options set the jobs' queue, attempts and priority as River's InsertOpts
// do; a working client must list the queue.
func ExampleEnqueue_options() {
	var client *river.Client[pgx.Tx] // as in the package example
	fn := riverqueue.Enqueue(client,
		riverqueue.WithQueue("smtp2go"),
		riverqueue.WithMaxAttempts(10), // with River's default backoff, about 7 hours of retries before the dead letter
		riverqueue.WithPriority(2),
	)
	err := fn(context.Background(), &webhook.Event{Type: "delivered", ID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0"})
	fmt.Println(errors.Is(err, riverqueue.ErrNilClient)) // a nil client refuses every event: answered 500
	// Output: true
}

// A job's args are the event's key, what River's uniqueness compares, and
// the event itself, as the River UI shows them.
func ExampleEventArgs() {
	ev, err := webhook.ParseBody("application/x-www-form-urlencoded",
		[]byte("event=delivered&id=0f1e2d3c4b5a69788796a5b4c3d2e1f0&rcpt=jane%40example.org"))
	if err != nil {
		log.Fatal(err)
	}
	args := riverqueue.EventArgs{Key: ev.DedupKey(), Event: *ev}
	raw, err := json.Marshal(args)
	if err != nil {
		log.Fatal(err)
	}
	var back riverqueue.EventArgs
	if err := json.Unmarshal(raw, &back); err != nil {
		log.Fatal(err)
	}
	fmt.Println(args.Kind(), back.Key, back.Event.Type, back.Event.Rcpt)
	// Output: smtp2go_webhook_event 0f1e2d3c4b5a69788796a5b4c3d2e1f0 delivered jane@example.org
}
