package riverqueue

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/relaykit/smtp2go/webhook"
)

// ErrNilClient is returned for every event by the function [Enqueue] builds
// from a nil client, so that the handler answers 500 and SMTP2GO delivers
// the event again once the wiring is fixed.
var ErrNilClient = errors.New("riverqueue: nil River client")

const (
	// maxBatch bounds how many events one insert carries.
	maxBatch = 100
	// insertTimeout bounds an insert, which runs apart from any one
	// delivery's context: SMTP2GO gives up on a delivery after 10 seconds.
	insertTimeout = 10 * time.Second
)

// Enqueue returns an EventFunc for webhook.NewHandler that inserts each event
// as a job, unique by its DedupKey, and returns once the insert has committed.
//
// A repeat of an event whose job River still holds, in any state, inserts
// nothing and returns nil, so the handler answers 200; two repeats at once
// on different replicas insert one job between them, since River's unique
// insert is one statement against one unique index. An insert that fails
// returns the error, so the handler answers 500 and SMTP2GO delivers the
// event again. Use the handler with [webhook.WithoutDeduplication]: the job
// table is the deduplication store.
//
// Events that arrive while an insert is under way go into the next one
// together (River's InsertMany, one transaction), so that under load a
// commit serves many deliveries; an event arriving alone is inserted at
// once. The insert runs in a goroutine that lives while inserts are waiting,
// under a context of its own (the values of the first delivery's, bounded
// to 10 seconds), so that one delivery that goes away does not fail the
// others; a delivery whose context ends first returns its error, and its
// event may have been inserted all the same (its redelivery then finds the
// job).
//
// client may insert only (no Queues or Workers in its config); it must then
// have Config.SkipUnknownJobCheck unless its Workers include [NewWorker]'s.
func Enqueue(client *river.Client[pgx.Tx], opts ...Option) webhook.EventFunc {
	in := &inserter{client: client}
	for _, opt := range opts {
		if opt != nil {
			opt(&in.opts)
		}
	}
	in.opts.UniqueOpts = uniqueOpts(in.opts.UniqueOpts.ByPeriod)
	return in.insert
}

// inserter batches the events of concurrent deliveries into one insert.
type inserter struct {
	client *river.Client[pgx.Tx]
	opts   river.InsertOpts

	mu      sync.Mutex
	pending []*insertion
	running bool // a goroutine is inserting, and takes pending next
}

// insertion is one delivery's event, waiting for the insert that carries it.
type insertion struct {
	ctx  context.Context
	args EventArgs
	done chan struct{}
	err  error
}

func (in *inserter) insert(ctx context.Context, ev *webhook.Event) error {
	if in.client == nil {
		return ErrNilClient
	}
	if ev == nil {
		return errors.New("riverqueue: nil event")
	}
	x := &insertion{ctx: ctx, args: EventArgs{Key: ev.DedupKey(), Event: *ev}, done: make(chan struct{})}
	in.mu.Lock()
	in.pending = append(in.pending, x)
	if !in.running {
		in.running = true
		go in.run()
	}
	in.mu.Unlock()
	select {
	case <-x.done:
		if x.err != nil {
			return fmt.Errorf("riverqueue: inserting the job of %s event %s: %w", ev.Type, ev.ID, x.err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("riverqueue: %s event %s: %w", ev.Type, ev.ID, context.Cause(ctx))
	}
}

// run inserts the pending events, a batch at a time, until none is left.
func (in *inserter) run() {
	for {
		in.mu.Lock()
		n := min(len(in.pending), maxBatch)
		if n == 0 {
			in.running = false
			in.mu.Unlock()
			return
		}
		batch := in.pending[:n:n]
		in.pending = in.pending[n:]
		in.mu.Unlock()
		// A delivery that went away has been answered with an error, and
		// SMTP2GO delivers its event again: inserting it would only keep
		// this goroutine, and the deliveries behind it, waiting longer.
		live := batch[:0:0]
		for _, x := range batch {
			if x.ctx.Err() != nil {
				close(x.done)
				continue
			}
			live = append(live, x)
		}
		if len(live) > 0 {
			in.insertBatch(live)
		}
	}
}

// insertBatch inserts one job per distinct key in batch, in one
// transaction, and reports the outcome to every insertion.
func (in *inserter) insertBatch(batch []*insertion) {
	// Repeats of one event in the same statement would make PostgreSQL
	// refuse it (ON CONFLICT cannot affect a row twice): insert each key
	// once. Sorted by key, so that replicas inserting overlapping batches
	// at once take their row locks in the same order and never deadlock.
	unique := make(map[string]EventArgs, len(batch))
	for _, x := range batch {
		if _, ok := unique[x.args.Key]; !ok {
			unique[x.args.Key] = x.args
		}
	}
	params := make([]river.InsertManyParams, 0, len(unique))
	for _, key := range slices.Sorted(maps.Keys(unique)) {
		params = append(params, river.InsertManyParams{Args: unique[key], InsertOpts: &in.opts})
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(batch[0].ctx), insertTimeout)
	defer cancel()
	_, err := in.client.InsertMany(ctx, params)
	for _, x := range batch {
		x.err = err
		close(x.done)
	}
}
