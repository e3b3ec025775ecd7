package riverqueue_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaykit/smtp2go/internal/deliverbench"
	"github.com/relaykit/smtp2go/internal/storetest"
	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/pgdedup"
	"github.com/relaykit/smtp2go/webhook/riverqueue"
)

// latencies records how long the handler took to answer each delivery, for
// the p99 the benchmarks report.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		d := time.Since(start)
		l.mu.Lock()
		l.d = append(l.d, d)
		l.mu.Unlock()
	})
}

// report adds the answers' p99 to b's results, as "p99-µs".
func (l *latencies) report(b *testing.B) {
	l.mu.Lock()
	defer l.mu.Unlock()
	slices.Sort(l.d)
	if n := len(l.d); n > 0 {
		b.ReportMetric(float64(l.d[min(n-1, n*99/100)].Microseconds()), "p99-µs")
	}
}

// BenchmarkHandlerRiver is the handler with Enqueue, a fresh schema each
// run (the event IDs start again at each b.N), 16 senders over loopback,
// and nothing working the jobs: each delivery is one unique insert, one
// commit.
func BenchmarkHandlerRiver(b *testing.B) {
	d := newDB(b)
	var writes storetest.WriteCounter
	client := d.client(d.countedPool(&writes), nil, nil)
	var l latencies
	h := webhook.NewHandler(riverqueue.Enqueue(client),
		webhook.WithBasicAuth(deliverbench.User, deliverbench.Pass), webhook.WithoutDeduplication())
	before := writes.Count()
	deliverbench.Run(b, l.wrap(h), storetest.Senders)
	b.StopTimer()
	l.report(b)
	b.ReportMetric(float64(writes.Count()-before)/float64(b.N), "roundtrips/op")
}

// BenchmarkHandlerRiverBaseline is the handler with pgdedup on the same
// server, a table of its own each run, and a callback that does nothing:
// each delivery is a claim and a completion.
func BenchmarkHandlerRiverBaseline(b *testing.B) {
	d := newDB(b)
	var writes storetest.WriteCounter
	store := pgdedup.New(d.countedPool(&writes), pgdedup.WithTable(d.schema+".dedup"))
	if err := store.CreateTable(context.Background()); err != nil {
		b.Fatal(err)
	}
	var l latencies
	h := webhook.NewHandler(func(context.Context, *webhook.Event) error { return nil },
		webhook.WithBasicAuth(deliverbench.User, deliverbench.Pass), webhook.WithDeduplicator(store))
	before := writes.Count()
	deliverbench.Run(b, l.wrap(h), storetest.Senders)
	b.StopTimer()
	l.report(b)
	b.ReportMetric(float64(writes.Count()-before)/float64(b.N), "roundtrips/op")
}

// countedPool is a pool of storetest.Senders connections to d's schema that
// counts its round trips.
func (d *db) countedPool(writes *storetest.WriteCounter) *pgxpool.Pool {
	return d.poolWith(func(c *pgxpool.Config) {
		c.MaxConns = storetest.Senders
		c.ConnConfig.DialFunc = writes.Dial
	})
}
