// Package storetest is what the tests of the deduplication stores beside
// package webhook share: the servers they run against, a proxy that cuts a
// store off, a count of round trips, and the scenarios that run the real
// handler on a store (an outage; a benchmark beside MemoryDeduplicator).
// The contract itself is the public package webhook/deduptest.
package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/webhook"
)

// URL returns the server address in the environment variable env, or skips
// t with a message that says how to run the test. CI sets every such
// variable and fails if a store test skips.
func URL(t testing.TB, env, example string) string {
	t.Helper()
	u := os.Getenv(env)
	if u == "" {
		t.Skipf("%s is not set: run with %s=%s (a server that tests may write to)", env, env, example)
	}
	return u
}

// RandomName returns prefix followed by random lower-case letters and
// digits, for a key prefix or table name of one test's own.
func RandomName(prefix string) string {
	return prefix + strings.ToLower(rand.Text()[:12])
}

// WriteCounter dials TCP connections that count their writes. For a client
// that waits for each answer before it sends again on a connection, as
// go-redis and pgx do outside pipelines and batches, each write is one round
// trip to the server, whatever the client does above the socket (retries,
// health checks, preparing statements, loading scripts).
type WriteCounter struct{ n atomic.Int64 }

// Dial is a DialContext, in the shape both go-redis (Options.Dialer) and pgx
// (ConnConfig.DialFunc) take.
func (c *WriteCounter) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return countingConn{conn, &c.n}, nil
}

// Count returns the writes made so far.
func (c *WriteCounter) Count() int64 { return c.n.Load() }

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(b)
}

// Senders is how many deliveries the benchmarks send at once.
const Senders = 16

// BenchmarkHandler measures webhook.NewHandler with store, with basic auth,
// over a loopback server, from Senders concurrent senders, each delivery a
// new event, so that every one claims and completes. With roundTrips, it
// reports the store's round trips per delivery as "roundtrips/op".
func BenchmarkHandler(b *testing.B, store webhook.Deduplicator, roundTrips func() int64) {
	h := webhook.NewHandler(func(context.Context, *webhook.Event) error { return nil },
		webhook.WithBasicAuth("smtp2go", "bench"), webhook.WithDeduplicator(store))
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: Senders}}
	defer client.CloseIdleConnections()
	run := rand.Text() // keys of their own, for every run of the benchmark
	var seq atomic.Int64
	b.SetParallelism((Senders + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	var before int64
	if roundTrips != nil {
		before = roundTrips()
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := "event=delivered&rcpt=jane%40example.org&id=" + run + strconv.FormatInt(seq.Add(1), 10)
			if status := post(client, srv.URL, body); status != http.StatusOK {
				b.Errorf("delivery answered %d", status)
				return
			}
		}
	})
	b.StopTimer()
	if roundTrips != nil {
		b.ReportMetric(float64(roundTrips()-before)/float64(b.N), "roundtrips/op")
	}
}

// post delivers a form body as SMTP2GO does and returns the status, or 0 if
// no answer came.
func post(client *http.Client, url, body string) int {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("smtp2go", "bench")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
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
	}, webhook.WithBasicAuth("smtp2go", "bench"), webhook.WithDeduplicator(store), webhook.WithLease(time.Second))
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
					status := post(client, srv.URL, "event=delivered&id="+strconv.Itoa(i))
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
