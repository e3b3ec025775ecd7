package webhook

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// leaseContext is the context of a claim and its callback: it ends when the
// lease does, when the request's context ends, or when the delivery is over.
// It is what context.WithDeadline makes, made only when first watched: a
// callback that never waits on Done (and the default store, which only asks
// Err) costs no timer, and every method answers as the standard context
// would. Err checks the clock and the parent itself until then.
//
// The zero value is not usable; start sets it up. It must not be copied
// after first use.
type leaseContext struct {
	parent   context.Context
	deadline time.Time
	armed    atomic.Bool // inner is set
	mu       sync.Mutex
	inner    context.Context // context.WithDeadline(parent, deadline), once watched
	cancel   context.CancelFunc
	ended    bool // end was called
}

func (c *leaseContext) start(parent context.Context, deadline time.Time) {
	c.parent, c.deadline = parent, deadline
}

// arm makes the standard context, once, and returns it.
func (c *leaseContext) arm() context.Context {
	if c.armed.Load() {
		return c.inner
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		c.inner, c.cancel = context.WithDeadline(c.parent, c.deadline)
		if c.ended {
			c.cancel()
		}
		c.armed.Store(true)
	}
	return c.inner
}

// end cancels c, as the CancelFunc of context.WithDeadline does.
func (c *leaseContext) end() {
	c.mu.Lock()
	c.ended = true
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// live reports whether c has not ended, without making the standard context.
func (c *leaseContext) live() bool {
	c.mu.Lock()
	ended := c.ended
	c.mu.Unlock()
	return !ended && c.parent.Err() == nil && time.Now().Before(c.deadline)
}

func (c *leaseContext) Deadline() (time.Time, bool) {
	if d, ok := c.parent.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

func (c *leaseContext) Done() <-chan struct{} { return c.arm().Done() }

func (c *leaseContext) Err() error {
	if !c.armed.Load() && c.live() {
		return nil
	}
	// Ended: the standard context says how, and Done is closed from now on.
	return c.arm().Err()
}

// Value answers from the standard context once made (it is the cancelCtx
// that context.WithCancel and context.Cause look up), and from the parent
// before: nothing else is set between them.
func (c *leaseContext) Value(key any) any {
	if c.armed.Load() || !c.live() {
		return c.arm().Value(key)
	}
	return c.parent.Value(key)
}

func (c *leaseContext) String() string { return "webhook.leaseContext" }
