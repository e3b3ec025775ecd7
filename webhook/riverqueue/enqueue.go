package riverqueue

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/relaykit/smtp2go/webhook"
)

// ErrNilClient is returned for every event by the function [Enqueue] builds
// from a nil client, so that the handler answers 500 and SMTP2GO delivers
// the event again once the wiring is fixed.
var ErrNilClient = errors.New("riverqueue: nil River client")

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
// client may insert only (no Queues or Workers in its config); it must then
// have Config.SkipUnknownJobCheck unless its Workers include [NewWorker]'s.
func Enqueue(client *river.Client[pgx.Tx], opts ...Option) webhook.EventFunc {
	var base river.InsertOpts
	for _, opt := range opts {
		if opt != nil {
			opt(&base)
		}
	}
	return func(ctx context.Context, ev *webhook.Event) error {
		if client == nil {
			return ErrNilClient
		}
		if ev == nil {
			return errors.New("riverqueue: nil event")
		}
		o := base
		o.UniqueOpts = uniqueOpts(base.UniqueOpts.ByPeriod)
		if _, err := client.Insert(ctx, EventArgs{Key: ev.DedupKey(), Event: *ev}, &o); err != nil {
			return fmt.Errorf("riverqueue: inserting the job of %s event %s: %w", ev.Type, ev.ID, err)
		}
		return nil
	}
}
