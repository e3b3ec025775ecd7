package riverqueue

import (
	"context"
	"errors"

	"github.com/riverqueue/river"

	"github.com/relaykit/smtp2go/webhook"
)

// ErrNilFunc is the error of every job worked by a worker [NewWorker] built
// from a nil function: River retries the job and, once its attempts run
// out, keeps it discarded, so that no event is lost to the wiring mistake.
var ErrNilFunc = errors.New("riverqueue: nil EventFunc")

// NewWorker runs fn for each job, with River's retries: an error or panic retries the job
// with River's backoff until its attempts run out; then the job is discarded and can be retried.
//
// fn gets the job's context, which River cancels at the job's timeout
// (Config.JobTimeout, 1 minute by default) and on a hard stop, and the event
// exactly as the handler parsed it. Its error reaches River as it is, so
// river.JobSnooze, river.JobCancel and the rest work from fn as from any
// River worker. Register the worker with river.AddWorker.
//
// A job runs at least once, and more than once if its worker dies or
// outlasts Config.RescueStuckJobsAfter before recording the outcome: key
// fn's side effects by ev.DedupKey() to make them happen once.
func NewWorker(fn webhook.EventFunc) river.Worker[EventArgs] {
	return &worker{fn: fn}
}

type worker struct {
	river.WorkerDefaults[EventArgs]
	fn webhook.EventFunc
}

func (w *worker) Work(ctx context.Context, job *river.Job[EventArgs]) error {
	if w.fn == nil {
		return ErrNilFunc
	}
	return w.fn(ctx, &job.Args.Event)
}
