package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/internal/deliverbench"
	"github.com/relaykit/smtp2go/internal/replicatest"
	"github.com/relaykit/smtp2go/webhook"
)

// calls are a store's three calls, by the names its errors give them.
func calls(store webhook.Deduplicator) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"claim": func(ctx context.Context) error {
			_, err := store.Claim(ctx, "storetest-event", "storetest-token", time.Minute)
			return err
		},
		"complete": func(ctx context.Context) error { return store.Complete(ctx, "storetest-event", "storetest-token") },
		"release":  func(ctx context.Context) error { return store.Release(ctx, "storetest-event", "storetest-token") },
	}
}

// Unreachable checks that every call of store, whose server refuses
// connections, fails within a 2-second deadline, with an error that starts
// with pkg (as "redisdedup") and the call's name and does not contain
// secret (the password the client was given). extra adds the store's other
// calls, by name.
func Unreachable(t *testing.T, store webhook.Deduplicator, pkg, secret string, extra map[string]func(context.Context) error) {
	t.Helper()
	all := calls(store)
	for name, call := range extra {
		all[name] = call
	}
	// At once: a client's own dial retries make each call take a while.
	var wg sync.WaitGroup
	for name, call := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			err := call(ctx)
			if err == nil {
				t.Errorf("%s with the server unreachable: no error", name)
				return
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("%s took %v, beyond its 2 s deadline", name, d)
			}
			if !strings.HasPrefix(err.Error(), pkg+": "+name+": ") || strings.Contains(err.Error(), secret) {
				t.Errorf("%s error %q: want one that starts %q and does not hold the password", name, err, pkg+": "+name+": ")
			}
		}()
	}
	wg.Wait()
}

// Stalled checks that every call of store fails at the context's deadline
// while p holds every byte, as a server that hangs, and that the store works
// again once p lets them through. store must reach its server through p.
func Stalled(t *testing.T, store webhook.Deduplicator, p *Proxy) {
	t.Helper()
	p.Stall()
	for name, call := range calls(store) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s with the server stalled: error %v, want the deadline's", name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s with the server stalled took %v, with a 200 ms deadline", name, d)
		}
	}
	p.Restore()
	if s, err := store.Claim(context.Background(), "storetest-after-stall", "t", time.Minute); err != nil || s != webhook.Claimed {
		t.Errorf("Claim once the server answers again: %v, %v", s, err)
	}
}

// Replicas runs internal/replicatest at the size of a test: three replicas,
// each with its own client of the store from newStore, 600 events with
// repeats (some at once on different replicas), failing and slow callbacks,
// one replica killed, and, mid-run, every connection through p cut for a
// moment. It fails t if an event was lost, or processed twice other than as
// the contract allows (see replicatest.Result).
func Replicas(t *testing.T, name string, p *Proxy, newStore func(replica int) (webhook.Deduplicator, func())) {
	t.Helper()
	res, err := replicatest.Run(t.Context(), replicatest.Config{
		Replicas: 3, Events: 600, RepeatRate: 0.10, FailRate: 0.05, SlowRate: 0.02, Kill: true,
		Senders: 30, SenderTimeout: 200 * time.Millisecond, RetryWait: 10 * time.Millisecond,
		Lease: time.Second, NewStore: newStore,
		MidRun: func(ctx context.Context) {
			p.Cut()
			defer p.Restore()
			select { // the outage lasts a moment, whatever the deliveries do meanwhile
			case <-time.After(200 * time.Millisecond):
			case <-ctx.Done():
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res.Print(&out, name)
	t.Log(strings.TrimSpace(out.String()))
	if err := res.Check(); err != nil {
		t.Error(err)
	}
	if res.Statuses[http.StatusInternalServerError] == 0 || res.Hung == 0 {
		t.Errorf("faults not exercised: %d callbacks hung, answers %v", res.Hung, res.Statuses)
	}
}

// Outage delivers distinct events through webhook.NewHandler with store,
// from several senders that deliver each event again until it is answered
// 200, as SMTP2GO does, and cuts the store off through p for a moment
// mid-run. It checks that every delivery made while the store was away was
// answered 500, and that in the end every event was processed exactly once.
// store must reach its server through p.
func Outage(t *testing.T, store webhook.Deduplicator, p *Proxy) {
	const (
		events  = 300
		senders = 8
		// The outage lasts until this many deliveries made entirely
		// within it have been answered.
		outageAnswers = 40
	)
	var processed [events]atomic.Int32
	// A short lease: a claim taken just before the cut whose answer was
	// lost is taken over soon after the store is back.
	h := webhook.NewHandler(func(_ context.Context, ev *webhook.Event) error {
		i, err := strconv.Atoi(ev.ID)
		if err != nil || i < 0 || i >= events {
			return fmt.Errorf("unexpected event id %q", ev.ID)
		}
		processed[i].Add(1)
		return nil
	}, webhook.WithBasicAuth(deliverbench.User, deliverbench.Pass), webhook.WithDeduplicator(store), webhook.WithLease(time.Second))
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()

	type answer struct {
		start, end time.Time
		status     int
	}
	var (
		mu                sync.Mutex
		answers           []answer
		cutAt, restoredAt time.Time
		inOutage          int
		acknowledged      atomic.Int32
	)
	deadline := time.Now().Add(time.Minute)
	queue := make(chan int, events)
	for i := range events {
		queue <- i
	}
	close(queue)
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				for time.Now().Before(deadline) {
					start := time.Now()
					status := Post(client, srv.URL, "event=delivered&id="+strconv.Itoa(i))
					mu.Lock()
					a := answer{start, time.Now(), status}
					answers = append(answers, a)
					if !cutAt.IsZero() && restoredAt.IsZero() && a.start.After(cutAt) {
						if inOutage++; inOutage == outageAnswers {
							p.Restore()
							restoredAt = time.Now()
						}
					}
					mu.Unlock()
					if status == http.StatusOK {
						break
					}
					time.Sleep(5 * time.Millisecond) // SMTP2GO's backoff, shortened
				}
				if acknowledged.Add(1) == events/3 {
					mu.Lock()
					p.Cut()
					cutAt = time.Now()
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()

	statuses := map[int]int{}
	for _, a := range answers {
		if a.start.After(cutAt) && a.end.Before(restoredAt) {
			statuses[a.status]++
			if a.status != http.StatusInternalServerError {
				t.Errorf("a delivery made while the store was cut off was answered %d, want 500", a.status)
			}
		}
	}
	t.Logf("%d deliveries of %d events; store cut off for %v, during which the answers were %v",
		len(answers), events, restoredAt.Sub(cutAt), statuses)
	if restoredAt.IsZero() {
		t.Fatal("the store was never restored: too few deliveries during the outage")
	}
	for i := range processed {
		if n := processed[i].Load(); n != 1 {
			t.Errorf("event %d processed %d times, want once", i, n)
		}
	}
}
