package webhook

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// failureLogInterval is how often a failure that repeats is logged in full:
// an outage of a store under load fails every delivery, and one line per
// delivery would bury everything else in the log.
const failureLogInterval = 10 * time.Second

// storeCall is a call the handler makes to its Deduplicator.
type storeCall int

const (
	callClaim storeCall = iota
	callComplete
	callRelease
	storeCalls
)

func (c storeCall) String() string {
	return [storeCalls]string{"claim", "complete", "release"}[c]
}

// failureKind is one way a delivery's store call can fail; each is logged
// with its own message, and summarised apart from the others.
type failureKind int

const (
	claimUnreachable failureKind = iota // the store refused the connection, or could not be dialled
	claimFailed                         // any other failure of a claim
	claimSenderLeft                     // the request ended during the claim
	completeFailed
	releaseFailed
	failureKinds
)

func (k failureKind) call() storeCall {
	switch k {
	case completeFailed:
		return callComplete
	case releaseFailed:
		return callRelease
	}
	return callClaim
}

// failureLog writes the store's failures so that an outage stays readable.
// The first failure of a kind is logged in full; the others of that kind
// within failureLogInterval are only counted, and the count goes with the
// next line of that kind, or with the line that says the store answers that
// call again. Nothing is lost from the count; only the lines are fewer.
//
// The zero value is ready to use.
type failureLog struct {
	now     func() time.Time        // the clock; nil is time.Now, tests set it
	pending [storeCalls]atomic.Bool // some failure of this call is counted and not logged
	mu      sync.Mutex
	runs    [failureKinds]failureRun
}

// failureRun is one kind of failure since it was last logged in full.
type failureRun struct {
	logged    time.Time // when it was last logged in full; zero when not failing
	notLogged int       // failures of this kind since then, counted only
}

func (f *failureLog) clock() time.Time {
	if f.now != nil {
		return f.now()
	}
	return time.Now()
}

// log writes msg with attrs at level, or counts it if a failure of the same
// kind was logged less than failureLogInterval ago.
func (f *failureLog) log(ctx context.Context, logger *slog.Logger, kind failureKind, level slog.Level, msg string, attrs ...slog.Attr) {
	if logger == nil {
		return
	}
	now := f.clock()
	f.mu.Lock()
	run := &f.runs[kind]
	if !run.logged.IsZero() && now.Sub(run.logged) < failureLogInterval {
		run.notLogged++
		f.pending[kind.call()].Store(true)
		f.mu.Unlock()
		return
	}
	notLogged := run.notLogged
	run.logged, run.notLogged = now, 0
	// Set even for a failure logged in full, so that answered clears the
	// run and a new outage within the interval is logged at once.
	f.pending[kind.call()].Store(true)
	f.mu.Unlock()
	if notLogged > 0 {
		attrs = append(attrs, slog.Int("repeats_not_logged", notLogged))
	}
	logger.LogAttrs(ctx, level, msg, attrs...)
}

// answered is called when the store answers call: after a failure of that
// call was logged, one line says so, with the count of those not logged yet,
// and the next failure is logged in full at once. Until a failure is logged or counted, it costs
// one atomic load.
func (f *failureLog) answered(ctx context.Context, logger *slog.Logger, call storeCall) {
	if logger == nil || !f.pending[call].Load() {
		return
	}
	f.mu.Lock()
	notLogged := 0
	for k := range failureKinds {
		if k.call() == call {
			notLogged += f.runs[k].notLogged
			f.runs[k] = failureRun{}
		}
	}
	f.pending[call].Store(false)
	f.mu.Unlock()
	attrs := []slog.Attr{slog.String("call", call.String())}
	if notLogged > 0 {
		attrs = append(attrs, slog.Int("repeats_not_logged", notLogged))
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "smtp2go webhook: deduplication store answers again", attrs...)
}
