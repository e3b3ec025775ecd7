package riverqueue

import (
	"time"

	"github.com/riverqueue/river"
)

// Option configures the jobs [Enqueue] inserts. Each sets the field of
// river.InsertOpts of the same name; a zero value leaves River's own
// default (the client's MaxAttempts, priority 1, queue "default"), and River
// checks the values at insert time.
type Option func(*river.InsertOpts)

// WithQueue inserts the jobs into the named queue instead of River's
// default one. The working client must list it in Config.Queues.
func WithQueue(name string) Option {
	return func(o *river.InsertOpts) { o.Queue = name }
}

// WithMaxAttempts sets how often a job is tried before River discards it
// (the client's Config.MaxAttempts, 25 by default, if not set). A discarded
// job stays in the table as the dead letter until Client.JobRetry runs it
// again or River's cleaner deletes it (Config.DiscardedJobRetentionPeriod).
func WithMaxAttempts(n int) Option {
	return func(o *river.InsertOpts) { o.MaxAttempts = n }
}

// WithPriority sets the jobs' priority, from 1 (the highest, River's
// default) to 4.
func WithPriority(p int) Option {
	return func(o *river.InsertOpts) { o.Priority = p }
}

// WithUniquePeriod bounds the uniqueness of each event's job to a period of
// River's (UniqueOpts.ByPeriod): a repeat blocks on an earlier job only if
// both fall into the same slot of length d, counted as time.Time.Truncate
// counts them, from January 1 of year 1 UTC rather than the Unix epoch
// (for 72 hours, say, the two give different slots). Periods are
// fixed slots, not a window since the first delivery: a repeat just after
// a slot's end inserts a second job however short the gap. Without this
// option (the default and the right choice for most) a job blocks repeats
// for as long as River keeps it, whatever its state.
func WithUniquePeriod(d time.Duration) Option {
	return func(o *river.InsertOpts) { o.UniqueOpts.ByPeriod = d }
}
