package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// observed collects what an observer is given.
type observed struct {
	mu sync.Mutex
	ds []Delivery
}

func (o *observed) observe(_ context.Context, d Delivery) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ds = append(o.ds, d)
}

func (o *observed) all() []Delivery {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Delivery(nil), o.ds...)
}

// TestObserverSeesEveryOutcome produces each outcome with a real request and
// checks what the observer is given: once per request, after the answer,
// with the status answered, the event when it was parsed and the error when
// there is one.
func TestObserverSeesEveryOutcome(t *testing.T) {
	t.Parallel()
	ok := func(context.Context, *Event) error { return nil }
	failing := func(context.Context, *Event) error { return errors.New("insert failed") }
	panicking := func(context.Context, *Event) error { panic("kaboom") }
	tests := []struct {
		name    string
		fn      EventFunc
		opts    []Option
		req     func() *http.Request
		serve   func(t *testing.T, h http.Handler, req *http.Request) int // nil: serveOnce
		outcome Outcome
		status  int
		event   bool // Event not nil
		err     bool // Err not nil
	}{
		{name: "processed", fn: ok, outcome: OutcomeProcessed, status: 200, event: true},
		{name: "duplicate", fn: ok, serve: func(t *testing.T, h http.Handler, req *http.Request) int {
			serveOnce(h, delivery(deliveredForm))
			return serveOnce(h, req).Code
		}, outcome: OutcomeDuplicate, status: 200, event: true},
		{name: "held by another replica", fn: ok, opts: []Option{WithDeduplicator(answering{state: InProgress})},
			outcome: OutcomeInProgress, status: 409, event: true},
		{name: "waiting for another delivery, whose sender leaves", fn: ok, serve: waitThenLeave,
			outcome: OutcomeInProgress, status: 503, event: true},
		{name: "callback fails", fn: failing, outcome: OutcomeFailed, status: 500, event: true, err: true},
		{name: "callback panics", fn: panicking, outcome: OutcomeFailed, status: 500, event: true, err: true},
		{name: "no callback", outcome: OutcomeFailed, status: 500, err: true},
		{name: "store fails", fn: ok, opts: []Option{WithDeduplicator(&storeFaults{claim: true})},
			outcome: OutcomeStoreFailed, status: 500, event: true, err: true},
		{name: "unauthorized", fn: ok, opts: []Option{WithBasicAuth(testUser, testPass)},
			outcome: OutcomeUnauthorized, status: 401},
		{name: "method", fn: ok, req: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) },
			outcome: OutcomeRejected, status: 405},
		{name: "too large", fn: ok, opts: []Option{WithMaxBodyBytes(8)}, outcome: OutcomeRejected, status: 413},
		{name: "media type", fn: ok, req: func() *http.Request {
			return delivery(deliveredForm, func(r *http.Request) { r.Header.Set("Content-Type", "text/xml") })
		}, outcome: OutcomeRejected, status: 415},
		{name: "malformed", fn: ok, req: func() *http.Request { return delivery("event=delivered&id=%zz") },
			outcome: OutcomeRejected, status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got observed
			h := NewHandler(tt.fn, append(tt.opts, WithObserver(got.observe))...)
			req := delivery(deliveredForm)
			if tt.req != nil {
				req = tt.req()
			}
			serve := tt.serve
			if serve == nil {
				serve = func(_ *testing.T, h http.Handler, req *http.Request) int { return serveOnce(h, req).Code }
			}
			status := serve(t, h, req)
			ds := got.all()
			if len(ds) == 0 {
				t.Fatal("observer not called")
			}
			// The observation of req: the others are of the deliveries
			// that set the stage.
			d := ds[len(ds)-1]
			for _, o := range ds {
				if o.Status == status {
					d = o
				}
			}
			if status != tt.status || d.Status != tt.status || d.Outcome != tt.outcome {
				t.Errorf("answered %d; observed %d %q, want %d %q", status, d.Status, d.Outcome, tt.status, tt.outcome)
			}
			if (d.Event != nil) != tt.event || (d.Err != nil) != tt.err {
				t.Errorf("observed Event %v, Err %v; want Event set %v, Err set %v", d.Event != nil, d.Err, tt.event, tt.err)
			}
			if tt.event && d.Event.ID != "0f1e2d3c4b5a69788796a5b4c3d2e1f0" {
				t.Errorf("observed event %q", d.Event.ID)
			}
			if d.Duration <= 0 {
				t.Errorf("duration %v", d.Duration)
			}
		})
	}
}

// answering is a Deduplicator whose Claim answers state.
type answering struct{ state ClaimState }

func (a answering) Claim(context.Context, string, string, time.Duration) (ClaimState, error) {
	return a.state, nil
}
func (answering) Complete(context.Context, string, string) error { return nil }
func (answering) Release(context.Context, string, string) error  { return nil }

// waitThenLeave serves req while another delivery of the same event is in
// its callback; req's sender leaves while it waits.
func waitThenLeave(t *testing.T, h http.Handler, req *http.Request) int {
	hh := h.(*handler)
	entered, release := make(chan struct{}), make(chan struct{})
	fn := hh.fn
	hh.fn = func(ctx context.Context, ev *Event) error {
		close(entered)
		<-release
		return fn(ctx, ev)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hh.onWait = cancel
	first := make(chan int)
	go func() { first <- serveOnce(h, delivery(deliveredForm)).Code }()
	<-entered
	status := serveOnce(h, req.WithContext(ctx)).Code
	close(release)
	if code := <-first; code != 200 {
		t.Errorf("first delivery: status %d", code)
	}
	return status
}

// TestObserverCalledAfterTheAnswer checks that the observer runs once per
// request, in the request's goroutine, after the answer is written, with the
// request's context; and that a panic in it changes nothing.
func TestObserverCalledAfterTheAnswer(t *testing.T) {
	t.Parallel()
	type key struct{}
	var calls int
	rec := httptest.NewRecorder()
	h := NewHandler(func(context.Context, *Event) error { return nil }, WithObserver(func(ctx context.Context, d Delivery) {
		calls++ // no lock: the request's goroutine, or the race detector says otherwise
		if rec.Code != 200 || d.Status != 200 {
			t.Errorf("observer called before the answer: recorder %d, delivery %d", rec.Code, d.Status)
		}
		if calls == 1 && ctx.Value(key{}) != "v" {
			t.Error("observer not given the request's context")
		}
		panic("observer broken")
	}), WithLogger(discardLogger()))
	req := delivery(deliveredForm)
	h.ServeHTTP(rec, req.WithContext(context.WithValue(req.Context(), key{}, "v")))
	if rec.Code != 200 || calls != 1 {
		t.Errorf("status %d, observer called %d times; want 200, once", rec.Code, calls)
	}
	// The next delivery is a duplicate as usual: the panic left no state behind.
	if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 || calls != 2 {
		t.Errorf("redelivery: status %d, observer called %d times", rec.Code, calls)
	}
}

func TestObserverPanicLogged(t *testing.T) {
	t.Parallel()
	logs := &capturedLog{}
	h := NewHandler(func(context.Context, *Event) error { return nil },
		WithObserver(func(context.Context, Delivery) { panic("observer broken") }), WithLogger(slogTo(logs)))
	if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if !strings.Contains(logs.String(), `level=ERROR msg="smtp2go webhook: observer panicked; the answer was not changed" panic="observer broken"`) {
		t.Errorf("log:\n%s", logs)
	}
}

// TestNilObserver is no observer.
func TestNilObserver(t *testing.T) {
	t.Parallel()
	h := NewHandler(func(context.Context, *Event) error { return nil }, WithObserver(nil))
	if rec := serveOnce(h, delivery(deliveredForm)); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
}

// panickingStore is a store that takes a call's effect and then panics, in
// the calls it is told to.
type panickingStore struct {
	MemoryDeduplicator
	claim, complete, release atomic.Bool
}

func (s *panickingStore) Claim(ctx context.Context, key, token string, lease time.Duration) (ClaimState, error) {
	st, err := s.MemoryDeduplicator.Claim(ctx, key, token, lease)
	if s.claim.Load() {
		panic("claim broken")
	}
	return st, err
}

func (s *panickingStore) Complete(ctx context.Context, key, token string) error {
	err := s.MemoryDeduplicator.Complete(ctx, key, token)
	if s.complete.Load() {
		panic("complete broken")
	}
	return err
}

func (s *panickingStore) Release(ctx context.Context, key, token string) error {
	err := s.MemoryDeduplicator.Release(ctx, key, token)
	if s.release.Load() {
		panic("release broken")
	}
	return err
}

// A store that panics is answered as one that fails: the claim it took is
// released, the answer is written, and the observer sees it once.
func TestHandlerStorePanicIsAFailure(t *testing.T) {
	t.Parallel()
	store := &panickingStore{}
	var fail atomic.Bool
	var calls atomic.Int32
	obs := &observed{}
	h := NewHandler(func(context.Context, *Event) error {
		calls.Add(1)
		if fail.Load() {
			return errors.New("failed")
		}
		return nil
	}, WithDeduplicator(store), WithObserver(obs.observe))
	check := func(name, ev string, status int, outcome Outcome, calls0 int32) {
		t.Helper()
		rec := serveOnce(h, delivery(ev))
		ds := obs.all()
		obs.mu.Lock()
		obs.ds = nil
		obs.mu.Unlock()
		if rec.Code != status || calls.Load() != calls0 || len(ds) != 1 || ds[0].Outcome != outcome {
			t.Errorf("%s: status %d, calls %d, observed %+v; want %d, %d calls, one %s", name, rec.Code, calls.Load(), ds, status, calls0, outcome)
		}
	}
	store.claim.Store(true)
	check("claim panics", deliveredForm, 500, OutcomeStoreFailed, 0)
	store.claim.Store(false)
	check("redelivery after a claim panicked", deliveredForm, 200, OutcomeProcessed, 1)

	store.complete.Store(true)
	check("complete panics", strings.Replace(deliveredForm, "id=0f", "id=1f", 1), 200, OutcomeProcessed, 2)
	store.complete.Store(false)

	store.release.Store(true)
	fail.Store(true)
	check("release panics", strings.Replace(deliveredForm, "id=0f", "id=2f", 1), 500, OutcomeFailed, 3)
}
