package webhook

import (
	"context"
	"log/slog"
	"time"
)

// Delivery is what the handler did with one request, given to an observer
// (see [WithObserver]) once the answer is written.
type Delivery struct {
	Outcome  Outcome
	Status   int           // the HTTP status answered
	Event    *Event        // nil when the request was rejected before its body was parsed
	Duration time.Duration // from the start of ServeHTTP to the answer
	// Err says why, for OutcomeFailed (fn's error or panic, or no fn
	// configured) and OutcomeStoreFailed (the store's error, which wraps
	// context.Canceled when the sender went away during the claim); it is
	// nil otherwise.
	Err error
}

// Outcome sorts the requests the handler answers, for metrics and logs: an
// operator counts them by outcome and alerts on the failing ones.
type Outcome string

const (
	// OutcomeProcessed: fn returned nil; answered 200.
	OutcomeProcessed Outcome = "processed"
	// OutcomeDuplicate: the event was processed before, so fn was not
	// called; answered 200.
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeInProgress: another delivery holds the event; answered 409, so
	// that SMTP2GO delivers it again later, or 503 when the sender left
	// while waiting for another delivery of it in this process.
	OutcomeInProgress Outcome = "in_progress"
	// OutcomeFailed: fn returned an error or panicked, or none was
	// configured; answered 500, and SMTP2GO delivers the event again.
	OutcomeFailed Outcome = "failed"
	// OutcomeStoreFailed: the deduplication store failed, or the sender
	// left while the event was being claimed; answered 500, and SMTP2GO
	// delivers the event again.
	OutcomeStoreFailed Outcome = "store_failed"
	// OutcomeUnauthorized: the credentials were missing or wrong; answered
	// 401.
	OutcomeUnauthorized Outcome = "unauthorized"
	// OutcomeRejected: not a delivery the handler can take (wrong method,
	// a body too large, too slow, of another media type or that does not
	// parse); answered 405, 413, 408, 415 or 400.
	OutcomeRejected Outcome = "rejected"
)

// observe hands d to the observer, if one is set. A panic in the observer is
// recovered and logged: the answer is written already, and one broken metric
// must not take the receiver down.
func (h *handler) observe(ctx context.Context, d Delivery) {
	defer func() {
		if p := recover(); p != nil {
			h.log(ctx, slog.LevelError, "smtp2go webhook: observer panicked; the answer was not changed", slog.Any("panic", p))
		}
	}()
	h.cfg.observer(ctx, d)
}
