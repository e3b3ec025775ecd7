package riverqueue_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/riverqueue"
)

// testEvent is a delivered event with ID n.
func testEvent(t testing.TB, n int) *webhook.Event {
	t.Helper()
	ev, err := webhook.ParseBody("application/x-www-form-urlencoded",
		fmt.Appendf(nil, "event=delivered&id=%032x&email_id=1abc-%d&time=2026-03-24T08%%3A23%%3A19Z", n, n))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// workingClient is a client of d that inserts and works, running every job
// through riverqueue.NewWorker(fn) and reporting each job's end on the
// returned channel.
func workingClient(t *testing.T, d *db, fn webhook.EventFunc, edit func(*river.Config)) (*river.Client[pgx.Tx], <-chan *river.Event) {
	t.Helper()
	worker := riverqueue.NewWorker(fn)
	client := d.client(d.admin, worker.Work, edit)
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	t.Cleanup(cancel)
	return client, events
}

// nextEnd waits for the next job to complete or fail.
func nextEnd(t *testing.T, events <-chan *river.Event) *river.Event {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(30 * time.Second):
		t.Fatal("no job completed or failed within 30s")
		return nil
	}
}

func TestWorkerRetriesUntilSuccess(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	var calls atomic.Int32
	client, events := workingClient(t, d, func(ctx context.Context, ev *webhook.Event) error {
		if calls.Add(1) <= 2 {
			return errors.New("the provider is down")
		}
		return nil
	}, nil)
	if err := riverqueue.Enqueue(client)(context.Background(), testEvent(t, 1)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		// A retry due at once makes the job available without waiting
		// for it as retryable.
		if e := nextEnd(t, events); e.Kind != river.EventKindJobFailed ||
			e.Job.State != rivertype.JobStateRetryable && e.Job.State != rivertype.JobStateAvailable {
			t.Fatalf("got %s with the job %s, want a failure leaving it to be retried", e.Kind, e.Job.State)
		}
	}
	e := nextEnd(t, events)
	if e.Kind != river.EventKindJobCompleted || e.Job.Attempt != 3 || len(e.Job.Errors) != 2 {
		t.Errorf("got %s at attempt %d with %d errors, want completed at attempt 3 after 2 errors", e.Kind, e.Job.Attempt, len(e.Job.Errors))
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("fn ran %d times, want 3", n)
	}
	// A repeat after the job completed inserts nothing.
	if err := riverqueue.Enqueue(client)(context.Background(), testEvent(t, 1)); err != nil {
		t.Fatal(err)
	}
	if jobs := d.jobs(); len(jobs) != 1 || jobs[0].State != rivertype.JobStateCompleted {
		t.Errorf("after a repeat of a completed event: %d jobs, want the completed one only", len(jobs))
	}
}

// TestWorkerDiscardsAndRetries: a job whose fn always fails (or panics) is
// discarded after its attempts and kept; a redelivery does not replace it;
// JobRetry runs it again.
func TestWorkerDiscardsAndRetries(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	var calls atomic.Int32
	var fixed atomic.Bool
	client, events := workingClient(t, d, func(ctx context.Context, ev *webhook.Event) error {
		switch calls.Add(1) {
		case 1:
			panic("a bug in the worker")
		default:
			if fixed.Load() {
				return nil
			}
			return errors.New("always failing")
		}
	}, nil)
	enqueue := riverqueue.Enqueue(client, riverqueue.WithMaxAttempts(3))
	ev := testEvent(t, 2)
	if err := enqueue(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	var last *river.Event
	for range 3 {
		last = nextEnd(t, events)
		if last.Kind != river.EventKindJobFailed {
			t.Fatalf("got %s, want failures", last.Kind)
		}
	}
	if last.Job.State != rivertype.JobStateDiscarded || last.Job.Attempt != 3 {
		t.Fatalf("after 3 failures the job is %s at attempt %d, want discarded at attempt 3", last.Job.State, last.Job.Attempt)
	}
	if len(last.Job.Errors) != 3 || last.Job.Errors[0].Trace == "" {
		t.Errorf("errors %+v: want 3, the first a panic with its trace", last.Job.Errors)
	}

	// A redelivery of the event inserts nothing: the dead letter is the job.
	if err := enqueue(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if jobs := d.jobs(); len(jobs) != 1 || jobs[0].State != rivertype.JobStateDiscarded {
		t.Fatalf("after a redelivery: %d jobs, want the discarded one only", len(jobs))
	}

	fixed.Store(true)
	if _, err := client.JobRetry(context.Background(), last.Job.ID); err != nil {
		t.Fatal(err)
	}
	if e := nextEnd(t, events); e.Kind != river.EventKindJobCompleted || e.Job.ID != last.Job.ID {
		t.Errorf("after JobRetry: %s of job %d, want job %d completed", e.Kind, e.Job.ID, last.Job.ID)
	}
}

// TestWorkerKilledMidJob: a worker dies holding a job (its connection to
// the database gone, its context cancelled, its client stopped without
// recording an outcome); a client started later rescues the job and runs it.
func TestWorkerKilledMidJob(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	proxy := d.proxy()
	started := make(chan struct{})
	var effects atomic.Int32
	doomed := d.client(d.pool(4, proxy.Addr()), riverqueue.NewWorker(func(ctx context.Context, ev *webhook.Event) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}).Work, func(c *river.Config) { c.LeaderElectionDisabled = true })
	if err := riverqueue.Enqueue(doomed)(context.Background(), testEvent(t, 3)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the job did not start within 30s")
	}
	proxy.Cut() // for good: the process is gone
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = doomed.StopAndCancel(ctx)
	job := d.jobs()[0]
	if job.State != rivertype.JobStateRunning {
		t.Fatalf("the killed worker's job is %s, want still running", job.State)
	}

	const rescueAfter = time.Second
	// The rescuer runs as its client becomes leader, and then every 30s:
	// the job is made overdue before it starts, as if the time had passed,
	// so that its first run rescues it.
	if _, err := d.admin.Exec(context.Background(), `UPDATE river_job SET attempted_at = now() - interval '1 minute' WHERE id = $1`, job.ID); err != nil {
		t.Fatal(err)
	}
	_, events := workingClient(t, d, func(ctx context.Context, ev *webhook.Event) error {
		effects.Add(1)
		return nil
	}, func(c *river.Config) {
		c.JobTimeout = rescueAfter / 2
		c.RescueStuckJobsAfter = rescueAfter
	})
	if e := nextEnd(t, events); e.Kind != river.EventKindJobCompleted || e.Job.ID != job.ID || e.Job.Attempt != 2 {
		t.Errorf("got %s of job %d at attempt %d, want job %d completed at attempt 2", e.Kind, e.Job.ID, e.Job.Attempt, job.ID)
	}
	if n := effects.Load(); n != 1 {
		t.Errorf("the rescued job ran %d times, want once", n)
	}
}

func TestWorkerNilFunc(t *testing.T) {
	t.Parallel()
	err := riverqueue.NewWorker(nil).Work(context.Background(), &river.Job[riverqueue.EventArgs]{})
	if !errors.Is(err, riverqueue.ErrNilFunc) {
		t.Errorf("Work = %v, want ErrNilFunc", err)
	}
}
