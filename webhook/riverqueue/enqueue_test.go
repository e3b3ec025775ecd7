package riverqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/riverqueue"
)

func TestEnqueueOptions(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	client := d.client(d.admin, nil, nil)
	enqueue := riverqueue.Enqueue(client, riverqueue.WithQueue("smtp2go"), riverqueue.WithPriority(3),
		riverqueue.WithMaxAttempts(7), riverqueue.WithUniquePeriod(24*time.Hour), nil)
	ev := testEvent(t, 4)
	for range 2 {
		if err := enqueue(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	jobs := d.jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs for one event delivered twice, want 1", len(jobs))
	}
	job := jobs[0]
	if job.Kind != riverqueue.Kind || job.Queue != "smtp2go" || job.Priority != 3 || job.MaxAttempts != 7 || len(job.UniqueKey) == 0 {
		t.Errorf("job kind %q, queue %q, priority %d, max attempts %d, unique key %x; want %s, smtp2go, 3, 7 and a key",
			job.Kind, job.Queue, job.Priority, job.MaxAttempts, job.UniqueKey, riverqueue.Kind)
	}
	if len(job.UniqueStates) != len(rivertype.JobStates()) {
		t.Errorf("unique in states %v, want every state", job.UniqueStates)
	}
}

// TestEventArgsUniqueWithoutEnqueue: EventArgs inserted straight through a
// River client are unique by key too.
func TestEventArgsUniqueWithoutEnqueue(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	client := d.client(d.admin, nil, nil)
	ev := testEvent(t, 5)
	args := riverqueue.EventArgs{Key: ev.DedupKey(), Event: *ev}
	for i, want := range []bool{false, true} {
		res, err := client.Insert(context.Background(), args, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.UniqueSkippedAsDuplicate != want {
			t.Errorf("insert %d: skipped as duplicate %t, want %t", i+1, res.UniqueSkippedAsDuplicate, want)
		}
	}
}

func TestEnqueueRefusals(t *testing.T) {
	t.Parallel()
	if err := riverqueue.Enqueue(nil)(context.Background(), testEvent(t, 6)); !errors.Is(err, riverqueue.ErrNilClient) {
		t.Errorf("nil client: %v, want ErrNilClient", err)
	}
	d := newDB(t)
	enqueue := riverqueue.Enqueue(d.client(d.admin, nil, nil))
	if err := enqueue(context.Background(), nil); err == nil {
		t.Error("nil event: no error")
	}
	// River checks the options: a bad one fails every insert, naming it.
	bad := riverqueue.Enqueue(d.client(d.admin, nil, nil), riverqueue.WithPriority(9))
	if err := bad(context.Background(), testEvent(t, 7)); err == nil {
		t.Error("priority 9: no error")
	}
	if jobs := d.jobs(); len(jobs) != 0 {
		t.Errorf("%d jobs inserted by refused calls", len(jobs))
	}
}

func TestEventArgsDecodeErrors(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"not JSON":            `{"key":`,
		"exact_event not b64": `{"key":"k","event":{},"exact_event":{"Subject":"%%%"}}`,
	} {
		var args riverqueue.EventArgs
		if err := json.Unmarshal([]byte(raw), &args); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestEventArgsEmptyKey: args written without a Key carry the event's
// DedupKey, so that events inserted by hand stay jobs of their own.
func TestEventArgsEmptyKey(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"0b5a1d6c3e2f4a7b8c9d0e1f2a3b4c5d", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"} {
		ev := webhook.Event{Type: smtp2go.EventDelivered, ID: id}
		raw, err := json.Marshal(riverqueue.EventArgs{Event: ev})
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Key string }
		if err := json.Unmarshal(raw, &got); err != nil || got.Key != ev.DedupKey() {
			t.Errorf("key written = %q (%v), want the event's DedupKey %q", got.Key, err, ev.DedupKey())
		}
	}
}

// TestEnqueueBatches: deliveries that arrive while an insert is held up go
// into the next insert together, repeats of one event among them, and each
// is answered once that insert has committed.
func TestEnqueueBatches(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	proxy := d.proxy()
	pool := d.pool(4, proxy.Addr())
	enqueue := riverqueue.Enqueue(d.client(pool, nil, nil))
	const events, repeats = 20, 10
	proxy.Stall()
	errs := make(chan error, events*repeats)
	for i := range events * repeats {
		go func() { errs <- enqueue(context.Background(), testEvent(t, 100+i%events)) }()
	}
	select {
	case err := <-errs:
		t.Fatalf("an insert returned while the database was stalled: %v", err)
	default:
	}
	proxy.Restore()
	for range events * repeats {
		select {
		case err := <-errs:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("inserts still waiting 30s after the database came back")
		}
	}
	if jobs := d.jobs(); len(jobs) != events {
		t.Errorf("%d jobs for %d events, want one each", len(jobs), events)
	}
	// One insert each would take the pool once per delivery; batched, the
	// deliveries that queued while the database stalled share a few.
	if n := pool.Stat().AcquireCount(); n >= events*repeats/2 {
		t.Errorf("%d inserts (pool acquisitions) for %d deliveries; want them batched", n, events*repeats)
	}
}

// TestEnqueueDeliveryGoesAway: a delivery whose context ends returns at
// once, and does not fail the insert of the others waiting with it.
func TestEnqueueDeliveryGoesAway(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	proxy := d.proxy()
	enqueue := riverqueue.Enqueue(d.client(d.pool(4, proxy.Addr()), nil, nil))
	proxy.Stall()
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan error, 1)
	go func() { gone <- enqueue(ctx, testEvent(t, 200)) }()
	stayed := make(chan error, 1)
	go func() { stayed <- enqueue(context.Background(), testEvent(t, 201)) }()
	cancel()
	select {
	case err := <-gone:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the delivery that went away: %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the delivery that went away still waits after 30s")
	}
	proxy.Restore()
	select {
	case err := <-stayed:
		if err != nil {
			t.Errorf("the delivery that stayed: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the delivery that stayed still waits 30s after the database came back")
	}
	keys := map[string]bool{}
	for _, job := range d.jobs() {
		keys[argsOf(t, job).Key] = true
	}
	if !keys[testEvent(t, 201).DedupKey()] {
		t.Error("no job for the delivery that stayed")
	}
}
